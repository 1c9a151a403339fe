"""SLA on tickets: choosing the policy, computing due times on its business calendar, pausing the clock while
the team waits for the customer, and the escalation sweep.

Invariants:
- first response and resolution are due `target + paused_minutes` business minutes after the ticket was opened
  (pausing shifts them by the business time paused, so recomputing after a priority change gives the same shift);
- the next response is due `target` business minutes after the customer's message that started it, shifted the
  same way by a pause;
- `next_escalation_at` is the moment the sweep must look at the ticket (the next ladder step, or the first breach
  still to record); NULL while paused, resolved, closed or under no policy, so the sweep's index stays small;
- `escalation_level` counts the ladder steps passed (applied, or skipped because their clock was not running);
  the sweep applies the step at that level under the ticket's row lock and increments it in the same
  transaction as the step's notifications, so a step runs exactly once however many sweeps run at once.
"""

import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from notifications.models import Notification
from notifications.services import Notice, notify, notify_many
from scrm.models import AgentProfile, SettingsChange, Team, User
from scrm.platform.audit import settings_change_record, settings_object_delete
from scrm.platform.coded import coded, coded_messages_register
from scrm.platform.tenancy import platform_scope, tenant_scope, tenant_sql
from sla.calendar import (
    Calendar,
    add_business_minutes,
    business_minutes_between,
    subtract_business_minutes,
)
from sla.models import (
    MSG_TARGET_DUPLICATE,
    PRESET_7X12,
    PRESET_24X7,
    BusinessCalendar,
    CalendarDay,
    EscalationStep,
    Metric,
    SLAPolicy,
    SLATarget,
    escalation_ladder_check,
    spans_from_text,
)
from tickets.models import Queue, Ticket, TicketEvent
from tickets.services._core import assignee_apply, event_write, ref, ticket_lock
from tickets.services.assignment import assign_by_strategy

logger = logging.getLogger(__name__)

Status = Ticket.Status
Kind = TicketEvent.Kind
Trigger = EscalationStep.Trigger

CLOCK_STOPPED = (Status.RESOLVED, Status.CLOSED)
AT_RISK_SHARE = 0.25  # a target is "at risk" when a quarter of it is left
RETRY_AFTER_ERROR = timedelta(minutes=5)

SLA_FIELDS = ["sla_policy", "first_response_due_at", "next_response_due_at", "resolution_due_at", "sla_warn_at",
              "next_escalation_at", "escalation_level", "paused_since", "paused_minutes", "sla_breached"]


# --- calendars ----------------------------------------------------------------------------------------------------

_calendar_cache = {}


def calendar_value(calendar):
    """The pure `Calendar` of a BusinessCalendar row (weekly hours, holidays, make-up days), cached per version
    (`updated_at`, which the calendar services and the admin bump when a day changes)."""
    key = (calendar.pk, calendar.updated_at)
    value = _calendar_cache.get(key)
    if value is None:
        days = CalendarDay.objects.filter(calendar_id=calendar.pk).values_list("date", "kind", "spans")
        holidays, makeup = set(), []
        for day, kind, spans in days:
            if kind == CalendarDay.Kind.HOLIDAY:
                holidays.add(day)
            else:
                makeup.append((day, spans_from_text(spans, day=str(day), field="spans")))
        value = Calendar(weekly=calendar.weekly_spans(), tz=calendar.time_zone, holidays=frozenset(holidays),
                         makeup=tuple(makeup))
        if len(_calendar_cache) > 256:
            _calendar_cache.clear()
        _calendar_cache[key] = value
    return value


def china_holiday_years():
    years = {day.year for day in chinese_calendar.holidays}
    return min(years), max(years)


@transaction.atomic
def calendar_seed_china_holidays(*, calendar, years=None):
    """Put the mainland China public holidays and 调休 make-up working days of `years` (default: every year the
    chinese-calendar package covers from last year on) into the calendar. Days ops entered by hand win; the
    seeded ones are replaced, so running it twice changes nothing. Returns how many days were written."""
    first, last = china_holiday_years()
    if years is None:
        this_year = timezone.localdate().year
        years = range(max(first, this_year - 1), last + 1)
    years = set(years)
    with tenant_scope(calendar.organization_id):
        manual = set(CalendarDay.objects.filter(calendar=calendar, source=CalendarDay.Source.MANUAL)
                     .values_list("date", flat=True))
        CalendarDay.objects.filter(calendar=calendar, source=CalendarDay.Source.CHINA, date__year__in=years).delete()
        rows = []
        for kind, source in ((CalendarDay.Kind.HOLIDAY, chinese_calendar.holidays),
                             (CalendarDay.Kind.WORKDAY, chinese_calendar.workdays)):
            for day, name in source.items():
                if day.year in years and day not in manual:
                    rows.append(CalendarDay(organization_id=calendar.organization_id, calendar=calendar, date=day,
                                            kind=kind, name=str(name)[:50], source=CalendarDay.Source.CHINA))
        CalendarDay.objects.bulk_create(rows)
        calendar.save(update_fields=["updated_at"])
        return len(rows)


DEFAULT_CALENDARS = (
    ("7×24", BusinessCalendar.Preset.H24X7, PRESET_24X7, False),
    ("7×12 08:00–20:00", BusinessCalendar.Preset.H7X12, PRESET_7X12, True),
)


MSG_CALENDAR_NAME_TAKEN = gettext_lazy("A business calendar is already named “%(name)s”.")


def _calendar_write(calendar):
    """Save a calendar, turning the (organization, name) constraint into a message on the name: the database
    decides (two ops saving the same name at once), never a check before the write."""
    try:
        with transaction.atomic():
            calendar.save()
    except IntegrityError:
        raise ValidationError({"name": MSG_CALENDAR_NAME_TAKEN % {"name": calendar.name}}) from None


