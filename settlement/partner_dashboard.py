"""The finance dashboard: where the money comes from. Every figure is an aggregate computed in the database (GROUP BY
month, region, channel, service type, city tier), never a loop over rows; and the region alerts: a region whose
refund rate or service margin of a month moved more than the threshold against its trailing average is raised once
(`RegionAlert`) and finance is told through the notification service."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from notifications.models import Notification
from notifications.services import notify
from scrm.models import Channel, Role, User
from scrm.platform.coded import coded, coded_messages_register
from scrm.platform.tenancy import current_organization_id, tenant_scope
from settlement.models import CityTier, FinanceDay, RegionAlert, ServiceJob
from settlement.partner_rollup import finance_days_refresh
from settlement.partner_views import _FinanceMixin

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTHS = 6
TRAILING = 3  # months the alert compares against
MSG_ALERT_TITLE = _("%(region)s: %(metric)s %(value)s%% in %(month)s (trailing average %(baseline)s%%)")
# Finance's notification, worded in its reader's language (notifications store codes, scrm.platform.coded); the
# metric is a code of its own.
coded_messages_register({
    "settlement.region_alert_title": MSG_ALERT_TITLE,
    **{f"settlement.region_metric_{metric.value}": metric.label for metric in RegionAlert.Metric},
})
ZERO = Decimal("0")
_MONEY = DecimalField(max_digits=20, decimal_places=2)
Source = FinanceDay.Source


def _threshold():
    """Percentage points a month may move against its trailing average before the region is flagged."""
    return Decimal(str(getattr(settings, "SETTLEMENT_ALERT_THRESHOLD_POINTS", 5)))


def _since(months=MONTHS, today=None):
    today = today or timezone.localdate()
    first = today.replace(day=1)
    for _i in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _moment(day):
    """Midnight of a local (Asia/Shanghai) date."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _month(value):
    return value.date().isoformat()[:7] if hasattr(value, "date") else value.isoformat()[:7]


def _day(since):
    """The local (Asia/Shanghai) day a dashboard period starts: the rollup is per day, so a period starts at a local
    midnight (or is given as a date)."""
    if not isinstance(since, datetime):
        return since
    local = since.astimezone(SHANGHAI)
    if local.time() != time.min:
        raise ValueError(f"a dashboard period starts at a local midnight, not {local.isoformat()}")
    return local.date()


def _days(since, *sources):
    """The rollup's rows of `sources` from the local day of `since` on, brought up to date first (the freshness rule
    of settlement.partner_rollup)."""
    finance_days_refresh(current_organization_id())
    return FinanceDay.objects.filter(source__in=sources, day__gte=_day(since))


def revenue_by_month(*, since):
    """Paid orders, refunds and channel fees per month and currency (margin = paid − refunds − fees)."""
    sums = (_days(since, Source.PAID, Source.REFUNDED, Source.FEE).annotate(month=TruncMonth("day"))
            .values("month", "currency", "source").annotate(amount=Sum("amount"), fee=Sum("fee")).order_by())
    rows = {}
    for row in sums:
        entry = rows.setdefault((_month(row["month"]), row["currency"]),
                                {"revenue": ZERO, "refunds": ZERO, "fees": ZERO})
        key, total = {Source.PAID: ("revenue", row["amount"]), Source.REFUNDED: ("refunds", row["amount"]),
                      Source.FEE: ("fees", row["fee"])}[row["source"]]
        entry[key] = Decimal(total or 0).quantize(Decimal("0.01"))
    result = []
    for (month, currency), entry in sorted(rows.items()):
        entry["margin"] = entry["revenue"] - entry["refunds"] - entry["fees"]
        result.append({"month": month, "currency": currency, **entry})
    return result


def revenue_by_region(*, since):
    """Revenue per region and currency, each with its heat (10, 25, 50, 75 or 100: its share of the largest of
    its currency), the shading of the dashboard's region heat map."""
    rows = list(_days(since, Source.PAID).values("region__name", "currency")
                .annotate(total=Sum("amount"), n=Sum("count")).order_by("-total")[:30])
    top = {}
    for row in rows:
        top[row["currency"]] = max(top.get(row["currency"], 0), row["total"] or 0)
    for row in rows:
        share = (row["total"] or 0) / top[row["currency"]] if top[row["currency"]] else 0
        row["heat"] = next(level for level, floor in ((100, 0.9), (75, 0.6), (50, 0.35), (25, 0.15), (10, 0))
                           if share >= floor)
    return rows


