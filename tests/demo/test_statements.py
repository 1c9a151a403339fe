"""The demo week of statements: one WeChat Pay bill and one Alipay ZIP a day, consistent with the ledger except
for the seeded discrepancies, each of which is where the docs say."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from demo.statements import CHINA, _days, seed_statements
from settlement.models import StatementImport, StatementLine
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