def _calendar_detail(calendar):
    return {"name": calendar.name, "time_zone": calendar.time_zone, "weekly_hours": calendar.weekly_hours,
            "follows_china_holidays": calendar.follows_china_holidays}


@transaction.atomic
def calendar_create(*, organization, name, weekly_hours, time_zone="Asia/Shanghai",
                    preset=BusinessCalendar.Preset.CUSTOM, follows_china_holidays=True, by=None):
    """A validated calendar (no working time, overlapping spans or an unknown zone: ValidationError, nothing
    saved), seeded with the China holidays when it follows them."""
    with tenant_scope(organization):
        calendar = BusinessCalendar(organization=organization, name=name, weekly_hours=weekly_hours,
                                    time_zone=time_zone, preset=preset,
                                    follows_china_holidays=follows_china_holidays)
        calendar.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        _calendar_write(calendar)
        if follows_china_holidays:
            calendar_seed_china_holidays(calendar=calendar)
        if by is not None:  # the organization's preset calendars are set up by the platform, not changed by ops
            settings_change_record(instance=calendar, by=by, action=SettingsChange.Action.CREATED,
                                   detail=_calendar_detail(calendar))
        return calendar


@transaction.atomic
def calendars_ensure_defaults(*, organization):
    """The organization's preset calendars (7×24, and 7×12 following the China holidays), created once."""
    with tenant_scope(organization):
        existing = {c.name: c for c in BusinessCalendar.objects.filter(name__in=[n for n, *_ in DEFAULT_CALENDARS])}
        result = []
        for name, preset, hours, china in DEFAULT_CALENDARS:
            calendar = existing.get(name) or calendar_create(
                organization=organization, name=name, weekly_hours=hours, preset=preset,
                follows_china_holidays=china,
            )
            result.append(calendar)
        return result


# What the seed_holidays command prints per calendar.
MSG_HOLIDAYS_SEEDED = gettext_lazy("%(organization)s · %(calendar)s: %(count)s days written (the holiday table covers "
                                   "%(first)s-%(last)s).")
MSG_DAY_TAKEN = gettext_lazy("%(date)s is already in this calendar: edit that day instead.")
MSG_IMPORT_LINE = gettext_lazy("Line %(line)s: %(reason)s")
MSG_IMPORT_FORMAT = gettext_lazy("write “date, kind, name”, e.g. “2027-01-01, 休, 元旦”")
MSG_IMPORT_DATE = gettext_lazy("“%(value)s” is not a date (YYYY-MM-DD)")
MSG_IMPORT_KIND = gettext_lazy("“%(value)s” is not a kind: write 休 (holiday) or 班 (make-up working day)")
MSG_IMPORT_TWICE = gettext_lazy("%(date)s is listed twice")
MSG_IMPORT_EMPTY = gettext_lazy("Paste at least one line: date, kind, name.")

IMPORT_KINDS = {
    "休": CalendarDay.Kind.HOLIDAY, "假": CalendarDay.Kind.HOLIDAY, "假日": CalendarDay.Kind.HOLIDAY,
    "节假日": CalendarDay.Kind.HOLIDAY, "放假": CalendarDay.Kind.HOLIDAY, "holiday": CalendarDay.Kind.HOLIDAY,
    "班": CalendarDay.Kind.WORKDAY, "补班": CalendarDay.Kind.WORKDAY, "上班": CalendarDay.Kind.WORKDAY,
    "调休上班": CalendarDay.Kind.WORKDAY, "workday": CalendarDay.Kind.WORKDAY,
}


@transaction.atomic
def calendar_update(*, calendar, by, name, weekly_hours, time_zone, follows_china_holidays):
    """Change a calendar's name, week and zone (validated like a new one: ValidationError, nothing saved). A
    calendar that starts following the China holidays gets them seeded."""
    with tenant_scope(calendar.organization_id):
        started_following = follows_china_holidays and not calendar.follows_china_holidays
        calendar.name, calendar.weekly_hours, calendar.time_zone = name, weekly_hours, time_zone
        calendar.follows_china_holidays = follows_china_holidays
        calendar.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        _calendar_write(calendar)
        if started_following:
            calendar_seed_china_holidays(calendar=calendar)
        settings_change_record(instance=calendar, by=by, action=SettingsChange.Action.CHANGED,
                               detail=_calendar_detail(calendar))
        return calendar


def _day_write(day):
    """Save a day, turning the (organization, calendar, date) constraint into a message on the date."""
    try:
        with transaction.atomic():
            day.save()
    except IntegrityError:
        raise ValidationError({"date": MSG_DAY_TAKEN % {"date": day.date}}) from None


@transaction.atomic
def calendar_day_save(*, calendar, by, date, kind, name="", spans=(), day=None):
    """Add a holiday or make-up working day to a calendar (or change `day`). Days ops enter are never replaced
    by the China seeding. The calendar's version moves, so due times computed from now on see the day."""
    with tenant_scope(calendar.organization_id):
        created = day is None
        if created:
            day = CalendarDay(organization_id=calendar.organization_id, calendar=calendar)
        day.date, day.kind, day.name, day.spans = date, kind, name, list(spans or ())
        day.source = CalendarDay.Source.MANUAL
        day.full_clean(exclude=["organization", "calendar"])
        _day_write(day)
        calendar.save(update_fields=["updated_at"])
        settings_change_record(instance=calendar, by=by,
                               action=SettingsChange.Action.CHANGED,
                               detail={"day": str(day.date), "kind": day.kind, "name": day.name,
                                       "spans": day.spans, "day_action": "created" if created else "changed"})
        return day