def revenue_by_channel(*, since):
    return list(_days(since, Source.PAID).values("channel", "currency")
                .annotate(total=Sum("amount"), n=Sum("count")).order_by("-total"))


def services_by_kind_and_tier(*, since):
    """Service revenue, cost (materials and technician payouts) and margin per service type and city tier (jobs
    completed or confirmed)."""
    margin = ExpressionWrapper(F("amount") - F("materials") - F("payouts"), output_field=_MONEY)
    # The margin first: the sums below take the names of the rollup's columns.
    return list(_days(since, Source.SERVICE).values("tier", "currency", kind=F("service_kind"))
                .annotate(margin=Sum(margin))
                .annotate(n=Sum("count"), revenue=Sum("amount"), materials=Sum("materials"), payouts=Sum("payouts"))
                .order_by("kind", "tier"))


def match_rate(*, since):
    """Of the statement lines of the statement days from `since` on, the share reconciliation matched (the
    rollup's "lines" rows, kept current as lines are imported and runs write their results)."""
    counts = _days(since, Source.LINES).aggregate(total=Sum("count"), matched=Sum("matched"))
    if not counts["total"]:
        return None
    return (Decimal(counts["matched"]) * 100 / counts["total"]).quantize(Decimal("0.1"))


def _region_months(*, since):
    """Per region and month: paid total, refunded total, service revenue and margin (all currencies together:
    rates and margins are ratios)."""
    month = TruncMonth("day")
    rows = (_days(since, Source.PAID, Source.REFUNDED, Source.SERVICE).filter(region__isnull=False)
            .annotate(month=month).values("region", "month", "source")
            .annotate(total=Sum("amount"),
                      margin=Sum(ExpressionWrapper(F("amount") - F("materials") - F("payouts"),
                                                   output_field=_MONEY))).order_by())
    table = {}
    for row in rows:
        cell = table.setdefault(row["region"], {}).setdefault(_month(row["month"]), {})
        if row["source"] == Source.PAID:
            cell["paid"] = row["total"] or ZERO
        elif row["source"] == Source.REFUNDED:
            cell["refunded"] = row["total"]
        else:
            cell["revenue"], cell["margin"] = row["total"], row["margin"]
    return table


def _ratio(part, whole):
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.01"))


def region_moves(*, month, since=None):
    """The regions whose refund rate or service margin (in %) in `month` ("YYYY-MM") differs from the average of
    the TRAILING months before by more than the threshold: [(region_id, metric, value, baseline)]."""
    threshold = _threshold()
    table = _region_months(since=since or _moment(_since(TRAILING + 1, date.fromisoformat(f"{month}-01"))))
    moves = []
    for region_id, months in table.items():
        earlier = sorted(m for m in months if m < month)[-TRAILING:]
        current = months.get(month)
        if not current or not earlier:
            continue
        for metric, value_of in ((RegionAlert.Metric.REFUND_RATE, lambda c: _ratio(c.get("refunded"), c.get("paid"))),
                                 (RegionAlert.Metric.MARGIN, lambda c: _ratio(c.get("margin"), c.get("revenue")))):
            value = value_of(current)
            history = [v for v in (value_of(months[m]) for m in earlier) if v is not None]
            if value is None or not history:
                continue
            baseline = (sum(history) / len(history)).quantize(Decimal("0.01"))
            if abs(value - baseline) > threshold:
                moves.append((region_id, metric, value, baseline))
    return moves


