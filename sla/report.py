"""SLA compliance report (a selector): per queue, team, agent, priority or region, for the tickets opened in a
date range that had an SLA policy: first-response and resolution hit rates, median and p90 times (wall-clock
minutes from opening), and breaches. One grouped query over the tickets the user may see (`ticket_visible_q`)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Aggregate, Count, F, FloatField, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scrm.durations import duration_text
from sla.state import sla_clock_sql
from tickets.models import Ticket
from tickets.selectors import ticket_visible_q

REPORT_TZ = ZoneInfo("Asia/Shanghai")
REPORT_PERMISSION = "sla.view_sla_report"


def user_reads_sla_reports(user):
    """Who may open the report (the page and its entry under Reports): supervisors, ops admins and viewers hold the
    permission, and a custom role may grant it (with the reports module)."""
    return user.has_perm(REPORT_PERMISSION)

# group key -> (the value grouped on, the label shown)
GROUPS = {
    "queue": ("queue__name", _("Queue")),
    "team": ("team__name", _("Team")),
    "agent": ("assignee__username", _("Agent")),
    "priority": ("priority", _("Priority")),
    "region": ("region__name", _("Region")),
}


class Percentile(Aggregate):
    """PostgreSQL's ordered-set aggregate percentile_cont(p) WITHIN GROUP (ORDER BY expr)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile, **extra):
        super().__init__(expression, percentile=float(percentile), **extra)


class MinutesBetween(Func):
    template = "EXTRACT(EPOCH FROM (%(expressions)s)) / 60.0"
    arg_joiner = " - "
    output_field = FloatField()


@dataclass
class ComplianceRow:
    key: object
    label: str
    tickets: int
    fr_measured: int
    fr_hit: int
    fr_median: float | None
    fr_p90: float | None
    res_measured: int
    res_hit: int
    res_median: float | None
    res_p90: float | None
    breaches: int

    @staticmethod
    def _rate(hit, measured):
        return round(100.0 * hit / measured, 1) if measured else None

    @property
    def fr_rate(self):
        return self._rate(self.fr_hit, self.fr_measured)

    @property
    def res_rate(self):
        return self._rate(self.res_hit, self.res_measured)


def report_range(start, end):
    """[start 00:00, end+1 00:00) in Asia/Shanghai for two dates."""
    return (datetime.combine(start, time(), tzinfo=REPORT_TZ),
            datetime.combine(end + timedelta(days=1), time(), tzinfo=REPORT_TZ))


def sla_compliance(*, user, start, end, group_by="queue", now=None):
    """Rows of the report, most tickets first, and the totals row. `start`/`end`: dates (inclusive)."""
    now = now or timezone.now()
    field, _label = GROUPS[group_by]
    since, until = report_range(start, end)
    tickets = Ticket.objects.filter(ticket_visible_q(user=user), sla_policy__isnull=False, created_at__gte=since,
                                    created_at__lt=until)
    fr_minutes = MinutesBetween(F("first_response_at"), F("created_at"))
    res_minutes = MinutesBetween(F("resolved_at"), F("created_at"))
    # A target counts once it is decided: met or missed by an answer, or missed by its due time passing while its
    # clock ran (a due time passing during a pause is no miss: sla_clock_sql, as the badge and the filter read it).
    clock = sla_clock_sql(now)
    fr_measured = Q(first_response_due_at__isnull=False) & (
        Q(first_response_at__isnull=False) | Q(first_response_due_at__lt=clock))
    res_measured = Q(resolution_due_at__isnull=False) & (Q(resolved_at__isnull=False) | Q(resolution_due_at__lt=clock))
    aggregates = {
        "tickets": Count("pk"),
        "fr_measured": Count("pk", filter=fr_measured),
        "fr_hit": Count("pk", filter=Q(first_response_at__lte=F("first_response_due_at"))),
        "fr_median": Percentile(fr_minutes, 0.5),
        "fr_p90": Percentile(fr_minutes, 0.9),
        "res_measured": Count("pk", filter=res_measured),
        "res_hit": Count("pk", filter=Q(resolved_at__lte=F("resolution_due_at"))),
        "res_median": Percentile(res_minutes, 0.5),
        "res_p90": Percentile(res_minutes, 0.9),
        "breaches": Count("pk", filter=Q(sla_breached=True)),
    }
    rows = [
        ComplianceRow(key=row[field], label=_group_label(group_by, row[field]),
                      **{name: row[name] for name in aggregates})
        for row in tickets.values(field).annotate(**aggregates).order_by("-tickets", field)
    ]
    total = tickets.aggregate(**aggregates)
    return rows, ComplianceRow(key=None, label=str(_("Total")), **total)


