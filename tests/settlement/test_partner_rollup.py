"""The finance dashboard reads a daily rollup (FinanceDay): its answers must be those of a direct aggregate over the
ledger, on random data, and stay so as orders, refunds, payment lines and service jobs arrive or change."""

import random
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import Coalesce, TruncMonth

from scrm.platform.tenancy import tenant_scope
from settlement import partner_dashboard as dashboard
from settlement.models import (
    FinanceDay,
    FinanceDayMark,
    Order,
    Refund,
    ServiceJob,
    StatementLine,
)
from settlement.partner_tasks import finance_days_refresh_all
from tests.settlement.partners import _channel, partner_with_store, region

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
SINCE = datetime(2026, 5, 1, tzinfo=SHANGHAI)
ZERO = Decimal("0")
_MONEY = DecimalField(max_digits=20, decimal_places=2)

# --- The reference: the dashboard's figures aggregated directly over the ledger rows ---------------------------------


def _month(value):
    return value.date().isoformat()[:7] if hasattr(value, "date") else value.isoformat()[:7]


def direct_revenue_by_month(since):
    paid = (Order.objects.filter(paid_at__gte=since).annotate(month=TruncMonth("paid_at", tzinfo=SHANGHAI))
            .values("month", "currency").annotate(total=Sum("paid_amount")).order_by())
    refunds = (Refund.objects.filter(status=Refund.Status.REFUNDED, refunded_at__gte=since)
               .annotate(month=TruncMonth("refunded_at", tzinfo=SHANGHAI)).values("month", "currency")
               .annotate(total=Sum("amount")).order_by())
    fees = (StatementLine.objects.filter(kind=StatementLine.Kind.PAYMENT, occurred_at__gte=since)
            .annotate(month=TruncMonth("occurred_at", tzinfo=SHANGHAI)).values("month", "currency")
            .annotate(total=Sum("fee")).order_by())
    rows = {}
    for source, key in ((paid, "revenue"), (refunds, "refunds"), (fees, "fees")):
        for row in source:
            entry = rows.setdefault((_month(row["month"]), row["currency"]),
                                    {"revenue": ZERO, "refunds": ZERO, "fees": ZERO})
            entry[key] = Decimal(row["total"] or 0).quantize(Decimal("0.01"))
    result = []
    for (month, currency), entry in sorted(rows.items()):
        entry["margin"] = entry["revenue"] - entry["refunds"] - entry["fees"]
        result.append({"month": month, "currency": currency, **entry})
    return result


def direct_by(since, *keys):
    return sorted(((tuple(row[k] for k in keys), row["total"], row["n"]) for row in (
        Order.objects.filter(paid_at__gte=since).values(*keys).annotate(total=Sum("paid_amount"), n=Count("pk"))
        .order_by())), key=repr)


def direct_services(since):
    margin = ExpressionWrapper(F("price_total") - F("material_total") - F("payout_total"), output_field=_MONEY)
    return sorted(ServiceJob.objects.filter(status__in=[ServiceJob.Status.COMPLETED, ServiceJob.Status.CONFIRMED],
                                            completed_at__gte=since)
                  .values_list("kind", "tier", "currency")
                  .annotate(n=Count("pk"), revenue=Sum("price_total"), materials=Sum("material_total"),
                            payouts=Sum("payout_total"), margin=Sum(margin)).order_by())