@transaction.atomic
def calendar_day_delete(*, day, by):
    with tenant_scope(day.organization_id):
        calendar = day.calendar
        detail = {"day": str(day.date), "kind": day.kind, "name": day.name, "day_action": "deleted"}
        day.delete()
        calendar.save(update_fields=["updated_at"])
        settings_change_record(instance=calendar, by=by, action=SettingsChange.Action.CHANGED, detail=detail)


def calendar_days_parse(text):
    """Pasted table lines "date, kind, name" (commas, tabs or spaces; kind 休/班 or holiday/workday) ->
    [(date, kind, name)], or a ValidationError listing every bad line."""
    rows, errors, seen = [], [], set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in re.split(r"\s*[,，\t]\s*|\s+", line, maxsplit=2) if p.strip()]
        if len(parts) < 2:
            errors.append(MSG_IMPORT_LINE % {"line": number, "reason": MSG_IMPORT_FORMAT})
            continue
        try:
            day = date.fromisoformat(parts[0].replace("/", "-"))
        except ValueError:
            errors.append(MSG_IMPORT_LINE % {"line": number, "reason": MSG_IMPORT_DATE % {"value": parts[0]}})
            continue
        kind = IMPORT_KINDS.get(parts[1].lower())
        if kind is None:
            errors.append(MSG_IMPORT_LINE % {"line": number, "reason": MSG_IMPORT_KIND % {"value": parts[1]}})
            continue
        if day in seen:
            errors.append(MSG_IMPORT_LINE % {"line": number, "reason": MSG_IMPORT_TWICE % {"date": day}})
            continue
        seen.add(day)
        rows.append((day, kind, (parts[2] if len(parts) > 2 else "")[:50]))
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(MSG_IMPORT_EMPTY)
    return rows


@transaction.atomic
def calendar_days_import(*, calendar, by, text):
    """Import a year's official schedule pasted as a table (see calendar_days_parse): every line or none. A
    date already in the calendar takes the imported kind and name. Returns how many days were written."""
    rows = calendar_days_parse(text)
    with tenant_scope(calendar.organization_id):
        CalendarDay.objects.filter(calendar=calendar, date__in=[day for day, _kind, _name in rows]).delete()
        CalendarDay.objects.bulk_create([
            CalendarDay(organization_id=calendar.organization_id, calendar=calendar, date=day, kind=kind, name=name,
                        source=CalendarDay.Source.MANUAL)
            for day, kind, name in rows])
        calendar.save(update_fields=["updated_at"])
        years = sorted({day.year for day, _kind, _name in rows})
        settings_change_record(instance=calendar, by=by, action=SettingsChange.Action.IMPORTED,
                               detail={"days": len(rows), "years": years})
        return len(rows)


# --- policies -----------------------------------------------------------------------------------------------------

MSG_POLICY_NAME_TAKEN = gettext_lazy("An SLA policy is already named “%(name)s”.")


def _policy_detail(policy, targets, steps):
    return {
        "calendar": policy.calendar_id, "is_active": policy.is_active, "position": policy.position,
        "targets": {f"P{t.priority}": [t.first_response_minutes, t.next_response_minutes, t.resolution_minutes]
                    for t in targets},
        "steps": [f"{s.metric}/{s.trigger}/{s.trigger_value}" for s in steps],
    }


@transaction.atomic
def sla_policy_save(*, policy, targets, steps, by=None):
    """Save a policy with its targets and ladder as one thing: any bad part (zero or negative target, a step
    without action, a ladder out of order, two target rows for one priority) raises ValidationError and nothing
    is saved; a saved policy writes one row of the settings audit trail (`by`: who, None for a command).

    `targets`: SLATarget instances (unsaved or not); `steps`: EscalationStep instances in ladder order.
    """
    created = policy.pk is None
    with tenant_scope(policy.organization_id):
        policy.full_clean(validate_unique=False, validate_constraints=False)
        for target in targets:
            target.organization_id, target.policy = policy.organization_id, policy
            target.full_clean(exclude=["policy"])
        for position, step in enumerate(steps, start=1):
            step.organization_id, step.policy, step.position = policy.organization_id, policy, position
            step.full_clean(exclude=["policy"])
        escalation_ladder_check(steps)
        if len({t.priority for t in targets}) != len(targets):
            raise ValidationError(MSG_TARGET_DUPLICATE)
        try:
            with transaction.atomic():
                policy.save()
        except IntegrityError:  # the (organization, name) constraint decides, not a check before the write
            raise ValidationError({"name": MSG_POLICY_NAME_TAKEN % {"name": policy.name}}) from None
        SLATarget.objects.filter(policy=policy).exclude(pk__in=[t.pk for t in targets if t.pk]).delete()
        EscalationStep.objects.filter(policy=policy).exclude(pk__in=[s.pk for s in steps if s.pk]).delete()
        for item in (*targets, *steps):
            item.policy = policy
            item.save()
        settings_change_record(instance=policy, by=by, detail=_policy_detail(policy, targets, steps),
                               action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED)
        return policy


@transaction.atomic
def sla_policy_delete(*, policy, by):
    """Delete a policy no ticket was given (its targets and ladder go with it); else ValidationError: switch it off
    instead, so the tickets it timed keep their policy."""
    with tenant_scope(policy.organization_id):
        settings_object_delete(instance=policy, by=by, parts=(SLATarget, EscalationStep), switch_off=True,
                               detail={"name": policy.name, **_policy_detail(policy, [], [])})


@transaction.atomic
def calendar_delete(*, calendar, by):
    """Delete a calendar no policy uses (its days go with it); else ValidationError naming the policies."""
    with tenant_scope(calendar.organization_id):
        settings_object_delete(instance=calendar, by=by, parts=(CalendarDay,), detail=_calendar_detail(calendar))


@dataclass(frozen=True)
class Plan:
    policy: SLAPolicy
    target: SLATarget
    steps: tuple
    calendar: Calendar


