"""The SLA timer end to end: Celery beat sends the sweep to a real worker over Redis, and a ticket nobody
answered escalates to the agent's supervisor (a notification and an `escalated` entry on its timeline)."""

import time
from datetime import timedelta

import time_machine
from django.utils import timezone

import tickets.tasks  # noqa: F401 - registers the tasks with the worker's app
from notifications.models import Notification
from scrm.platform.tenancy import platform_scope, tenant_scope
from sla.models import PRESET_24X7, BusinessCalendar
from sla.services import calendar_create
from tests.sla.factories import sla_policy, staffed_queue
from tests.tickets.factories import CustomerFactory
from tickets.models import TicketEvent
from tickets.services import ticket_open


def _wait(predicate, timeout=40):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with platform_scope():
            result = predicate()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"nothing escalated after {timeout}s (are the worker and beat running?)")


def test_beat_and_a_worker_escalate_an_untouched_ticket_to_the_supervisor(organization, celery_worker,  # noqa: F811
                                                                          celery_beat):  # noqa: F811
    with tenant_scope(organization):
        calendar = calendar_create(organization=organization, name="7×24", weekly_hours=PRESET_24X7,
                                   preset=BusinessCalendar.Preset.H24X7, follows_china_holidays=False)
        _queue, ticket_type, agent, supervisor = staffed_queue(organization)
        sla_policy(organization, calendar, steps=[
            {"metric": "first_response", "trigger": "breach", "notify_supervisor": True},
        ])
        customer = CustomerFactory(organization=organization)
        # Opened two hours ago (P3: first response due in 120 minutes) and left untouched since.
        with time_machine.travel(timezone.now() - timedelta(hours=2, minutes=1), tick=False):
            ticket = ticket_open(organization=organization, customer=customer, subject="燃气灶打不着火",
                                 description="", channel="wechat_oa", type=ticket_type)
    assert ticket.assignee == agent

    notification = _wait(lambda: Notification.objects.filter(ticket=ticket, recipient=supervisor).first())

    assert notification.kind == "sla_breach"
    with tenant_scope(organization):
        escalated = TicketEvent.objects.filter(ticket=ticket, kind="escalated").order_by("pk")
        assert escalated[0].after["notified"] == [supervisor.pk]
        ticket.refresh_from_db()
        assert ticket.escalation_level == 1 and ticket.sla_breached
        assert not Notification.objects.filter(ticket=ticket, recipient=supervisor, kind="sla_breach") \
            .exclude(pk=notification.pk).exists()
