"""A ticket's SLA state as people read it: on track / at risk / breached (and paused, met, none), from the due
times the SLA services keep on the ticket. `sla_state_annotate` computes the same in SQL for lists and filters."""

from dataclasses import dataclass

from django.db.models import Case, CharField, DateTimeField, F, Q, Value, When
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sla.models import Metric
from tickets.models import Ticket


class SLAState:
    NONE = "none"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"

    choices = [
        (ON_TRACK, _("On track")), (AT_RISK, _("At risk")), (BREACHED, _("Breached")), (PAUSED, _("Paused")),
        (MET, _("Met")),
    ]
    labels = {**dict(choices), NONE: _("No SLA")}


STOPPED = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)


def sla_due_of(ticket):
    """The nearest running due time of a ticket, or None."""
    if ticket.status in STOPPED:
        return None
    dues = [ticket.next_response_due_at, ticket.resolution_due_at]
    if ticket.first_response_at is None:
        dues.append(ticket.first_response_due_at)
    dues = [due for due in dues if due is not None]
    return min(dues) if dues else None


@dataclass(frozen=True)
class SLATargets:
    """Which of a ticket's targets are missed and which one still runs, for a badge that names them: "首次响应已超时
    · 解决剩余 2小时", never "已超时 · 剩余 2小时" (a breached ticket whose resolution still has time)."""

    missed: tuple  # metrics missed and no longer running (answered or resolved late)
    overdue: tuple  # (metric, due) still running and past due, most overdue first
    upcoming: tuple | None  # (metric, due) of the nearest running target not yet due
    # The ticket was marked breached by a target none of its columns names any more (a next response answered late).
    unnamed_breach: bool
    clock: object  # the moment the targets are read at: now, or when the clock was paused (sla_clock_of)


def sla_clock_of(ticket, now):
    """The moment a ticket's due times are compared with: now, or while the clock is paused (pending) the moment it
    stopped; resuming shifts the due times by the business time paused, so a due time passing during the pause is
    not a breach."""
    if ticket.paused_since is not None and ticket.paused_since < now:
        return ticket.paused_since
    return now


def sla_targets_of(ticket, now=None):
    """The one reading of a ticket's targets the badge (queue, board, ticket page) shows; reads only the ticket's
    own columns (the list selectors load them)."""
    now = sla_clock_of(ticket, now or timezone.now())
    stopped = ticket.status in STOPPED
    missed, running = [], []
    first_due = ticket.first_response_due_at
    if first_due is not None:
        if ticket.first_response_at is not None:
            if ticket.first_response_at > first_due:
                missed.append(Metric.FIRST_RESPONSE)
        elif not stopped:
            running.append((Metric.FIRST_RESPONSE, first_due))
    if ticket.next_response_due_at is not None and not stopped:
        running.append((Metric.NEXT_RESPONSE, ticket.next_response_due_at))
    resolution_due = ticket.resolution_due_at
    if resolution_due is not None:
        if stopped:
            if ticket.resolved_at is not None and ticket.resolved_at > resolution_due:
                missed.append(Metric.RESOLUTION)
        else:
            running.append((Metric.RESOLUTION, resolution_due))
    overdue = sorted((item for item in running if item[1] <= now), key=lambda item: item[1])
    ahead = sorted((item for item in running if item[1] > now), key=lambda item: item[1])
    return SLATargets(missed=tuple(missed), overdue=tuple(overdue), upcoming=ahead[0] if ahead else None,
                      unnamed_breach=bool(ticket.sla_breached and not missed and not overdue), clock=now)


def sla_state_of(ticket, now=None):
    now = now or timezone.now()
    if ticket.sla_policy_id is None:
        return SLAState.NONE
    if ticket.status in STOPPED:
        return SLAState.BREACHED if ticket.sla_breached else SLAState.MET
    due = sla_due_of(ticket)
    if ticket.sla_breached or (due is not None and due <= sla_clock_of(ticket, now)):
        return SLAState.BREACHED
    if ticket.paused_since is not None:
        return SLAState.PAUSED
    if ticket.sla_warn_at is not None and ticket.sla_warn_at <= now:
        return SLAState.AT_RISK
    return SLAState.ON_TRACK


def _due_expression():
    first = Case(When(first_response_at__isnull=True, then=F("first_response_due_at")), default=None,
                 output_field=DateTimeField())
    # PostgreSQL's LEAST skips NULLs: the nearest of the running due times.
    return Case(When(status__in=STOPPED, then=None),
                default=Least(first, F("next_response_due_at"), F("resolution_due_at")),
                output_field=DateTimeField())


def sla_clock_sql(now):
    """sla_clock_of in SQL: when the clock stopped for a paused ticket, else `now` (PostgreSQL's LEAST skips the
    NULL paused_since of a running ticket). Due times are compared with this, in the state, the filter and the
    compliance report alike."""
    return Least(F("paused_since"), Value(now, output_field=DateTimeField()))


def sla_state_annotate(queryset, *, now=None):
    """Add `sla_due` (the nearest running due time) and `sla_state` to a ticket queryset (no extra query)."""
    now = now or timezone.now()
    queryset = queryset.annotate(sla_due=_due_expression())
    return queryset.annotate(sla_state=Case(
        When(sla_policy__isnull=True, then=Value(SLAState.NONE)),
        When(Q(status__in=STOPPED) & Q(sla_breached=True), then=Value(SLAState.BREACHED)),
        When(status__in=STOPPED, then=Value(SLAState.MET)),
        # A due time passing while the clock is paused is no breach (sla_clock_of).
        When(Q(sla_breached=True) | Q(sla_due__lte=sla_clock_sql(now)), then=Value(SLAState.BREACHED)),
        When(paused_since__isnull=False, then=Value(SLAState.PAUSED)),
        When(sla_warn_at__lte=now, then=Value(SLAState.AT_RISK)),
        default=Value(SLAState.ON_TRACK), output_field=CharField(),
    ))


def sla_state_q(state, *, now=None):
    """A filter for one SLA state that needs no annotation (it reads the ticket's own columns)."""
    now = now or timezone.now()
    running = ~Q(status__in=STOPPED)

    def passed(at):
        return (Q(first_response_at__isnull=True, first_response_due_at__lte=at) | Q(next_response_due_at__lte=at)
                | Q(resolution_due_at__lte=at))

    due_passed = passed(sla_clock_sql(now))  # a due time passing while the clock is paused is no breach
    breached = Q(sla_policy__isnull=False) & (Q(sla_breached=True) | (running & due_passed))
    if state == SLAState.BREACHED:
        return breached
    if state == SLAState.MET:
        return Q(sla_policy__isnull=False, status__in=STOPPED, sla_breached=False)
    if state == SLAState.PAUSED:
        return Q(sla_policy__isnull=False, paused_since__isnull=False) & running & ~breached
    if state == SLAState.AT_RISK:
        return (Q(sla_policy__isnull=False, paused_since__isnull=True, sla_warn_at__lte=now) & running
                & ~breached)
    if state == SLAState.ON_TRACK:
        return (Q(sla_policy__isnull=False, paused_since__isnull=True) & running & ~breached
                & (Q(sla_warn_at__isnull=True) | Q(sla_warn_at__gt=now)))
    if state == SLAState.NONE:
        return Q(sla_policy__isnull=True)
    return Q()