def _group_label(group_by, value):
    if value is None:
        return str(_("(none)"))
    if group_by == "priority":
        return str(Ticket.Priority(value).label)
    return str(value)


def _round(value):
    return None if value is None else round(value, 1)


def compliance_chart(rows):
    """The chart's data: hit rates per group (Chart.js bar chart, read by static/js/sla-report.js)."""
    return {
        "labels": [row.label for row in rows],
        "datasets": [
            {"label": str(_("First response hit %")), "data": [row.fr_rate for row in rows]},
            {"label": str(_("Resolution hit %")), "data": [row.res_rate for row in rows]},
        ],
    }


COLUMNS = [
    ("label", None), ("tickets", _("Tickets")), ("fr_rate", _("First response hit %")),
    ("fr_median", _("First response median (min)")), ("fr_p90", _("First response p90 (min)")),
    ("res_rate", _("Resolution hit %")), ("res_median", _("Resolution median (min)")),
    ("res_p90", _("Resolution p90 (min)")), ("breaches", _("Breaches")),
]


# The page shows these as durations ("4小时46分"); the Excel export keeps the minutes as numbers to compute with.
MINUTE_COLUMNS = {"fr_median", "fr_p90", "res_median", "res_p90"}
PAGE_LABELS = {
    "fr_median": _("First response median"), "fr_p90": _("First response p90"),
    "res_median": _("Resolution median"), "res_p90": _("Resolution p90"),
}


# The page heads the two metrics' columns with the metric once ("First response" over Hit % · Median · p90): full
# names in one row ("First response hit %") broke over two or three lines at 1280 px, in English and in Chinese.
# The full name stays on each short heading as its tooltip; the Excel export keeps one row of full names.
PAGE_METRICS = [(_("First response"), ("fr_rate", "fr_median", "fr_p90")),
                (_("Resolution"), ("res_rate", "res_median", "res_p90"))]
PAGE_SHORT_LABELS = {
    "fr_rate": pgettext_lazy("SLA report heading", "Hit %"), "res_rate": pgettext_lazy("SLA report heading", "Hit %"),
    "fr_median": pgettext_lazy("SLA report heading", "Median"),
    "res_median": pgettext_lazy("SLA report heading", "Median"),
    "fr_p90": pgettext_lazy("SLA report heading", "p90"), "res_p90": pgettext_lazy("SLA report heading", "p90"),
}


def compliance_page_header(group_by):
    """The page's two heading rows: the first as (label, columns, rows) cells, the second as (short label, full
    name) under each metric."""
    labels = dict(COLUMNS[1:])
    top = [(str(GROUPS[group_by][1]), 1, 2), (str(labels["tickets"]), 1, 2)]
    sub = []
    for metric, names in PAGE_METRICS:
        top.append((str(metric), len(names), 1))
        sub.extend((str(PAGE_SHORT_LABELS[name]), str(PAGE_LABELS.get(name, labels[name]))) for name in names)
    top.append((str(labels["breaches"]), 1, 2))
    return top, sub


def compliance_table(rows, total, group_by, *, for_page=False):
    """Header and rows of plain values: numbers for the Excel export, durations as text `for_page`."""
    labels = [PAGE_LABELS.get(name, label) if for_page else label for name, label in COLUMNS[1:]]
    header = [str(GROUPS[group_by][1]), *[str(label) for label in labels]]
    body = []
    for row in [*rows, total]:
        values = []
        for name, _label in COLUMNS:
            value = getattr(row, name)
            if for_page and name in MINUTE_COLUMNS and value is not None:
                values.append(duration_text(value * 60))
            else:
                values.append(_round(value) if isinstance(value, float) else value)
        body.append(values)
    return header, body
