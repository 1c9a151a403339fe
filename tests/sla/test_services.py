"""SLA on tickets: due times on the business calendar, pause/resume, recompute on change, the escalation ladder
(time-machine), exactly-once under concurrent sweeps, validation, and the China holiday seed."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from notifications.models import Notification
from scrm.platform.tenancy import platform_scope, tenant_scope
from sla.models import (
    MSG_LADDER_ORDER,
    MSG_NO_WORKING_TIME,
    MSG_SPANS_OVERLAP,
    MSG_TARGET_POSITIVE,
    PRESET_OFFICE,
    BusinessCalendar,
    CalendarDay,
    EscalationStep,
    SLAPolicy,
    SLATarget,
)
from sla.services import calendar_create, calendars_ensure_defaults, sla_sweep, ticket_sla_apply
from tests.concurrency import run_at_once
from tests.scrm.factories import OrganizationFactory
from tests.sla.factories import LADDER, office_calendar, sla_policy, staffed_queue
from tests.tickets.factories import CustomerFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_add_message, ticket_change_status, ticket_open, ticket_reply, ticket_set_priority

SH = ZoneInfo("Asia/Shanghai")
Status = Ticket.Status
Kind = TicketEvent.Kind
pytestmark = pytest.mark.django_db


def sh(*args):
    return datetime(*args, tzinfo=SH)


def _open(organization, customer, ticket_type=None, priority=3):
    return ticket_open(organization=organization, customer=customer, subject="空调不制冷", description="",
                       channel="wechat_oa", type=ticket_type, priority=priority)


def _kinds(ticket, *kinds):
    return list(TicketEvent.objects.filter(ticket=ticket, kind__in=kinds).order_by("created_at", "pk"))


@pytest.fixture
def setup(scoped):
    calendar = office_calendar(scoped)
    queue, ticket_type, agent, supervisor = staffed_queue(scoped)
    policy = sla_policy(scoped, calendar, steps=LADDER)
    return {"calendar": calendar, "queue": queue, "type": ticket_type, "agent": agent, "supervisor": supervisor,
            "policy": policy}


def test_opening_a_ticket_applies_the_policy_on_business_hours(scoped, customer, setup):
    # Friday 17:00: 60 business minutes are left that day, the rest is on Monday morning.
    with time_machine.travel(sh(2026, 11, 27, 17, 0), tick=False):
        ticket = _open(scoped, customer, setup["type"])
    assert ticket.sla_policy == setup["policy"]
    assert ticket.first_response_due_at == sh(2026, 11, 30, 10, 0)  # P3: 120 minutes
    assert ticket.resolution_due_at == sh(2026, 12, 1, 18, 0)  # 960 = 60 + 450 + 450
    # The first ladder step (50% of first response) is the next thing the sweep looks at: Monday at 09:00, when
    # the business minutes left equal the ones used (a reminder when someone is there to read it).
    assert ticket.next_escalation_at == sh(2026, 11, 30, 9, 0)
    assert ticket.sla_warn_at == sh(2026, 11, 30, 9, 30)
    applied = _kinds(ticket, Kind.SLA_APPLIED)
    assert len(applied) == 1 and applied[0].after["policy"]["name"] == "标准"


def test_spring_festival_2026_moves_the_due_time_past_the_holiday(scoped, customer, setup):
    # Saturday 14 February 2026 is a make-up working day; the holiday runs 15-23 February.
    with time_machine.travel(sh(2026, 2, 14, 17, 0), tick=False):
        ticket = _open(scoped, customer, setup["type"])
    assert ticket.first_response_due_at == sh(2026, 2, 24, 10, 0)


def test_the_first_matching_policy_by_position_wins(scoped, customer, setup):
    vip = sla_policy(scoped, setup["calendar"], name="VIP", position=0, customer_level="vip",
                     targets=[(3, 10, 10, 60)])
    SLAPolicy.objects.filter(pk=setup["policy"].pk).update(position=5)
    customer_vip = CustomerFactory(organization=scoped, level="vip")
    with time_machine.travel(sh(2026, 11, 23, 10, 0), tick=False):
        normal = _open(scoped, customer, setup["type"])
        special = _open(scoped, customer_vip, setup["type"])
    assert normal.sla_policy == setup["policy"]
    assert (special.sla_policy, special.first_response_due_at) == (vip, sh(2026, 11, 23, 10, 10))


def test_no_policy_no_clock(scoped, customer):
    ticket = _open(scoped, customer)
    assert (ticket.sla_policy, ticket.first_response_due_at, ticket.next_escalation_at) == (None, None, None)
    assert _kinds(ticket, Kind.SLA_APPLIED) == []


def test_pending_pauses_the_clock_and_resuming_shifts_the_due_times(scoped, customer, setup):
    agent = setup["agent"]
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False):
        ticket = _open(scoped, customer, setup["type"])
        ticket_reply(ticket=ticket, author=agent, body="请提供购买凭证")
    with time_machine.travel(sh(2026, 11, 23, 10, 0), tick=False):
        ticket = ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent)
    ticket.refresh_from_db()
    assert ticket.paused_since == sh(2026, 11, 23, 10, 0)
    assert ticket.next_escalation_at is None
    assert ticket.resolution_due_at == sh(2026, 11, 25, 10, 0)  # 960 = 450 + 450 + 60
    # Back at 11:00 the next day: 2 hours before lunch + 4.5 after + 2 the next morning = 510 business minutes.
    with time_machine.travel(sh(2026, 11, 24, 11, 0), tick=False):
        ticket = ticket_change_status(ticket=ticket, status=Status.OPEN, actor=agent)
    ticket.refresh_from_db()
    assert ticket.paused_since is None
    assert ticket.paused_minutes == 510
    assert ticket.resolution_due_at == sh(2026, 11, 26, 11, 0)  # 510 later: 390 on Wednesday, 120 on Thursday
    assert ticket.next_escalation_at is not None
    assert [e.kind for e in _kinds(ticket, Kind.SLA_PAUSED, Kind.SLA_RESUMED)] == ["sla_paused", "sla_resumed"]
    assert _kinds(ticket, Kind.SLA_RESUMED)[0].after["paused_minutes"] == 510


def test_a_customer_message_resumes_a_pending_ticket_and_starts_the_next_response_clock(scoped, customer, setup):
    agent = setup["agent"]
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False):
        ticket = ticket_add_message(organization=scoped, customer=customer, channel="wechat_oa", source_ref="c1",
                                    body="热水器打不着火").ticket
        ticket_reply(ticket=ticket, author=agent, body="请问型号是？")
        ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent)
    with time_machine.travel(sh(2026, 11, 23, 9, 30), tick=False):
        ticket_add_message(organization=scoped, customer=customer, channel="wechat_oa", source_ref="c1",
                           body="JSQ25")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.paused_since is None and ticket.paused_minutes == 30
    assert ticket.next_response_due_at == sh(2026, 11, 23, 11, 30)  # P3: 120 minutes after the message
    with time_machine.travel(sh(2026, 11, 23, 10, 0), tick=False):
        ticket_reply(ticket=ticket, author=agent, body="好的，师傅明天上门")
    ticket.refresh_from_db()
    assert ticket.next_response_due_at is None and not ticket.sla_breached


def test_first_public_reply_answers_the_first_response(scoped, customer, setup):
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False):
        ticket = _open(scoped, customer, setup["type"])
    with time_machine.travel(sh(2026, 11, 23, 9, 10), tick=False):
        ticket_reply(ticket=ticket, author=setup["agent"], body="您好")
    ticket.refresh_from_db()
    assert ticket.first_response_at == sh(2026, 11, 23, 9, 10)
    assert not ticket.sla_breached
    # The first-response steps no longer apply: the next look is the resolution breach.
    assert ticket.next_escalation_at == ticket.resolution_due_at


def test_a_priority_change_recomputes_the_due_times(scoped, customer, setup):
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False):
        ticket = _open(scoped, customer, setup["type"])
        ticket = ticket_set_priority(ticket=ticket, priority=1, actor=setup["agent"])
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == sh(2026, 11, 23, 9, 30)
    assert ticket.resolution_due_at == sh(2026, 11, 23, 14, 30)  # 240: 180 before lunch, 60 after 13:30
    applied = _kinds(ticket, Kind.SLA_APPLIED)
    assert [e.after["reason"] for e in applied] == ["opened", "priority"]


def test_the_ladder_runs_each_step_once_in_order(scoped, customer, setup):
    agent, supervisor = setup["agent"], setup["supervisor"]
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False):
        ticket = _open(scoped, customer, setup["type"])
    assert ticket.assignee == agent
    with platform_scope():
        assert sla_sweep(now=sh(2026, 11, 23, 9, 59)) == 0
    # 50% of the first response (10:00): the assignee is reminded.
    with time_machine.travel(sh(2026, 11, 23, 10, 0, 30), tick=False):
        assert sla_sweep(now=sh(2026, 11, 23, 10, 0, 30)) == 1
        sla_sweep(now=sh(2026, 11, 23, 10, 0, 30))  # a second sweep at the same moment does nothing
    steps = _kinds(ticket, Kind.ESCALATED)
    assert [(e.after["level"], e.after["notified"]) for e in steps] == [(1, [agent.pk])]
    # Breach of the first response (11:00): the supervisor is alerted, the breach recorded.
    with time_machine.travel(sh(2026, 11, 23, 11, 1), tick=False):
        sla_sweep(now=sh(2026, 11, 23, 11, 1))
    ticket.refresh_from_db()
    assert ticket.sla_breached and ticket.escalation_level == 2
    steps = _kinds(ticket, Kind.ESCALATED)
    assert [e.after.get("notified") for e in steps] == [[agent.pk], [supervisor.pk], None]
    assert steps[2].after["breached"] == "first_response"
    told = Notification.objects.filter(ticket=ticket, kind__startswith="sla").order_by("pk")
    assert [(n.recipient, n.kind) for n in told] == [(agent, "sla_warning"), (supervisor, "sla_breach")]
    assert [n.title_display for n in told] == [f"SLA：工单 {ticket.number} 的首次响应时限已用 50%",
                                       f"SLA：工单 {ticket.number} 首次响应已超时"]
    # In English the target reads as words of the sentence, not as a capitalised label in the middle of it.
    with translation.override("en"):
        assert [n.title_display for n in told] == [
            f"SLA: ticket {ticket.number} has used 50% of its first-response time",
            f"SLA: ticket {ticket.number} missed its first-response target"]
        assert told[1].body_display.startswith("First response due 2026-11-23 11:00")
    # Resolution due Wednesday 10:00 (960 min); 30 minutes after it the ticket goes to the supervisor, as P2.
    ticket.refresh_from_db()
    assert ticket.next_escalation_at == sh(2026, 11, 25, 10, 30)
    with time_machine.travel(sh(2026, 11, 25, 10, 31), tick=False):
        sla_sweep(now=sh(2026, 11, 25, 10, 31))
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.priority, ticket.escalation_level) == (supervisor, 2, 3)
    assert _kinds(ticket, Kind.ESCALATED)[-1].after["actions"] == ["raise_priority", "reassign_to_supervisor"]
    # Each step's trigger kept as a code (the timeline words it in its reader's language), not the sweep's Chinese.
    assert [e.after.get("trigger") for e in _kinds(ticket, Kind.ESCALATED)] == ["50%", "breach", None, "breach+30"]
    # Nothing more on the ladder: the sweep only ever sees the ticket again if something changes.
    with time_machine.travel(sh(2026, 11, 30, 9, 0), tick=False):
        sla_sweep(now=sh(2026, 11, 30, 9, 0))
    assert len(_kinds(ticket, Kind.ESCALATED)) == 4
    ticket.refresh_from_db()
    assert ticket.next_escalation_at is None


def test_a_paused_or_resolved_ticket_does_not_escalate(scoped, customer, setup):
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False):
        paused = _open(scoped, customer, setup["type"])
        ticket_change_status(ticket=paused, status=Status.OPEN, actor=setup["agent"]) if paused.status == "new" \
            else None
        ticket_change_status(ticket=paused, status=Status.PENDING, actor=setup["agent"])
        resolved = _open(scoped, customer, setup["type"])
        ticket_change_status(ticket=resolved, status=Status.RESOLVED, actor=setup["agent"])
    sla_sweep(now=sh(2026, 12, 31, 9, 0))
    assert _kinds(paused, Kind.ESCALATED) == [] and _kinds(resolved, Kind.ESCALATED) == []


def test_ticket_sla_apply_follows_a_policy_change(scoped, customer, setup):
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False):
        ticket = _open(scoped, customer, setup["type"])
        SLATarget.objects.filter(policy=setup["policy"], priority=3).update(first_response_minutes=15)
        SLAPolicy.objects.filter(pk=setup["policy"].pk).update(updated_at=sh(2026, 11, 23, 9, 0))
        ticket = ticket_sla_apply(ticket=ticket)
    assert ticket.first_response_due_at == sh(2026, 11, 23, 9, 15)


# --- concurrency ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_apply_each_step_exactly_once():
    with platform_scope():
        organization = OrganizationFactory(slug="race", name="race")
    with tenant_scope(organization):
        calendar = office_calendar(organization, china=False)
        _queue, ticket_type, agent, _supervisor = staffed_queue(organization)
        agent.agent_profile.max_open_tickets = 100
        agent.agent_profile.save(update_fields=["max_open_tickets"])
        sla_policy(organization, calendar, steps=LADDER[:2])
        customer = CustomerFactory(organization=organization)
        with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False):
            tickets = [_open(organization, customer, ticket_type) for _ in range(40)]
    now = sh(2026, 11, 23, 11, 30)  # both steps and the breach are due
    results = run_at_once([lambda: sla_sweep(now=now, batch_size=7) for _ in range(4)])
    assert sum(results) == 40  # every due ticket taken by exactly one sweep
    with tenant_scope(organization):
        for ticket in tickets:
            levels = [e.after.get("level") for e in _kinds(ticket, Kind.ESCALATED)]
            assert levels == [1, 2, None]
        assert sla_sweep(now=now) == 0


# --- validation -----------------------------------------------------------------------------------------------------

def test_a_calendar_with_no_working_time_is_refused(scoped):
    with pytest.raises(ValidationError) as error:
        calendar_create(organization=scoped, name="空", weekly_hours={"mon": []})
    assert str(MSG_NO_WORKING_TIME) in str(error.value)
    assert not BusinessCalendar.objects.exists()


def test_overlapping_spans_are_refused(scoped):
    with pytest.raises(ValidationError) as error:
        calendar_create(organization=scoped, name="重叠", weekly_hours={"mon": ["09:00-12:00", "11:00-18:00"]})
    assert str(MSG_SPANS_OVERLAP % {"day": "mon", "spans": "09:00-12:00, 11:00-18:00"}) in str(error.value)
    assert not BusinessCalendar.objects.exists()


def test_a_zero_target_is_refused_and_nothing_saved(scoped):
    calendar = office_calendar(scoped, china=False)
    with pytest.raises(ValidationError) as error:
        sla_policy(scoped, calendar, name="坏", targets=[(1, 0, None, 60)])
    assert "0" in str(error.value) and str(MSG_TARGET_POSITIVE).split("%(")[0] in str(error.value)
    assert not SLAPolicy.objects.exists() and not SLATarget.objects.exists()


def test_a_ladder_out_of_order_is_refused_and_nothing_saved(scoped):
    calendar = office_calendar(scoped, china=False)
    steps = [{"metric": "resolution", "trigger": "breach", "notify_supervisor": True},
             {"metric": "resolution", "trigger": "percent", "trigger_value": 75, "notify_assignee": True}]
    with pytest.raises(ValidationError) as error:
        sla_policy(scoped, calendar, name="乱序", steps=steps)
    assert str(MSG_LADDER_ORDER % {"position": 2, "trigger": "75%"}) in str(error.value)
    assert not SLAPolicy.objects.exists() and not EscalationStep.objects.exists()


# --- holidays -------------------------------------------------------------------------------------------------------

def test_china_holidays_and_make_up_days_are_seeded_once(scoped):
    with time_machine.travel(sh(2026, 1, 10, 9, 0), tick=False):
        calendar = calendar_create(organization=scoped, name="办公", weekly_hours=PRESET_OFFICE)
    days = dict(CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind"))
    assert days[date(2026, 2, 17)] == "holiday" and days[date(2026, 2, 14)] == "workday"
    assert days[date(2026, 2, 28)] == "workday"
    count = len(days)
    CalendarDay.objects.filter(calendar=calendar, date=date(2026, 2, 28)).update(source="manual", kind="holiday")
    with time_machine.travel(sh(2026, 1, 10, 9, 0), tick=False):
        call_command("seed_holidays", organization=scoped.slug)
    assert CalendarDay.objects.filter(calendar=calendar).count() == count
    assert CalendarDay.objects.get(calendar=calendar, date=date(2026, 2, 28)).kind == "holiday"  # ops' edit stays


def test_default_calendars_are_the_presets(scoped):
    first = calendars_ensure_defaults(organization=scoped)
    again = calendars_ensure_defaults(organization=scoped)
    assert [c.pk for c in first] == [c.pk for c in again]
    assert [c.preset for c in first] == ["24x7", "7x12"]
    assert first[1].weekly_hours["sun"] == ["08:00-20:00"]
    assert not CalendarDay.objects.filter(calendar=first[0]).exists()


def _national_day_of_the_7x12_calendar(organization):
    with tenant_scope(organization):
        calendar = BusinessCalendar.objects.get(preset="7x12")
        return CalendarDay.objects.get(calendar=calendar, date=date(2026, 10, 1)).kind


@pytest.mark.parametrize("how", ["service", "platform admin"])
def test_a_new_organization_starts_with_the_preset_calendars_and_the_china_holidays(how):
    from django.test import Client

    from scrm.models import Organization, User
    from scrm.services import organization_create

    with time_machine.travel(sh(2026, 1, 10, 9, 0), tick=False):
        if how == "service":
            organization_create(slug="xinghe", name="星河")
        else:
            with platform_scope():
                operator = User.objects.create_superuser("platform", password="Sl0w-Turtle!")  # noqa: S106
            client = Client()
            client.force_login(operator)
            response = client.post("/admin/scrm/organization/add/", {"slug": "xinghe", "name": "星河",
                                                                    "is_active": "on"})
            assert response.status_code == 302
    with platform_scope():
        organization = Organization.objects.get(slug="xinghe")
    with tenant_scope(organization):
        assert sorted(BusinessCalendar.objects.values_list("preset", flat=True)) == ["24x7", "7x12"]
    assert _national_day_of_the_7x12_calendar(organization) == "holiday"


def test_sla_rows_stay_in_their_organization(scoped, setup):
    with platform_scope():
        other = OrganizationFactory(slug="other", name="other")
    with tenant_scope(other):
        assert not BusinessCalendar.objects.exists() and not SLAPolicy.objects.exists()
    assert datetime.now(UTC)


def test_a_ticket_that_fails_is_set_aside_and_the_others_still_escalate(scoped, customer, setup):
    broken_calendar = office_calendar(scoped, name="坏日历", china=False)
    sla_policy(scoped, broken_calendar, name="坏", position=0, channel="douyin", steps=LADDER)
    SLAPolicy.objects.filter(pk=setup["policy"].pk).update(position=5)
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False):
        good = _open(scoped, customer, setup["type"])
        bad = ticket_open(organization=scoped, customer=customer, subject="抖音订单", description="",
                          channel="douyin", type=setup["type"])
    assert bad.sla_policy.name == "坏"
    # The calendar's hours were damaged behind the validation's back (a raw import, a hand-edited row).
    BusinessCalendar.objects.filter(pk=broken_calendar.pk).update(weekly_hours={"mon": ["late-early"]},
                                                                  updated_at=sh(2026, 11, 23, 9, 1))
    now = sh(2026, 11, 23, 10, 30)
    with time_machine.travel(now, tick=False):
        assert sla_sweep(now=now) == 2
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.escalation_level == 1 and len(_kinds(good, Kind.ESCALATED)) == 1
    assert bad.escalation_level == 0 and _kinds(bad, Kind.ESCALATED) == []
    assert bad.next_escalation_at == now + timedelta(minutes=5)  # looked at again later, not every 30 s
