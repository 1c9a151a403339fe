"""The demo week of statements: one WeChat Pay bill and one Alipay ZIP a day, consistent with the ledger except
for the seeded discrepancies, each of which is where the docs say."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from demo.statements import CHINA, _days, seed_reconciliation, seed_statements
from scrm.models import Role
from settlement.models import StatementImport, StatementLine, Store
from settlement.reconciliation_models import Discrepancy, ReconciliationRun
from settlement.services import order_upsert, refund_upsert, store_ensure
from settlement.snapshots import OrderSnapshot, RefundSnapshot

pytestmark = pytest.mark.django_db


def ledger(organization):
    stores = {"wechatpay": store_ensure(organization=organization, channel="youzan", ref="yz", name="有赞店"),
              "alipay": store_ensure(organization=organization, channel="manual", ref="mall", name="官方商城")}
    for d, day in enumerate(_days()):
        for code, store in stores.items():
            for n in range(3):
                paid_at = datetime.combine(day, time(9 + 3 * n, 10), tzinfo=CHINA)
                number = f"{'E' if code == 'wechatpay' else 'XH'}{day:%Y%m%d}{n:03d}"
                order_upsert(organization=organization, store=store, snapshot=OrderSnapshot(
                    number=number, status="paid", version=1, paid_amount=Decimal(100 + 10 * n + d),
                    goods_amount=Decimal(100 + 10 * n + d), placed_at=paid_at, paid_at=paid_at, updated_at=paid_at))
    refunded_at = datetime.combine(_days()[2], time(18), tzinfo=CHINA)
    refund_upsert(organization=organization, store=stores["wechatpay"], snapshot=RefundSnapshot(
        number="RF-DEMO-1", order_number=f"E{_days()[0]:%Y%m%d}001", status="refunded", version=2,
        amount=Decimal("110.00"), requested_at=refunded_at - timedelta(hours=1), refunded_at=refunded_at))


def test_a_week_of_statements_with_one_discrepancy_of_each_class(scoped):
    ledger(scoped)
    seeded = seed_statements(organization=scoped)
    assert {s["class"] for s in seeded if s["channel"] == "wechatpay"} == {
        "amount_mismatch", "fee_mismatch", "missing_in_ledger", "missing_in_channel", "duplicate",
        "refund_mismatch", "timing"}
    imports = StatementImport.objects.all()
    assert imports.count() == 14 and set(imports.values_list("status", flat=True)) == {"imported"}
    found = {s["class"]: s for s in seeded if s["channel"] == "wechatpay"}
    wechat = StatementLine.objects.filter(channel__code="wechatpay")
    assert wechat.filter(order_number=found["missing_in_ledger"]["order"]).get().gross_amount == Decimal("88.00")
    assert not StatementLine.objects.filter(order_number=found["missing_in_channel"]["order"]).exists()
    assert wechat.filter(order_number=found["duplicate"]["order"], kind="payment").count() == 2
    timing = wechat.get(order_number=found["timing"]["order"])
    assert timing.bill_date.isoformat() == found["timing"]["day"] and timing.occurred_at.astimezone(CHINA).hour == 0
    assert wechat.get(kind="refund").gross_amount == Decimal("60.00")  # 110.00 reported 50.00 short
    # Seeded once.
    assert seed_statements(organization=scoped) == [] and StatementImport.objects.count() == 14
    assert timezone.is_aware(timing.occurred_at)


LINE_CLASSES = ("matched", "amount_mismatch", "fee_mismatch", "missing_in_ledger", "duplicate", "refund_mismatch")


def test_the_demo_week_is_reconciled_and_shows_each_seeded_discrepancy(scoped):
    ledger(scoped)
    seeded = seed_statements(organization=scoped)
    assert seed_reconciliation(organization=scoped) == []  # each day was reconciled after its import
    runs = list(ReconciliationRun.objects.select_related("channel").order_by("period_start", "channel__code"))

    # Each store pays where its statements say: finance's first screens have a run for every statement day.
    assert set(Store.objects.values_list("ref", "payment_channel__code")) == {("yz", "wechatpay"), ("mall", "alipay")}
    days = {day.isoformat() for day in _days()}
    for code in ("wechatpay", "alipay"):
        assert {r.period_start.isoformat() for r in runs if r.channel.code == code} == days
    assert all(r.status == "done" and r.period_start == r.period_end for r in runs)

    # Every seeded class is a discrepancy, exactly where docs/reconciliation.md says, and nothing else is.
    found = {(d.channel.code, d.kind, d.order_number): d for d in Discrepancy.objects.select_related("channel")}
    assert sorted(found) == sorted((s["channel"], s["class"], s["order"]) for s in seeded)
    assert len(found) == Discrepancy.objects.count() == 9
    for s in seeded:
        discrepancy = found[(s["channel"], s["class"], s["order"])]
        assert discrepancy.status == ("cleared" if s["class"] == "timing" else "open"), s
        if s["class"] != "timing":
            assert discrepancy.bill_date.isoformat() == s["day"], s
    wechat = {s["class"]: found[("wechatpay", s["class"], s["order"])] for s in seeded if s["channel"] == "wechatpay"}
    assert wechat["amount_mismatch"].difference == Decimal("-20.00")
    assert wechat["missing_in_ledger"].statement_amount == Decimal("88.00")
    assert wechat["refund_mismatch"].statement_amount == Decimal("60.00")  # 110.00 refunded, reported 50.00 short
    timing = wechat["timing"]  # paid 23:59:40 on day 1, in day 2's bill: cleared by day 2's run
    assert timing.bill_date == _days()[0] and timing.actions.filter(action="cleared").exists()

    # The totals add up, per run and over the week.
    for run in runs:
        summary = run.summary
        assert sum(Decimal(summary[c]["amount"]) for c in LINE_CLASSES) == Decimal(summary["statement_total"])
        assert sum(summary[c]["count"] for c in LINE_CLASSES) == run.figures["line_count"]
    for code in ("wechatpay", "alipay"):
        week = sum(Decimal(r.summary["statement_total"]) for r in runs if r.channel.code == code)
        assert week == sum(i.gross_total for i in StatementImport.objects.filter(channel__code=code))
        assert StatementLine.objects.filter(channel__code=code, match__isnull=True).count() == 0
    assert sum(r.summary["missing_in_channel"]["count"] for r in runs) == 2

    # seed_demo runs again on every `make run`: nothing is run twice.
    assert seed_statements(organization=scoped) == [] and seed_reconciliation(organization=scoped) == []
    assert set(ReconciliationRun.objects.values_list("run_count", flat=True)) == {1}


def test_each_demo_statement_was_taken_in_on_the_morning_after_its_day_by_finance(scoped, make_user):
    """The statement list read every bill "uploaded" at the minute of seeding by nobody, and the timing difference's
    clearing at that minute too: finance takes each day's bills in the next morning and reconciles them then."""
    finance = make_user(scoped, Role.FINANCE, username="finance")
    ledger(scoped)
    before = timezone.now()
    seed_statements(organization=scoped)
    now = timezone.now()
    for row in StatementImport.objects.all():
        morning = datetime.combine(row.period_start + timedelta(days=1), time(9, 20), tzinfo=CHINA)
        assert row.created_by == finance and row.source == StatementImport.Source.UPLOAD
        assert min(morning, before - timedelta(minutes=3)) <= row.created_at <= row.finished_at < now, row
    for run in ReconciliationRun.objects.all():
        assert run.created_by == finance
        assert run.finished_at.astimezone(CHINA).date() <= run.period_start + timedelta(days=1)
    timing = Discrepancy.objects.get(kind="timing")
    cleared = timing.actions.get(action="cleared")
    assert timing.first_seen_at.astimezone(CHINA).date() == _days()[0] + timedelta(days=1)
    assert cleared.at.astimezone(CHINA).date() == timing.resolved_at.astimezone(CHINA).date() == _days()[1] + timedelta(
        days=1)
