"""{% load sla %} {% sla_badge ticket %}: the SLA state of a ticket, naming each target it speaks of: the targets
missed ("首次响应已超时"), a running one past due ("解决已超时 3小时") and the nearest one still running, counting
down ("解决剩余 2小时"), due times shown in Asia/Shanghai. Uses `sla_state` when the selector annotated it; reads
only the ticket's own columns (no query either way)."""

from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.translation import gettext

from scrm.durations import duration_patterns, duration_text
from sla import selectors
from sla.models import Metric
from sla.state import SLAState, sla_state_of, sla_targets_of

register = template.Library()
SHOWN_IN = ZoneInfo("Asia/Shanghai")


@register.filter
def calendar_day_name(day):
    return selectors.calendar_day_name(day)


def target_texts(metric):
    """The badge's words for one target: missed, overdue by {t}, {t} left (msgids in sla/messages below)."""
    target = Metric(metric).label
    return {
        # Translators: an SLA target (首次响应, 解决) that was missed, as the ticket's badge says it: 首次响应已超时.
        "missed": gettext("%(target)s overdue") % {"target": target},
        # Translators: a running SLA target past its due time; {t} is how long, such as 3小时: 解决已超时 {t}.
        "overdue": gettext("%(target)s overdue by {t}") % {"target": target},
        # Translators: a running SLA target and the time left; {t} is how long, such as 2小时: 解决剩余 {t}.
        "left": gettext("%(target)s: {t} left") % {"target": target},
    }


def _countdown(metric, due, now, *, ticking):
    left = (due - now).total_seconds()
    texts = target_texts(metric)
    pattern = texts["overdue"] if left <= 0 else texts["left"]
    return {
        "metric": metric, "due": timezone.localtime(due, SHOWN_IN), "due_iso": due.isoformat(), "ticking": ticking,
        "text": pattern.replace("{t}", duration_text(left)), "fmt_left": texts["left"],
        "fmt_overdue": texts["overdue"],
    }


@register.inclusion_tag("sla/_sla_badge.html")
def sla_badge(ticket, now=None):
    now = now or timezone.now()
    state = getattr(ticket, "sla_state", None) or sla_state_of(ticket, now)
    targets = sla_targets_of(ticket, now)
    ticking = ticket.paused_since is None  # a paused clock does not run, breached or not
    # While paused the countdown stands still at what was left when the clock stopped.
    countdowns = [_countdown(metric, due, targets.clock, ticking=ticking) for metric, due in targets.overdue]
    if targets.upcoming is not None:
        countdowns.append(_countdown(*targets.upcoming, targets.clock, ticking=ticking))
    if state == SLAState.MET:
        countdowns = []
    parts_missed = [target_texts(metric)["missed"] for metric in targets.missed]
    # A breached badge says which target: the state's own word only when no target is named.
    show_label = state != SLAState.BREACHED or not (parts_missed or targets.overdue)
    nearest = countdowns[0]["due"] if countdowns else None
    return {
        "state": state,
        "label": SLAState.labels.get(state, state) if show_label else "",
        "missed": parts_missed,
        "countdowns": countdowns,
        "due": nearest,
        "patterns": duration_patterns(),
        "css": {SLAState.ON_TRACK: "success", SLAState.AT_RISK: "warning", SLAState.BREACHED: "danger",
                SLAState.PAUSED: "secondary", SLAState.MET: "info"}.get(state, "light"),
        "show": state != SLAState.NONE,
    }