def region_alerts_raise(*, organization, month):
    """Raise the month's region alerts (each once) and tell finance through the notification service. Returns the
    new alerts."""
    raised = []
    with tenant_scope(organization):
        moves = region_moves(month=month)
        finance = list(User.objects.filter(groups__name=Role.FINANCE, is_active=True).distinct())
        for region_id, metric, value, baseline in moves:
            try:
                with transaction.atomic():
                    alert = RegionAlert.objects.create(organization=organization, region_id=region_id,
                                                       metric=metric, month=date.fromisoformat(f"{month}-01"),
                                                       value=value, baseline=baseline)
            except IntegrityError:
                continue  # raised before: told once
            raised.append(alert)
            title = coded("settlement.region_alert_title", region=alert.region.name, month=month, value=value,
                          metric=coded(f"settlement.region_metric_{metric}"), baseline=baseline)
            for user in finance:
                notify(recipient=user, kind=Notification.Kind.REGION_ALERT, title=title, url="/settlement/dashboard/")
    return raised


# The series of the monthly chart, in the order drawn; the script gives each key its own colour.
MONTH_SERIES = (("revenue", _("Revenue")), ("refunds", _("Refunds")), ("fees", _("Channel fees")),
                ("margin", _("Margin")))
MSG_MONTH_TO_DATE = _("%(month)s (month to date)")


def paid_counts_by_currency(*, since):
    """Paid orders per currency from `since` on: the organization's main currency is the one most orders are paid
    in (a count compares across currencies, an amount does not)."""
    return {row["currency"]: row["n"] or 0
            for row in _days(since, Source.PAID).values("currency").annotate(n=Sum("count")).order_by()}


def _month_labels(since, today):
    months, first = [], since.replace(day=1)
    while first <= today:
        months.append(first.isoformat()[:7])
        first = (first + timedelta(days=32)).replace(day=1)
    return months


def months_chart(*, months, since, counts, today=None):
    """The monthly chart's data, one chart per currency (amounts of different currencies are never drawn on one
    axis): the main currency first (most paid orders, then the code), each with the four series over every month
    of the period (a month without a figure is 0), and the current month flagged as month to date, so its partial
    figures do not read as a collapse."""
    today = today or timezone.localdate()
    labels = _month_labels(since, today)
    current = today.isoformat()[:7]
    currencies = sorted({row["currency"] for row in months}, key=lambda code: (-counts.get(code, 0), code))
    charts = []
    for currency in currencies:
        by_month = {row["month"]: row for row in months if row["currency"] == currency}
        charts.append({
            "currency": currency,
            "labels": [str(MSG_MONTH_TO_DATE % {"month": m}) if m == current else m for m in labels],
            "months": labels,
            "partial_index": labels.index(current) if current in labels else None,
            "datasets": [{"key": key, "label": str(label),
                          "data": [str(by_month[m][key]) if m in by_month else "0.00" for m in labels]}
                         for key, label in MONTH_SERIES],
        })
    return {"currencies": charts}


def _channel_label(code):
    """The sales channel as the rest of the product names it (有赞, 自有商城), not its code."""
    return Channel(code).label if code in Channel.values else code


class FinanceDashboardView(_FinanceMixin, TemplateView):
    template_name = "settlement/partners/dashboard.html"

    def get_context_data(self, **kwargs):
        since_day = _since()
        since = _moment(since_day)
        months = revenue_by_month(since=since)
        kinds = dict(ServiceJob._meta.get_field("kind").choices)
        # Each row's type and city tier by their names (安装, 一线城市), as the catalogue and the jobs name them.
        services = [{**row, "kind_label": kinds.get(row["kind"], row["kind"]),
                     "tier_label": CityTier(row["tier"]).label if row["tier"] in CityTier.values else row["tier"]}
                    for row in services_by_kind_and_tier(since=since)]
        chart = months_chart(months=months, since=since_day, counts=paid_counts_by_currency(since=since))
        service_chart = {
            "labels": [f"{row['kind_label']} · {row['tier_label']}" for row in services],
            "datasets": [{"label": str(_("Service revenue")), "data": [float(r["revenue"] or 0) for r in services]},
                         {"label": str(_("Service margin")), "data": [float(r["margin"] or 0) for r in services]}],
        }
        return super().get_context_data(
            since=since_day, months=months, regions=revenue_by_region(since=since),
            channels=[{**row, "label": _channel_label(row["channel"])} for row in revenue_by_channel(since=since)],
            services=services,
            match_rate=match_rate(since=since), chart=chart, service_chart=service_chart,
            alerts=list(RegionAlert.objects.select_related("region").order_by("-month", "-created_at")[:20]),
            **kwargs)