def _plan(policy, priority):
    target = next((t for t in policy.targets.all() if t.priority == priority), None)
    if target is None:
        return None
    steps = tuple(sorted(policy.steps.all(), key=lambda s: (s.position, s.pk)))
    return Plan(policy=policy, target=target, steps=steps, calendar=calendar_value(policy.calendar))


def _policies():
    return (SLAPolicy.objects.filter(is_active=True).select_related("calendar")
            .prefetch_related("targets", "steps").order_by("position", "pk"))


def sla_policy_match(ticket, policies=None):
    """The first active policy (by position) whose every set condition matches and that has a target for the
    ticket's priority, as a Plan; None when none applies."""
    level = None
    for policy in _policies() if policies is None else policies:
        if policy.queue_id and policy.queue_id != ticket.queue_id:
            continue
        if policy.ticket_type_id and policy.ticket_type_id != ticket.type_id:
            continue
        if policy.priority and policy.priority != ticket.priority:
            continue
        if policy.channel and policy.channel != ticket.channel:
            continue
        if policy.customer_level:
            if level is None:
                # An internal ticket (no customer) has no level: a policy for a customer level never matches it.
                level = ticket.customer.level if ticket.customer_id else ""
            if policy.customer_level != level:
                continue
        plan = _plan(policy, ticket.priority)
        if plan is not None:
            return plan
    return None


def _plan_of(ticket):
    """The plan of the ticket's current policy (not re-matched)."""
    if ticket.sla_policy_id is None:
        return None
    policy = (SLAPolicy.objects.select_related("calendar").prefetch_related("targets", "steps")
              .filter(pk=ticket.sla_policy_id).first())
    return None if policy is None else _plan(policy, ticket.priority)


# --- the ticket's clock -------------------------------------------------------------------------------------------

def running_dues(ticket):
    """{metric: due} of the clocks running on the ticket (stopped: answered, resolved, closed)."""
    if ticket.status in CLOCK_STOPPED:
        return {}
    dues = {}
    if ticket.first_response_at is None and ticket.first_response_due_at:
        dues[Metric.FIRST_RESPONSE] = ticket.first_response_due_at
    if ticket.next_response_due_at:
        dues[Metric.NEXT_RESPONSE] = ticket.next_response_due_at
    if ticket.resolution_due_at:
        dues[Metric.RESOLUTION] = ticket.resolution_due_at
    return dues


def step_due(step, dues, plan):
    """When a ladder step fires, or None when its metric's clock is not running."""
    due = dues.get(step.metric)
    if due is None:
        return None
    if step.trigger == Trigger.PERCENT:
        minutes = plan.target.minutes(step.metric) or 0
        return subtract_business_minutes(plan.calendar, due, minutes * (100 - step.trigger_value) / 100)
    if step.trigger == Trigger.AFTER_BREACH:
        return add_business_minutes(plan.calendar, due, step.trigger_value)
    return due


def _schedule(ticket, plan):
    """Set sla_warn_at and next_escalation_at from the running clocks and the ladder position."""
    dues = running_dues(ticket) if plan is not None else {}
    if not dues:
        ticket.sla_warn_at = ticket.next_escalation_at = None
        return
    ticket.sla_warn_at = min(
        subtract_business_minutes(plan.calendar, due, (plan.target.minutes(metric) or 0) * AT_RISK_SHARE)
        for metric, due in dues.items()
    )
    if ticket.paused_since is not None:
        ticket.next_escalation_at = None
        return
    moments = []
    for step in plan.steps[ticket.escalation_level:]:
        moment = step_due(step, dues, plan)
        if moment is not None:
            moments.append(moment)
            break
    if not ticket.sla_breached:
        moments.append(min(dues.values()))
    ticket.next_escalation_at = min(moments) if moments else None


def _iso(moment):
    return moment.isoformat() if moment else None


def _dues_snapshot(ticket):
    return {"first_response_due": _iso(ticket.first_response_due_at),
            "next_response_due": _iso(ticket.next_response_due_at),
            "resolution_due": _iso(ticket.resolution_due_at)}


def sla_recompute(ticket, *, actor=None, reason):
    """Choose the policy of a locked ticket and compute its due times (opening, priority/type/queue change).

    Keeps the ladder position while the policy stays (a raised priority must not repeat the steps done); a new
    policy starts its ladder from the top. Writes an `sla_applied` event when anything changed.
    """
    plan = sla_policy_match(ticket)
    paused_now = False
    before = {"policy": ticket.sla_policy_id, **_dues_snapshot(ticket)}
    if plan is None:
        if ticket.sla_policy_id is None:
            return ticket
        ticket.sla_policy = None
        ticket.first_response_due_at = ticket.next_response_due_at = ticket.resolution_due_at = None
        ticket.escalation_level = 0
        _schedule(ticket, None)
    else:
        if plan.policy.pk != ticket.sla_policy_id:
            ticket.sla_policy = plan.policy
            ticket.escalation_level = 0
            ticket.sla_breached = False
        start, paused, cal = ticket.created_at, ticket.paused_minutes, plan.calendar
        ticket.first_response_due_at = add_business_minutes(cal, start, plan.target.first_response_minutes + paused)
        ticket.resolution_due_at = add_business_minutes(cal, start, plan.target.resolution_minutes + paused)
        # A target already answered late stays missed under the new times too.
        if (ticket.first_response_at and ticket.first_response_at > ticket.first_response_due_at) or (
                ticket.resolved_at and ticket.resolved_at > ticket.resolution_due_at):
            ticket.sla_breached = True
        if not plan.target.next_response_minutes:
            ticket.next_response_due_at = None
        paused_now = ticket.status == Status.PENDING and ticket.paused_since is None
        if paused_now:
            # A ticket already waiting on the customer when a policy first reaches it: its clock starts paused, as
            # it would have paused had the policy been there when it went pending (sla_on_status).
            ticket.paused_since = timezone.now()
        _schedule(ticket, plan)
    after = {"policy": ticket.sla_policy_id, **_dues_snapshot(ticket)}
    ticket.save(update_fields=[*SLA_FIELDS, "updated_at"])
    if after != before:
        after["policy"] = ref(plan.policy) if plan else None
        after["reason"] = reason
        event_write(ticket, Kind.SLA_APPLIED, actor=actor, before=before, after=after)
    if paused_now:
        event_write(ticket, Kind.SLA_PAUSED, actor=actor, after={"since": _iso(ticket.paused_since)})
    return ticket


