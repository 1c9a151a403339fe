"""The figures of finance's home page (`/settlement/`): what waits on each list, counted as the list counts it.

Each reads the same rows its list shows (the organization's, as the lists do: finance and ops see every region, and
the pages narrow no further) and is one or two aggregate queries whatever the number of rows, so the home page costs
the same on the first day and after a year of statements.
"""

from datetime import datetime, time, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from settlement.models import (
    Discrepancy,
    Order,
    PaymentChannel,
    ReconciliationRun,
    ServiceJob,
    SettlementStatement,
    StatementImport,
)

# A discrepancy whose statement day is more than this many days back is called out as old (the list's "Older than
# (days)" filter with this value shows exactly those).
DISCREPANCY_OLD_DAYS = 7
# The statement days each channel should have imported: the last this many days up to yesterday (a channel's bill
# of a day is published the next morning).
CHANNEL_DAYS_WINDOW = 7
# What the discrepancy list shows when no status is chosen: what is still to work.
WAITING_DISCREPANCY_STATUSES = (Discrepancy.Status.OPEN, Discrepancy.Status.WRITE_OFF_REQUESTED)


def discrepancies_waiting(*, today=None, old_days=DISCREPANCY_OLD_DAYS):
    """{"open": the discrepancies still to work, "old": those of them whose statement day is older than `old_days`}
    (one query; the list's default and its `age_min` filter)."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=old_days)
    return Discrepancy.objects.filter(status__in=WAITING_DISCREPANCY_STATUSES).aggregate(
        open=Count("pk"), old=Count("pk", filter=Q(bill_date__lt=cutoff)))


def statements_not_reconciled():
    """{"unreconciled": imported statements no finished reconciliation run of their channel has covered since they
    were uploaded, "refused": imports refused while reading} (one query)."""
    covered = ReconciliationRun.objects.filter(
        channel=OuterRef("channel"), status=ReconciliationRun.Status.DONE, period_start__lte=OuterRef("period_start"),
        period_end__gte=OuterRef("period_end"), finished_at__gte=OuterRef("created_at"))
    imported = Q(status=StatementImport.Status.IMPORTED, period_start__isnull=False, covered=False)
    return (StatementImport.objects.annotate(covered=Exists(covered)).order_by()
            .aggregate(unreconciled=Count("pk", filter=imported),
                       refused=Count("pk", filter=Q(status=StatementImport.Status.FAILED))))


def channels_last_day(*, today=None, window=CHANNEL_DAYS_WINDOW):
    """Each active payment channel with the last statement day imported for it (None: none yet) and the days of the
    last `window` days up to yesterday that its imported statements leave uncovered although the ledger has
    payments through it that day, oldest first. A day without a payment is not missing: WeChat Pay and Alipay
    publish no bill for it.

    Two queries (the channels with their newest statement, the window's imports), and a third only when a day is
    uncovered: the ledger's payments of the uncovered days alone, through the orders' `paid_at` index."""
    today = today or timezone.localdate()
    first, last = today - timedelta(days=window), today - timedelta(days=1)
    imported = StatementImport.objects.filter(status=StatementImport.Status.IMPORTED, period_start__isnull=False)
    newest = imported.filter(channel=OuterRef("pk")).order_by("-period_end").values("period_end")[:1]
    channels = list(PaymentChannel.objects.filter(active=True).annotate(last_day=Subquery(newest))
                    .order_by("name", "pk"))
    days = [first + timedelta(days=n) for n in range(window)]
    covered = set()
    spans = (imported.filter(channel__in=channels, period_start__lte=last, period_end__gte=first).order_by()
             .values_list("channel_id", "period_start", "period_end"))
    for channel_id, start, end in spans:
        covered.update((channel_id, day) for day in days if start <= day <= end)
    uncovered = {(channel.pk, day) for channel in channels for day in days} - covered
    paid = set()
    if uncovered:
        zone = timezone.get_current_timezone()
        paid_on = Q()
        for day in sorted({day for _, day in uncovered}):
            start = datetime.combine(day, time.min, tzinfo=zone)
            paid_on |= Q(paid_at__gte=start, paid_at__lt=start + timedelta(days=1))
        paid = set(Order.objects.filter(paid_on)
                   .annotate(pay=Coalesce("payment_channel", "store__payment_channel"),
                             day=TruncDate("paid_at", tzinfo=zone))
                   .filter(pay__in=[channel.pk for channel in channels]).order_by()
                   .values_list("pay", "day").distinct())
    gaps = uncovered & paid
    return [{"channel": channel, "last_day": channel.last_day,
             "missing": [day for day in days if (channel.pk, day) in gaps]} for channel in channels]


def partner_statements_waiting(*, user):
    """{"draft": statements to review, "reviewed": statements to approve, "yours": those of them `user` may approve
    under the two-person rule (someone else reviewed it, or its rule lets the reviewer approve a payable this small;
    `partner_services.statement_reviewer_may_approve`)} (one query)."""
    limit = F("rule__self_approval_limit")
    reviewer_may = Q(rule__self_approval_limit__gt=0, payable__lte=limit, payable__gte=-limit)
    reviewed = Q(status=SettlementStatement.Status.REVIEWED)
    yours = reviewed & (Q(reviewed_by__isnull=True) | ~Q(reviewed_by=user.pk) | reviewer_may)
    return SettlementStatement.objects.order_by().aggregate(
        draft=Count("pk", filter=Q(status=SettlementStatement.Status.DRAFT)), reviewed=Count("pk", filter=reviewed),
        yours=Count("pk", filter=yours))


def service_jobs_waiting():
    """{"open": jobs to complete (their partner and items priced from the catalogue), "completed": completed jobs
    waiting for the customer's confirmation before they settle} (one query)."""
    return ServiceJob.objects.order_by().aggregate(
        open=Count("pk", filter=Q(status=ServiceJob.Status.OPEN)),
        completed=Count("pk", filter=Q(status=ServiceJob.Status.COMPLETED)))
