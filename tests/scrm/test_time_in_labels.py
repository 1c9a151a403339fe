"""Rows that name themselves by a time (the admin's lists and delete pages, the platform console) show it in
Asia/Shanghai, as every page does; they printed the stored UTC time, eight hours off."""

from datetime import UTC, datetime

from django.utils import translation

from scrm.models import OrganizationStatusChange
from tickets.models import TicketEvent

LATE_EVENING_UTC = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)  # 2026-03-02 04:30 in Shanghai


def test_an_organization_status_change_names_its_shanghai_time():
    change = OrganizationStatusChange(action=OrganizationStatusChange.Action.SUSPEND, at=LATE_EVENING_UTC)
    with translation.override("zh-hans"):
        assert str(change) == f"{OrganizationStatusChange.Action.SUSPEND.label} 2026-03-02 04:30"
    assert str(OrganizationStatusChange(action=OrganizationStatusChange.Action.RESUME)) == str(
        OrganizationStatusChange.Action.RESUME.label)


def test_a_ticket_event_names_its_shanghai_time():
    event = TicketEvent(kind=TicketEvent.Kind.CREATED, created_at=LATE_EVENING_UTC)
    with translation.override("zh-hans"):
        assert str(event) == f"{TicketEvent.Kind.CREATED.label} 2026-03-02 04:30"