@transaction.atomic
def ticket_sla_apply(*, ticket, actor=None, reason="recomputed"):
    """Choose the ticket's policy afresh and recompute its due times (e.g. after ops changed the policies)."""
    with tenant_scope(ticket.organization_id):
        return sla_recompute(ticket_lock(ticket), actor=actor, reason=reason)


def sla_on_status(ticket, *, before, actor=None):
    """A locked ticket's status moved from `before` to `ticket.status`: pause, resume, or stop the clock."""
    if ticket.sla_policy_id is None or before == ticket.status:
        return
    plan = _plan_of(ticket)
    if plan is None:
        return
    now = timezone.now()
    if ticket.status == Status.PENDING and ticket.paused_since is None:
        ticket.paused_since = now
        event_write(ticket, Kind.SLA_PAUSED, actor=actor, after={"since": _iso(now)})
    elif before == Status.PENDING and ticket.paused_since is not None:
        minutes = math.ceil(max(0.0, business_minutes_between(plan.calendar, ticket.paused_since, now)))
        snapshot = _dues_snapshot(ticket)
        for name in ("first_response_due_at", "next_response_due_at", "resolution_due_at"):
            due = getattr(ticket, name)
            if due is not None and minutes:
                setattr(ticket, name, add_business_minutes(plan.calendar, due, minutes))
        ticket.paused_minutes += minutes
        ticket.paused_since = None
        event_write(ticket, Kind.SLA_RESUMED, actor=actor, before=snapshot,
                    after={"paused_minutes": minutes, **_dues_snapshot(ticket)})
    if ticket.status == Status.RESOLVED and ticket.resolution_due_at and ticket.resolved_at:
        ticket.sla_breached = ticket.sla_breached or ticket.resolved_at > ticket.resolution_due_at
    if ticket.status in CLOCK_STOPPED:
        ticket.next_response_due_at = None
    _schedule(ticket, plan)
    ticket.save(update_fields=SLA_FIELDS)


def sla_on_public_reply(ticket, *, at):
    """An agent's public reply on a locked ticket: it answers the first response (stamped by the caller) and the
    running next response."""
    if ticket.sla_policy_id is None:
        return
    plan = _plan_of(ticket)
    if plan is None:
        return
    if ticket.first_response_at == at and ticket.first_response_due_at and at > ticket.first_response_due_at:
        ticket.sla_breached = True
    if ticket.next_response_due_at is not None and at > ticket.next_response_due_at:
        ticket.sla_breached = True
    ticket.next_response_due_at = None
    _schedule(ticket, plan)
    ticket.save(update_fields=SLA_FIELDS)


def sla_on_customer_message(ticket, *, at):
    """A customer's message on a locked ticket already answered once starts the next-response clock (unless it
    is running already)."""
    if ticket.sla_policy_id is None or ticket.first_response_at is None or ticket.next_response_due_at:
        return
    plan = _plan_of(ticket)
    if plan is None or not plan.target.next_response_minutes:
        return
    ticket.next_response_due_at = add_business_minutes(plan.calendar, at, plan.target.next_response_minutes)
    _schedule(ticket, plan)
    ticket.save(update_fields=SLA_FIELDS)
    event_write(ticket, Kind.SLA_APPLIED, after={"next_response_due": _iso(ticket.next_response_due_at),
                                                 "reason": "customer_message"})


# --- escalation actions -------------------------------------------------------------------------------------------

def supervisor_of(ticket):
    """Who answers for the ticket: the assignee's supervisor, else the leader of the ticket's team, else the
    leader of its queue's team."""
    if ticket.assignee_id:
        profile = AgentProfile.objects.filter(user_id=ticket.assignee_id).select_related("supervisor").first()
        if profile is not None and profile.supervisor_id:
            return profile.supervisor
    for team in (ticket.team, ticket.queue.team if ticket.queue_id and ticket.queue else None):
        if team is not None and team.leader_id:
            return User.objects.filter(pk=team.leader_id).first()
    return None


def _team_members(team):
    users = list(User.objects.filter(agent_profile__team=team, is_active=True))
    if team.leader_id and all(u.pk != team.leader_id for u in users):
        users.extend(User.objects.filter(pk=team.leader_id))
    return users


# A notification's title says which target of which ticket and how far along it is, readable in a list of them.
_ESCALATION_TITLES = {
    Trigger.PERCENT: gettext_lazy("SLA: ticket %(number)s has used %(value)s%% of its %(metric)s time"),
    Trigger.BREACH: gettext_lazy("SLA: ticket %(number)s missed its %(metric)s target"),
    Trigger.AFTER_BREACH: gettext_lazy("SLA: ticket %(number)s missed its %(metric)s target %(value)s min ago"),
}
ESCALATION_BODY = gettext_lazy("%(metric)s due %(due)s · %(subject)s")
# The metric as a title says it, mid-sentence ("missed its first-response target"); the body starts with its label
# ("First response due …"). Chinese words both alike.
_METRIC_IN_SENTENCE = {
    Metric.FIRST_RESPONSE: pgettext_lazy("an SLA target, mid-sentence", "first-response"),
    Metric.NEXT_RESPONSE: pgettext_lazy("an SLA target, mid-sentence", "next-response"),
    Metric.RESOLUTION: pgettext_lazy("an SLA target, mid-sentence", "resolution"),
}
# Stored as codes (scrm.platform.coded) and worded in each reader's language; the metric is a code of its own.
coded_messages_register({
    **{f"sla.escalation_{trigger}": title for trigger, title in _ESCALATION_TITLES.items()},
    "sla.escalation_body": ESCALATION_BODY,
    **{f"sla.metric_{metric.value}": metric.label for metric in Metric},
    **{f"sla.metric_in_sentence_{metric.value}": words for metric, words in _METRIC_IN_SENTENCE.items()},
})