def direct_region_months(since):
    paid = (Order.objects.filter(paid_at__gte=since, region__isnull=False)
            .annotate(month=TruncMonth("paid_at", tzinfo=SHANGHAI)).values("region", "month")
            .annotate(total=Sum("paid_amount")).order_by())
    refunded = (Refund.objects.filter(status=Refund.Status.REFUNDED, refunded_at__gte=since,
                                      order__region__isnull=False)
                .annotate(month=TruncMonth("refunded_at", tzinfo=SHANGHAI)).values("order__region", "month")
                .annotate(total=Sum("amount")).order_by())
    margin = ExpressionWrapper(F("price_total") - F("material_total") - F("payout_total"), output_field=_MONEY)
    services = (ServiceJob.objects.filter(completed_at__gte=since, region__isnull=False,
                                          status__in=[ServiceJob.Status.COMPLETED, ServiceJob.Status.CONFIRMED])
                .annotate(month=TruncMonth("completed_at", tzinfo=SHANGHAI)).values("region", "month")
                .annotate(revenue=Coalesce(Sum("price_total"), ZERO, output_field=_MONEY),
                          margin=Coalesce(Sum(margin), ZERO, output_field=_MONEY)).order_by())
    table = {}
    for row in paid:
        table.setdefault(row["region"], {}).setdefault(_month(row["month"]), {})["paid"] = row["total"] or ZERO
    for row in refunded:
        table.setdefault(row["order__region"], {}).setdefault(_month(row["month"]), {})["refunded"] = row["total"]
    for row in services:
        cell = table.setdefault(row["region"], {}).setdefault(_month(row["month"]), {})
        cell["revenue"], cell["margin"] = row["revenue"], row["margin"]
    return table


def assert_dashboard_matches_the_ledger(since=SINCE):
    """Every rollup-based figure equals the direct aggregate (rows compared in a fixed order: ties of the ORDER BY
    total may come either way)."""
    assert dashboard.revenue_by_month(since=since) == direct_revenue_by_month(since)
    regions = dashboard.revenue_by_region(since=since)
    assert len(regions) <= 30
    assert sorted((((r["region__name"], r["currency"]), r["total"], r["n"]) for r in regions), key=repr) == direct_by(
        since, "region__name", "currency")
    channels = dashboard.revenue_by_channel(since=since)
    assert [r["total"] for r in channels] == sorted((r["total"] for r in channels), reverse=True)
    assert sorted((((r["channel"], r["currency"]), r["total"], r["n"]) for r in channels), key=repr) == direct_by(
        since, "channel", "currency")
    assert sorted((r["kind"], r["tier"], r["currency"], r["n"], r["revenue"], r["materials"], r["payouts"],
                   r["margin"]) for r in dashboard.services_by_kind_and_tier(since=since)) == direct_services(since)
    assert dashboard._region_months(since=since) == direct_region_months(since)


# --- Random ledger data ---------------------------------------------------------------------------------------------


def _moment(rng):
    """A moment from April to November 2026, often within a minute of a local midnight (the day boundary)."""
    day = date(2026, 4, 20) + timedelta(days=rng.randrange(210))
    local = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
    offset = rng.choice([rng.randrange(-60, 60), rng.randrange(86400)])
    return (local + timedelta(seconds=offset)).astimezone(UTC)


def _amount(rng, places=2):
    return Decimal(rng.randrange(1, 500_000)) / (10 ** places)


