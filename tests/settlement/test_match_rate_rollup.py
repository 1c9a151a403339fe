"""The dashboard's reconciliation match rate reads the daily rollup (source "lines", by statement day): it must equal
the share counted directly over the statement lines and their results, on random data, and follow every import,
every run's results and every deletion at the next read."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, Q

from scrm.platform.tenancy import tenant_scope
from settlement import partner_dashboard as dashboard
from settlement.models import FinanceDayMark, MatchClass, ReconciliationRun, StatementLine, StatementLineMatch
from tests.settlement.partners import _channel

pytestmark = pytest.mark.django_db
FIRST_DAY = date(2026, 9, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")
CLASSES = [MatchClass.MATCHED] * 6 + [MatchClass.AMOUNT_MISMATCH, MatchClass.DUPLICATE, MatchClass.MISSING_IN_LEDGER]


def direct_match_rate(since):
    counts = StatementLine.objects.filter(bill_date__gte=since).aggregate(
        total=Count("pk"), matched=Count("pk", filter=Q(match__match_class=MatchClass.MATCHED)))
    if not counts["total"]:
        return None
    return (Decimal(counts["matched"]) * 100 / counts["total"]).quantize(Decimal("0.1"))


def _lines(organization, rng, count, *, start=0):
    channel, statement = _channel(organization)
    return StatementLine.objects.bulk_create([
        StatementLine(organization=organization, statement=statement, channel=channel, line_number=start + n,
                      kind=rng.choice(["payment", "payment", "refund"]), order_number=f"M{start + n}",
                      gross_amount=Decimal("10.00"), fee=Decimal("0.06"), net_amount=Decimal("9.94"),
                      currency=rng.choice(["CNY", "CNY", "HKD"]),
                      bill_date=day, occurred_at=datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI))
        for n, day in enumerate(FIRST_DAY + timedelta(days=rng.randrange(30)) for _n in range(count))])


def _assert_rates():
    for since in (FIRST_DAY, date(2026, 10, 1), date(2026, 10, 15), date(2026, 12, 1)):
        assert dashboard.match_rate(since=since) == direct_match_rate(since), since


@pytest.mark.parametrize("seed", [1, 2])
def test_the_match_rate_from_the_rollup_equals_the_direct_count(organization, seed):
    rng = random.Random(seed)
    with tenant_scope(organization):
        lines = _lines(organization, rng, 150)
        # Results written outside a run (as the demo and the benchmarks write them), for four lines in five.
        StatementLineMatch.objects.bulk_create([
            StatementLineMatch(line=line, organization=organization, match_class=rng.choice(CLASSES))
            for line in lines if rng.random() < 0.8])
        _assert_rates()
        assert dashboard.match_rate(since=FIRST_DAY) not in (None, Decimal("0.0"), Decimal("100.0"))
        assert not FinanceDayMark.objects.exists()  # the read brought every marked day up to date


def test_the_match_rate_follows_lines_and_the_results_of_runs(organization):
    rng = random.Random(5)
    with tenant_scope(organization):
        channel, _statement = _channel(organization)
        lines = _lines(organization, rng, 80)
        _assert_rates()
        assert dashboard.match_rate(since=FIRST_DAY) == Decimal("0.0")  # imported, not reconciled yet
        # A run of October's first ten statement days writes its results: only those days are marked.
        run = ReconciliationRun.objects.create(organization=organization, channel=channel,
                                               period_start=date(2026, 10, 1), period_end=date(2026, 10, 10))
        covered = [line for line in lines if run.period_start <= line.bill_date <= run.period_end]
        StatementLineMatch.objects.bulk_create([
            StatementLineMatch(line=line, organization=organization, run=run, match_class=MatchClass.MATCHED)
            for line in covered])
        assert set(FinanceDayMark.objects.values_list("day", flat=True)) <= {
            run.period_start + timedelta(days=n) for n in range(10)}
        _assert_rates()
        assert dashboard.match_rate(since=date(2026, 10, 1)) > Decimal("0.0")
        # The run again, after new data: some results change class, one is removed.
        StatementLineMatch.objects.filter(line__in=covered[:5]).update(match_class=MatchClass.AMOUNT_MISMATCH)
        StatementLineMatch.objects.filter(line=covered[5]).delete()
        _assert_rates()
        # Lines imported later, and a statement's lines deleted with their results.
        _lines(organization, rng, 20, start=1000)
        _assert_rates()
        StatementLineMatch.objects.filter(line__in=lines[:30]).delete()
        StatementLine.objects.filter(pk__in=[line.pk for line in lines[:30]]).delete()
        _assert_rates()
        # A line moved to another statement day.
        StatementLine.objects.filter(pk=covered[-1].pk).update(bill_date=date(2026, 12, 2))
        _assert_rates()
        assert dashboard.match_rate(since=date(2026, 12, 1)) is not None