def _step_texts(step):
    """The step's title code and its metric's coded texts (as the title says it, as the body does), worked out
    once per step object (a sweep batch shares them)."""
    texts = getattr(step, "_texts", None)
    if texts is None:
        texts = step._texts = (f"sla.escalation_{step.trigger}", coded(f"sla.metric_in_sentence_{step.metric}"),
                               coded(f"sla.metric_{step.metric}"))
    return texts


def _trigger_code(step):
    """The step's trigger as the `escalated` event keeps it, in no language (the timeline words it for its reader):
    "75%", "breach" or "breach+30" (minutes after the breach)."""
    if step.trigger == Trigger.PERCENT:
        return f"{step.trigger_value}%"
    if step.trigger == Trigger.AFTER_BREACH:
        return f"breach+{step.trigger_value}"
    return "breach"


def _escalation_text(ticket, step, metric_due, zone=None):
    title_code, metric_in_sentence, metric = _step_texts(step)
    value = {} if step.trigger_value is None else {"value": step.trigger_value}  # none at breach
    title = coded(title_code, number=ticket.number, metric=metric_in_sentence, **value)
    local = timezone.localtime(metric_due, zone).strftime("%Y-%m-%d %H:%M")
    body = coded("sla.escalation_body", metric=metric, due=local, subject=ticket.subject)
    return title, body


def escalation_step_apply(ticket, step, *, plan, dues, level, out=None):
    """Run one step's actions on a locked ticket and write its `escalated` event. `out`: the sweep's batch
    writer, which inserts the notifications and events of a whole batch at once."""
    title, body = _escalation_text(ticket, step, dues[step.metric], out.zone if out is not None else None)
    channels = [name for name, on in (("wecom", step.via_wecom), ("sms", step.via_sms)) if on]
    recipients, done = {}, []
    supervisor = None
    if step.notify_supervisor or step.reassign_to_supervisor:
        supervisor = out.supervisor(ticket) if out is not None else supervisor_of(ticket)
    if step.notify_assignee:
        if ticket.assignee_id:
            recipients[ticket.assignee_id] = ticket.assignee
        done.append("notify_assignee")
    if step.notify_supervisor:
        if supervisor is not None:
            recipients[supervisor.pk] = supervisor
        done.append("notify_supervisor")
    if step.notify_team_id:
        for user in (out.team_members(step.notify_team) if out is not None else _team_members(step.notify_team)):
            recipients[user.pk] = user
        done.append("notify_team")
    kind = Notification.Kind.SLA_WARNING if step.trigger == Trigger.PERCENT else Notification.Kind.SLA_BREACH
    for user in recipients.values():
        if out is not None:
            out.notify(recipient=user, ticket=ticket, kind=kind, title=title, body=body, channels=channels)
        else:
            notify(recipient=user, ticket=ticket, kind=kind, title=title, body=body, channels=channels)
    after = {"step": step.pk, "level": level, "metric": step.metric, "trigger": _trigger_code(step),
             "notified": sorted(recipients), "channels": channels}
    if step.raise_priority and ticket.priority > Ticket.Priority.P1:
        before_priority = ticket.priority
        ticket.priority -= 1
        ticket.save(update_fields=["priority", "updated_at"])
        event_write(ticket, Kind.PRIORITY, before={"priority": before_priority},
                    after={"priority": ticket.priority, "reason": "escalation"})
        done.append("raise_priority")
    if step.reassign_queue_id and step.reassign_queue_id != ticket.queue_id:
        queue = step.reassign_queue
        before = {"queue": ref(ticket.queue), "assignee": ref(ticket.assignee)}
        if ticket.assignee_id is not None:
            assignee_apply(ticket, None, actor=None, via="escalation", event=False)
        ticket.queue, ticket.team = queue, queue.team
        ticket.save(update_fields=["queue", "team", "updated_at"])
        event_write(ticket, Kind.TRANSFERRED, before=before,
                    after={"queue": ref(queue), "team": ref(queue.team), "reason": "escalation"})
        assign_by_strategy(ticket)
        done.append("reassign_queue")
    elif step.reassign_to_supervisor and supervisor is not None and supervisor.pk != ticket.assignee_id:
        assignee_apply(ticket, supervisor, actor=None, via="escalation")
        done.append("reassign_to_supervisor")
    after["actions"] = done
    if out is not None:
        out.event(ticket, Kind.ESCALATED, after=after)
    else:
        event_write(ticket, Kind.ESCALATED, after=after)


