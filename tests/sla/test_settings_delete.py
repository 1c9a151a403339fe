"""Ops delete SLA policies and business calendars in the product: a policy that timed a ticket is refused (switch
it off instead), a calendar a policy uses is refused, each with the reason and nothing deleted; unused ones go with
their targets, ladder and days, recorded in the settings audit trail."""

import pytest
from django.test import Client

from scrm.models import Role, SettingsChange
from scrm.platform.tenancy import tenant_scope
from sla.models import PRESET_24X7, BusinessCalendar, CalendarDay, SLAPolicy, SLATarget
from sla.services import calendar_create
from tests.sla.factories import office_calendar, sla_policy
from tests.tenancy import tenant_pair
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _seed(tenant):
    calendar = office_calendar(tenant.organization, name="工作日", china=False)
    spare = calendar_create(organization=tenant.organization, name="全天", weekly_hours=PRESET_24X7,
                            follows_china_holidays=False)
    CalendarDay.objects.create(organization=tenant.organization, calendar=spare, date="2027-01-01", kind="holiday",
                               name="元旦")
    used = sla_policy(tenant.organization, calendar, name="标准")
    sla_policy(tenant.organization, calendar, name="旧政策")
    TicketFactory(organization=tenant.organization, sla_policy=used)


def _ops(tenant):
    client = Client()
    client.force_login(tenant.users[Role.OPS_ADMIN])
    return client


def _deleted(tenant):
    with tenant_scope(tenant.organization):
        return list(SettingsChange.objects.filter(action="deleted").values_list("subject", "subject_name"))


def test_a_policy_that_timed_tickets_is_refused_and_an_unused_one_is_deleted_with_its_targets():
    a, _b = tenant_pair(_seed)
    client = _ops(a)
    with tenant_scope(a.organization):
        used, old = SLAPolicy.objects.get(name="标准"), SLAPolicy.objects.get(name="旧政策")
    response = client.post(f"/sla/policies/{used.pk}/delete/")
    assert response["Location"] == f"/sla/policies/{used.pk}/"
    assert "alert-danger" in client.get(response["Location"]).content.decode()
    assert client.post(f"/sla/policies/{old.pk}/delete/")["Location"] == "/sla/policies/"
    with tenant_scope(a.organization):
        assert list(SLAPolicy.objects.values_list("name", flat=True)) == ["标准"]
        assert not SLATarget.objects.filter(policy_id=old.pk).exists()
    assert _deleted(a) == [("sla.slapolicy", "旧政策")]


def test_a_calendar_a_policy_uses_is_refused_and_an_unused_one_is_deleted_with_its_days():
    a, _b = tenant_pair(_seed)
    client = _ops(a)
    with tenant_scope(a.organization):
        used, spare = BusinessCalendar.objects.get(name="工作日"), BusinessCalendar.objects.get(name="全天")
    page = client.get(client.post(f"/sla/calendars/{used.pk}/delete/")["Location"]).content.decode()
    assert "“工作日”" in page
    assert client.post(f"/sla/calendars/{spare.pk}/delete/")["Location"] == "/sla/calendars/"
    with tenant_scope(a.organization):
        assert list(BusinessCalendar.objects.values_list("name", flat=True)) == ["工作日"]
        assert not CalendarDay.objects.filter(calendar_id=spare.pk).exists()
    assert _deleted(a) == [("sla.businesscalendar", "全天")]
    agent = Client()
    agent.force_login(a.users[Role.AGENT])
    assert agent.post(f"/sla/calendars/{used.pk}/delete/").status_code == 403
