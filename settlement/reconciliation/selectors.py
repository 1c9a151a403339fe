"""Reads of the reconciliation shaped for its pages and API: each a bounded number of queries whatever its length."""

from datetime import timedelta

from django.db.models import Count, F, Prefetch, Q, Sum
from django.utils import timezone

from settlement.models import (
    Discrepancy,
    DiscrepancyAction,
    PaymentChannel,
    ReconciliationRun,
    ReconciliationRunEvent,
    StatementLine,
)
from settlement.selectors import order_history

OPEN_STATUSES = (Discrepancy.Status.OPEN, Discrepancy.Status.WRITE_OFF_REQUESTED)
# Age buckets of open discrepancies (days since first found), as the report and the tiles show them.
AGE_BUCKETS = ((0, 1), (2, 7), (8, 30), (31, None))


def channel_list():
    return PaymentChannel.objects.order_by("name", "pk")


def discrepancy_list():
    """The workbench: newest statement day first, with what each row shows (no query per row)."""
    return (Discrepancy.objects.select_related("channel", "store", "order", "ticket")
            .defer("reason").order_by("-bill_date", "-pk"))


def discrepancy_detail(*, pk):
    """One discrepancy with both sides, its actions (and who took them), or None."""
    actions = DiscrepancyAction.objects.select_related("by").order_by("at", "pk")
    return (Discrepancy.objects.select_related("channel", "store", "order", "order__customer", "order__store",
                                               "refund", "statement_line", "statement_line__statement", "ticket",
                                               "ticket__queue", "run", "resolved_by")
            .prefetch_related(Prefetch("actions", queryset=actions)).filter(pk=pk).first())


def discrepancy_order_history(*, discrepancy):
    return list(order_history(order=discrepancy.order)) if discrepancy.order_id else []


def discrepancy_requester_id(*, discrepancy):
    """Who asked for the write-off awaiting approval (the prefetched actions, no query)."""
    requests = [a for a in discrepancy.actions.all() if a.action == DiscrepancyAction.Action.WRITE_OFF_REQUEST]
    return requests[-1].by_id if requests else None


def run_list():
    return ReconciliationRun.objects.select_related("channel", "created_by").order_by("-period_start", "-pk")


def run_for_day(*, channel, day):
    return run_list().filter(channel=channel, period_start=day, period_end=day).first()


def run_exports(*, run, limit=5):
    """The latest downloads of the run's report (who, when), newest first: one query."""
    return list(ReconciliationRunEvent.objects.filter(run=run, action=ReconciliationRunEvent.Action.EXPORTED)
                .select_related("by").order_by("-at", "-pk")[:limit])


def statement_day_imported(*, channel, day):
    """Whether a statement of the channel's day has been imported (one index probe): the report's empty state says
    whether the next step is importing it or reconciling it."""
    return StatementLine.objects.filter(channel=channel, bill_date=day).exists()


def statement_days_missing(*, channel, first, last):
    """The days of the period no statement of the channel has been imported for, in order (one query): reconciling
    such a day would only list each of its orders as unpaid by the channel."""
    imported = set(StatementLine.objects.filter(channel=channel, bill_date__range=(first, last))
                   .order_by().values_list("bill_date", flat=True).distinct())
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if first + timedelta(days=n) not in imported]


def run_trend(*, channel, last_day, days=30):
    """The channel's one-day runs of the `days` statement days up to `last_day`, oldest first."""
    return list(ReconciliationRun.objects.filter(channel=channel, period_start__gt=last_day - timedelta(days=days),
                                                 period_start__lte=last_day, period_end=F("period_start"))
                .order_by("period_start"))


def open_by_age(*, channel=None, now=None):
    """Open discrepancies (and write-offs awaiting approval) per channel and age bucket: {channel_id: [(label,
    count, amount), ...]} in one query."""
    today = timezone.localdate(now)
    aggregates = {}
    for low, high in AGE_BUCKETS:
        span = Q(bill_date__lte=today - timedelta(days=low))
        if high is not None:
            span &= Q(bill_date__gte=today - timedelta(days=high))
        key = f"{low}-{high}" if high is not None else f"{low}+"
        aggregates[f"n_{key}"] = Count("pk", filter=span)
        aggregates[f"a_{key}"] = Sum("difference", filter=span)
    rows = Discrepancy.objects.filter(status__in=OPEN_STATUSES)
    if channel is not None:
        rows = rows.filter(channel=channel)
    result = {}
    for row in rows.values("channel_id").annotate(**aggregates).order_by("channel_id"):
        result[row["channel_id"]] = [
            (key[2:], row[key], row["a_" + key[2:]] or 0) for key in row if key.startswith("n_")]
    return result


def report_lines(*, channel, day, limit=100_000):
    """The statement lines of a day with their result (class, keys matched), for the Excel export (bounded)."""
    return (StatementLine.objects.filter(channel=channel, bill_date=day).select_related("match")
            .order_by("line_number", "pk")[:limit])


def report_discrepancies(*, channel, day, limit=100_000):
    return (Discrepancy.objects.filter(channel=channel, bill_date=day).select_related("store")
            .order_by("kind", "key")[:limit])


def channel_tiles():
    """One tile per active channel: its latest run and its open discrepancies (three queries)."""
    channels = list(PaymentChannel.objects.filter(active=True).order_by("name", "pk"))
    latest = {}
    for run in (ReconciliationRun.objects.filter(channel__in=channels, status=ReconciliationRun.Status.DONE)
                .order_by("channel_id", "-period_end", "-pk").distinct("channel_id")):
        latest[run.channel_id] = run
    open_counts = dict(Discrepancy.objects.filter(status__in=OPEN_STATUSES).values("channel_id")
                       .annotate(n=Count("pk")).values_list("channel_id", "n"))
    return [{"channel": c, "run": latest.get(c.pk), "open": open_counts.get(c.pk, 0)} for c in channels]