def _escalate(ticket, plan, now, out=None):
    """Apply every ladder step of a locked ticket that is due at `now`, record a breach, and schedule the next."""
    while ticket.escalation_level < len(plan.steps):
        dues = running_dues(ticket)
        step = plan.steps[ticket.escalation_level]
        moment = step_due(step, dues, plan)
        if moment is not None and moment > now:
            break
        ticket.escalation_level += 1
        if moment is None:
            continue  # its clock is not running (answered, or no next response asked): skipped
        priority = ticket.priority
        escalation_step_apply(ticket, step, plan=plan, dues=dues, level=ticket.escalation_level, out=out)
        if ticket.priority != priority:
            # The targets of the new priority apply from now on; the rest of the ladder waits for its new times.
            if out is not None:
                out.flush()  # the recompute below writes directly: keep the events in order
            ticket.save(update_fields=SLA_FIELDS)
            sla_recompute(ticket, reason="escalation")
            _not_before(ticket, now)
            return
    dues = running_dues(ticket)
    if not ticket.sla_breached and dues and min(dues.values()) <= now:
        ticket.sla_breached = True
        metric = min(dues, key=dues.get)
        breach = {"breached": metric, "due": _iso(dues[metric])}
        if out is not None:
            out.event(ticket, Kind.ESCALATED, after=breach)
        else:
            event_write(ticket, Kind.ESCALATED, after=breach)
    _schedule(ticket, plan)
    _not_before(ticket, now, out)


def _not_before(ticket, now, out=None):
    # A step due already but not applied in this pass (a recompute moved it) is looked at in the next sweep.
    if ticket.next_escalation_at is not None and ticket.next_escalation_at <= now:
        ticket.next_escalation_at = now + timedelta(seconds=1)
    if out is not None:
        out.tickets.append(ticket)
    else:
        ticket.save(update_fields=SLA_FIELDS)


def _sweep_ticket(ticket, now, policies, out=None):
    policy = policies.get(ticket.sla_policy_id)
    if policy is None:
        plan = None
    else:
        plan = out.plan(policy, ticket.priority) if out is not None else _plan(policy, ticket.priority)
    if plan is None or ticket.paused_since is not None or ticket.status in CLOCK_STOPPED:
        ticket.next_escalation_at = None  # nothing to time: the row leaves the sweep's index
        if out is not None:
            out.tickets.append(ticket)
        else:
            ticket.save(update_fields=["next_escalation_at"])
        return
    _escalate(ticket, plan, now, out)


class _Batch:
    """One organization's share of a locked batch: what its tickets have in common worked out once (plans,
    supervisors, team members: a few queries for the batch, not some per ticket), and its writes made in a few
    statements: the notifications (with their outbox deliveries) through one `notify_many`, the events in one
    INSERT, the tickets' SLA columns in one UPDATE."""

    def __init__(self, organization_id, tickets):
        self.organization_id = organization_id
        self.events, self.tickets, self.notifications = [], [], []
        self._batch = tickets
        self.zone = timezone.get_current_timezone()  # looked up once: a context-local read costs per ticket
        self._plans, self._members = {}, {}
        self._profiles = self._queue_teams = self._team_leaders = self._leaders = None

    def plan(self, policy, priority):
        key = (policy.pk, priority)
        if key not in self._plans:
            self._plans[key] = _plan(policy, priority)
        return self._plans[key]

    def supervisor(self, ticket):
        """`supervisor_of(ticket)`, from what is loaded for the whole batch on the first call. Keyed by the
        ticket's assignee, team and queue as they are now: a step of this sweep may have reassigned it."""
        if self._profiles is None:
            self._load_supervisors()
        if ticket.assignee_id:
            if ticket.assignee_id not in self._profiles:  # assigned during this sweep to someone new
                self._profiles.update(self._supervisors_of_users([ticket.assignee_id]))
            supervisor = self._profiles[ticket.assignee_id]
            if supervisor is not None:
                return supervisor
        for team_id in (ticket.team_id, self._queue_team(ticket.queue_id)):
            leader_id = self._team_leader(team_id)
            if leader_id:
                return self._leader(leader_id)
        return None

    def _load_supervisors(self):
        batch = self._batch
        self._profiles = self._supervisors_of_users({t.assignee_id for t in batch if t.assignee_id})
        self._queue_teams = dict(Queue.objects.filter(pk__in={t.queue_id for t in batch if t.queue_id})
                                 .values_list("pk", "team_id"))
        team_ids = {t.team_id for t in batch if t.team_id} | {pk for pk in self._queue_teams.values() if pk}
        self._team_leaders = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "leader_id"))
        leader_ids = {pk for pk in self._team_leaders.values() if pk}
        self._leaders = {user.pk: user for user in User.objects.filter(pk__in=leader_ids,
                                                                        organization_id=self.organization_id)}

    @staticmethod
    def _supervisors_of_users(user_ids):
        supervisors = dict.fromkeys(user_ids)
        profiles = AgentProfile.objects.filter(user_id__in=user_ids).select_related("supervisor")
        for profile in profiles:
            supervisors[profile.user_id] = profile.supervisor if profile.supervisor_id else None
        return supervisors

    def _queue_team(self, queue_id):
        if not queue_id:
            return None
        if queue_id not in self._queue_teams:  # moved during this sweep to a queue the batch did not name
            self._queue_teams[queue_id] = Queue.objects.filter(pk=queue_id).values_list("team_id", flat=True).first()
        return self._queue_teams[queue_id]

    def _team_leader(self, team_id):
        if not team_id:
            return None
        if team_id not in self._team_leaders:
            self._team_leaders[team_id] = Team.objects.filter(pk=team_id).values_list("leader_id", flat=True).first()
        return self._team_leaders[team_id]

    def _leader(self, user_id):
        if user_id not in self._leaders:
            self._leaders[user_id] = User.objects.filter(pk=user_id, organization_id=self.organization_id).first()
        return self._leaders[user_id]

    def team_members(self, team):
        if team.pk not in self._members:
            self._members[team.pk] = _team_members(team)
        return self._members[team.pk]

    def notify(self, *, recipient, ticket, kind, title, body, channels):
        self.notifications.append(Notice(recipient=recipient, kind=kind, ticket=ticket, title=title, body=body,
                                         channels=tuple(channels)))

    def event(self, ticket, kind, *, after):
        """What `event_write(ticket, kind, after=after)` writes, inserted with the batch."""
        self.events.append((ticket.pk, kind, after, timezone.now()))

    def flush(self):
        if self.notifications:
            notify_many(self.notifications)
        if self.events:
            self._events_insert()
        if self.tickets:
            self._tickets_update()
        self.events, self.tickets, self.notifications = [], [], []

    def _events_insert(self):
        # Plain tuples through one INSERT: building a TicketEvent per row and bulk_create's compiler cost more
        # than the rest of a ticket's escalation. The JSON text is what the model field sends (json.dumps).
        table = connection.ops.quote_name(TicketEvent._meta.db_table)
        rows = [(ticket_id, kind, json.dumps(after), at) for ticket_id, kind, after, at in self.events]
        tenant_sql(
            f"INSERT INTO {table} (organization_id, ticket_id, kind, actor_id, before, after, comment_id, "  # noqa: S608
            f"created_at) SELECT %(organization)s, v.ticket_id, v.kind, NULL, '{{}}'::jsonb, v.after, NULL, v.at "
            f"FROM (VALUES %(values)s) AS v (ticket_id, kind, after, at)",
            organization=self.organization_id, values=rows,
            template="(%s::bigint, %s, %s::jsonb, %s::timestamptz)", page_size=1000,
        )

    def _tickets_update(self):
        # One UPDATE ... FROM (VALUES ...) for the batch: Django's bulk_update builds a CASE per column and row,
        # which costs more than the rest of the sweep. Scoped by hand to the organization, like the manager would.
        table = connection.ops.quote_name(Ticket._meta.db_table)
        rows = [(t.pk, t.next_escalation_at, t.escalation_level, t.sla_breached, t.sla_warn_at) for t in self.tickets]
        tenant_sql(
            f"UPDATE {table} AS t SET next_escalation_at = v.next_at, escalation_level = v.level, "  # noqa: S608
            f"sla_breached = v.breached, sla_warn_at = v.warn_at "
            f"FROM (VALUES %(values)s) AS v (id, next_at, level, breached, warn_at) "
            f"WHERE t.id = v.id AND t.organization_id = %(organization)s",
            organization=self.organization_id, values=rows,
            template="(%s, %s::timestamptz, %s::smallint, %s::boolean, %s::timestamptz)", page_size=1000,
        )


