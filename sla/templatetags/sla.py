"""{% load sla %} {% sla_badge ticket %}: the SLA state of a ticket and a countdown to its nearest due time,
shown in Asia/Shanghai. Uses `sla_state`/`sla_due` when the selector annotated them (no query either way)."""

from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone

from scrm.durations import duration_patterns, duration_text
from sla import selectors
from sla.state import SLAState, sla_due_of, sla_state_of

register = template.Library()
SHOWN_IN = ZoneInfo("Asia/Shanghai")


@register.filter
def calendar_day_name(day):
    return selectors.calendar_day_name(day)


@register.inclusion_tag("sla/_sla_badge.html")
def sla_badge(ticket, now=None):
    now = now or timezone.now()
    state = getattr(ticket, "sla_state", None) or sla_state_of(ticket, now)
    due = getattr(ticket, "sla_due", None) if hasattr(ticket, "sla_due") else sla_due_of(ticket)
    left = (due - now).total_seconds() if due else None
    return {
        "state": state,
        "label": SLAState.labels.get(state, state),
        "due": timezone.localtime(due, SHOWN_IN) if due else None,
        "due_iso": due.isoformat() if due else "",
        "remaining": duration_text(left) if left is not None else "",
        "patterns": duration_patterns(),
        "overdue": left is not None and left < 0,
        "css": {SLAState.ON_TRACK: "success", SLAState.AT_RISK: "warning", SLAState.BREACHED: "danger",
                SLAState.PAUSED: "secondary", SLAState.MET: "info"}.get(state, "light"),
        "show": state != SLAState.NONE,
    }