def _random_ledger(organization, rng, regions, stores, partner, *, orders=120):
    channel, bill = _channel(organization)
    with tenant_scope(organization):
        made = Order.objects.bulk_create([
            Order(organization=organization, store=rng.choice(stores), channel=rng.choice(["youzan", "douyin"]),
                  external_number=f"R{rng.random()}", currency=rng.choice(["CNY", "CNY", "HKD"]),
                  paid_amount=_amount(rng), status="paid", paid_at=rng.choice([_moment(rng), None]),
                  region=rng.choice(regions))
            for _n in range(orders)])
        Refund.objects.bulk_create([
            Refund(organization=organization, store=order.store, order=rng.choice([order, None]),
                   order_number=order.external_number, external_number=f"RF{order.pk}", currency=order.currency,
                   amount=_amount(rng), status=rng.choice(["refunded", "refunded", "requested"]),
                   refunded_at=rng.choice([_moment(rng), None]))
            for order in made if rng.random() < 0.3])
        StatementLine.objects.bulk_create([
            StatementLine(organization=organization, statement=bill, channel=channel, line_number=n,
                          kind=rng.choice(["payment", "payment", "refund"]), order_number=order.external_number,
                          gross_amount=order.paid_amount, fee=_amount(rng, 5), net_amount=order.paid_amount,
                          currency=order.currency, occurred_at=_moment(rng), bill_date=date(2026, 10, 1))
            for n, order in enumerate(made, start=StatementLine.objects.count() + 1) if rng.random() < 0.8])
        ServiceJob.objects.bulk_create([
            ServiceJob(organization=organization, number=f"J{rng.random()}", partner=partner,
                       kind=rng.choice(["installation", "repair"]),
                       status=rng.choice(["open", "completed", "confirmed", "confirmed"]),
                       currency=rng.choice(["CNY", "HKD"]), price_total=_amount(rng), material_total=_amount(rng),
                       payout_total=_amount(rng), tier=rng.choice([1, 2, 3]), region=rng.choice(regions),
                       completed_at=rng.choice([_moment(rng), None]))
            for _n in range(orders // 3)])
        return made


@pytest.fixture
def ledger(organization):
    east = region(organization, "EAST", "华东")
    west = region(organization, "WEST", "西部")
    partner, store = partner_with_store(organization, east)
    _other, other_store = partner_with_store(organization, west, code="P2", name="西部门店")
    return [east, west, None], [store, other_store], partner


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollup_answers_what_a_direct_aggregate_over_the_ledger_answers(organization, ledger, seed):
    regions, stores, partner = ledger
    rng = random.Random(seed)
    _random_ledger(organization, rng, regions, stores, partner)
    with tenant_scope(organization):
        assert_dashboard_matches_the_ledger()
        assert dashboard.revenue_by_month(since=SINCE)  # not an empty comparison
        assert not FinanceDayMark.objects.exists()  # the read refreshed every marked day
        assert_dashboard_matches_the_ledger(since=datetime(2026, 10, 1, tzinfo=SHANGHAI))


def test_the_dashboard_follows_every_change_of_the_ledger(organization, ledger):
    regions, stores, partner = ledger
    rng = random.Random(7)
    orders = _random_ledger(organization, rng, regions, stores, partner, orders=60)
    with tenant_scope(organization):
        assert_dashboard_matches_the_ledger()
        before = {row["month"]: row for row in dashboard.revenue_by_month(since=SINCE) if row["currency"] == "CNY"}
        # An order arrives, paid on 15 October (Shanghai): October's revenue grows by its amount, at the next read.
        Order.objects.create(organization=organization, store=stores[0], channel="youzan", external_number="NEW",
                             currency="CNY", paid_amount=Decimal("123.45"), status="paid", region=regions[0],
                             paid_at=datetime(2026, 10, 15, 9, tzinfo=SHANGHAI))
        after = {row["month"]: row for row in dashboard.revenue_by_month(since=SINCE) if row["currency"] == "CNY"}
        october = before.get("2026-10", {"revenue": ZERO})["revenue"]
        assert after["2026-10"]["revenue"] == october + Decimal("123.45")
        assert_dashboard_matches_the_ledger()
        # Orders change amount, day (across a month end), region and channel; one is deleted.
        paid = [order for order in orders if order.paid_at is not None]
        paid[0].paid_amount += Decimal("0.01")
        paid[0].save()
        paid[1].paid_at = datetime(2026, 8, 31, 23, 59, tzinfo=SHANGHAI)
        paid[1].save()
        refunded_orders = set(Refund.objects.filter(status="refunded").values_list("order", flat=True))
        moved = next((order for order in paid[2:] if order.pk in refunded_orders), paid[2])
        moved.region = regions[1] if moved.region_id != regions[1].pk else regions[0]
        moved.save()
        Order.objects.filter(pk=paid[3].pk).update(channel="jd")
        Order.objects.filter(pk=paid[4].pk, refunds__isnull=True).delete()
        assert_dashboard_matches_the_ledger()
        # A refund arrives for an order, another is refused, a fee is corrected; jobs are confirmed or cancelled.
        Refund.objects.create(organization=organization, store=stores[0], order=paid[5],
                              order_number=paid[5].external_number, external_number="RF-NEW", currency="CNY",
                              amount=Decimal("10.00"), status="refunded",
                              refunded_at=datetime(2026, 10, 20, 0, 0, tzinfo=SHANGHAI))
        refused = Refund.objects.filter(status="refunded").exclude(external_number="RF-NEW").order_by("pk").first()
        Refund.objects.filter(pk=refused.pk).update(status="refused")
        corrected = StatementLine.objects.filter(kind="payment").order_by("pk").first()
        StatementLine.objects.filter(pk=corrected.pk).update(fee=Decimal("0.00001"))
        ServiceJob.objects.filter(status="open").update(status="confirmed",
                                                        completed_at=datetime(2026, 10, 2, tzinfo=UTC))
        cancelled = ServiceJob.objects.filter(status="confirmed").order_by("pk").first()
        ServiceJob.objects.filter(pk=cancelled.pk).update(status="cancelled")
        assert_dashboard_matches_the_ledger()


def test_the_region_alerts_read_the_rollup_up_to_date(organization, ledger):
    regions, stores, partner = ledger
    east = regions[0]
    with tenant_scope(organization):
        for month in (7, 8, 9, 10):
            order = Order.objects.create(organization=organization, store=stores[0], channel="youzan",
                                         external_number=f"M{month}", currency="CNY", paid_amount=Decimal("1000"),
                                         status="paid", region=east, paid_at=datetime(2026, month, 5, tzinfo=UTC))
            Refund.objects.create(organization=organization, store=stores[0], order=order,
                                  order_number=order.external_number, external_number=f"RM{month}", currency="CNY",
                                  amount=Decimal("20"), status="refunded", refunded_at=datetime(2026, month, 6,
                                                                                               tzinfo=UTC))
        assert dashboard.region_moves(month="2026-10") == []
        # October's refund rate jumps from 2 % to 32 %: raised as soon as the refund is stored.
        Refund.objects.create(organization=organization, store=stores[0], order=order, order_number="M10",
                              external_number="RM10b", currency="CNY", amount=Decimal("300"), status="refunded",
                              refunded_at=datetime(2026, 10, 7, tzinfo=UTC))
        assert dashboard.region_moves(month="2026-10") == [
            (east.pk, "refund_rate", Decimal("32.00"), Decimal("2.00"))]
        # The order moves to another region: its refunds move with it.
        Order.objects.filter(pk=order.pk).update(region=regions[1])
        assert dashboard.region_moves(month="2026-10") == []
        assert_dashboard_matches_the_ledger()


def test_a_dashboard_period_starts_at_a_local_midnight(organization):
    with tenant_scope(organization), pytest.raises(ValueError):
        dashboard.revenue_by_channel(since=datetime(2026, 5, 1, tzinfo=UTC))


def test_beat_brings_every_organizations_rollup_up_to_date(organization, ledger):
    regions, stores, _partner = ledger
    with tenant_scope(organization):
        Order.objects.create(organization=organization, store=stores[0], channel="youzan", external_number="B1",
                             currency="CNY", paid_amount=Decimal("88.80"), status="paid", region=regions[0],
                             paid_at=datetime(2026, 10, 15, 9, tzinfo=SHANGHAI))
        assert FinanceDayMark.objects.exists()
    finance_days_refresh_all()
    with tenant_scope(organization):
        assert not FinanceDayMark.objects.exists()
        assert list(FinanceDay.objects.values_list("day", "source", "amount", "count")) == [
            (date(2026, 10, 15), "paid", Decimal("88.80"), 1)]


@pytest.mark.django_db(transaction=True)
def test_an_order_committed_after_a_refresh_began_is_counted_by_the_next_read(organization):
    """A writer's mark is not seen by a refresh while its transaction is open: it stays, and the next read after the
    commit recomputes the day (the rollup never keeps a committed order out)."""
    east = region(organization, "EAST", "华东")
    _partner, store = partner_with_store(organization, east)
    written, release = threading.Event(), threading.Event()

    def writer():
        try:
            with tenant_scope(organization), transaction.atomic():
                Order.objects.create(organization=organization, store=store, channel="youzan", external_number="LATE",
                                     currency="CNY", paid_amount=Decimal("50.00"), status="paid", region=east,
                                     paid_at=datetime(2026, 10, 15, 9, tzinfo=SHANGHAI))
                written.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(10)
    with tenant_scope(organization):
        assert dashboard.revenue_by_channel(since=SINCE) == []  # not committed: not seen, its mark left alone
        release.set()
        thread.join(10)
        assert dashboard.revenue_by_channel(since=SINCE) == [
            {"channel": "youzan", "currency": "CNY", "total": Decimal("50.00"), "n": 1}]