def _sweep_batch(tickets, now, *, isolate):
    """Handle one locked batch, organization by organization in its scope. `isolate`: each ticket in its own
    savepoint, a failing one set aside for a few minutes (the retry path after the batch as a whole failed; the
    tickets are read again, as the failed pass may have changed the copies in hand)."""
    by_org = {}
    for ticket in sorted(tickets, key=lambda t: t.pk):
        by_org.setdefault(ticket.organization_id, []).append(ticket)
    for organization_id, group in by_org.items():
        with tenant_scope(organization_id):
            if isolate:
                group = list(Ticket.objects.filter(pk__in=[t.pk for t in group]).order_by("pk"))
            _assignees_attach(group)
            policies = {policy.pk: policy for policy in _policies_by_id({t.sla_policy_id for t in group})}
            if not isolate:
                out = _Batch(organization_id, group)
                for ticket in group:
                    _sweep_ticket(ticket, now, policies, out)
                out.flush()
                continue
            for ticket in group:
                try:
                    with transaction.atomic():
                        _sweep_ticket(ticket, now, policies)
                except Exception:
                    logger.exception("sla sweep failed on a ticket", extra={"ticket": ticket.pk})
                    Ticket.objects.filter(pk=ticket.pk).update(next_escalation_at=now + RETRY_AFTER_ERROR)


def _assignees_attach(tickets):
    """Load the tickets' assignees in one query, each user once (a batch has many tickets and few agents), as if
    by select_related: only the assignee is needed on most steps; queue and team load on demand for the rarer
    actions."""
    users = User.objects.in_bulk({t.assignee_id for t in tickets if t.assignee_id})
    cache = Ticket.assignee.field
    for ticket in tickets:
        cache.set_cached_value(ticket, users.get(ticket.assignee_id) if ticket.assignee_id else None)


def _policies_by_id(ids):
    ids = [pk for pk in ids if pk is not None]
    if not ids:
        return []
    return (SLAPolicy.objects.filter(pk__in=ids).select_related("calendar")
            .prefetch_related("targets", "steps"))


def sla_sweep(*, now=None, batch_size=500):
    """Escalate every ticket whose `next_escalation_at` has passed; returns how many tickets were looked at.

    Cross-tenant platform maintenance: each batch locks and reads its due rows in one query through the partial
    index with `FOR UPDATE SKIP LOCKED` (a concurrent sweep takes other rows, never the same), then handles them
    in their organization's scope, a few statements per organization whatever the batch's size. The batch runs
    in one savepoint; if any ticket fails, it is run again ticket by ticket so one bad ticket cannot stall the
    rest (it is looked at again in a few minutes). A worker dying mid-batch rolls the batch back and the next
    sweep picks the rows up.

    The tickets of a suspended organization are not escalated: they keep their due steps, which the first sweep
    after `organization_resume` applies (its agents then hear at once of what came due meanwhile).
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            # Lift: system machinery (beat): the due tickets of every organization, locked by time through the
            # sweep's index; each batch is then handled in its organization's scope.
            with platform_scope():
                tickets = list(
                    Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(next_escalation_at__lte=now, organization__is_active=True)
                    .order_by("next_escalation_at")[:batch_size]
                )
            try:
                with transaction.atomic():
                    _sweep_batch(tickets, now, isolate=False)
            except Exception:  # noqa: BLE001 - the batch is redone ticket by ticket, which logs the culprit
                _sweep_batch(tickets, now, isolate=True)
        total += len(tickets)
        if len(tickets) < batch_size:
            return total

