"""#13 end to end, and its contract with partner settlement (#14): a WeChat Pay bill read by the real parser through
the import job, matched by a reconciliation run, and a partner statement that settles exactly the orders the run
matched (`reconciled_payment_lines()`)."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from demo.statement_files import Entry, wechatpay_bill
from scrm.platform.tenancy import tenant_scope
from settlement.models import Order, PaymentChannel, StatementLine
from settlement.partner_services import reconciled_payment_lines, statement_generate
from settlement.reconciliation.services import reconciliation_run
from settlement.services import store_payment_channel_set
from settlement.statements.services import payment_channels_ensure, statement_import
from tests.settlement.partners import monthly_rule, partner_with_store, region

pytestmark = pytest.mark.django_db

CN = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 10, 10)


def at(hh, mm=0):
    return datetime.combine(DAY, time(hh, mm), tzinfo=CN)


def test_a_wechatpay_bill_is_imported_matched_and_settles_exactly_the_matched_orders(
        organization, eager_tasks, django_capture_on_commit_callbacks):
    area = region(organization, "EAST", "华东")
    monthly_rule(organization, region=area)
    partner, store = partner_with_store(organization, area)
    with tenant_scope(organization):
        payment_channels_ensure(organization=organization)
        wechat = PaymentChannel.objects.get(code="wechatpay")
        store_payment_channel_set(store=store, channel=wechat)

        for n, (number, amount) in enumerate([("A1", "1500.00"), ("A2", "500.00"), ("A3", "300.00"),
                                              ("A4", "800.00"), ("A5", "1000.00")]):
            Order.objects.create(
                organization=organization, store=store, channel=store.channel, external_number=number,
                paid_amount=Decimal(amount), goods_amount=Decimal(amount), status="paid", placed_at=at(9 + n),
                paid_at=at(9 + n))
    entries = [
        Entry("A1", "4200000001", Decimal("1500.00"), at(9, 1)),
        Entry("A2", "4200000002", Decimal("500.00"), at(10, 1)),
        Entry("A3", "4200000003", Decimal("280.00"), at(11, 1)),  # 20.00 short: amount mismatch
        # A4 is not in the bill: missing in channel
        Entry("A5", "4200000005", Decimal("1000.00"), at(13, 1), fee=Decimal("10.00000")),  # 1%: fee mismatch
        Entry("A1", "4200000001", Decimal("1500.00"), at(9, 2)),  # the same payment again: duplicate
        Entry("X-UNKNOWN", "4200000099", Decimal("88.00"), at(15)),  # no such order: missing in ledger
    ]
    with tenant_scope(organization), django_capture_on_commit_callbacks(execute=True):
        statement = statement_import(organization=organization, channel=wechat,
                                     file=SimpleUploadedFile("wechatpay.csv", wechatpay_bill(entries)))
    with tenant_scope(organization):
        statement.refresh_from_db()
        assert (statement.status, statement.layout, statement.line_count) == ("imported", "wechatpay-current", 6)

        run = reconciliation_run(channel=wechat, period_start=DAY)

        classes = sorted(StatementLine.objects.values_list("order_number", "match__match_class"))
        assert classes == [("A1", "duplicate"), ("A1", "matched"), ("A2", "matched"), ("A3", "amount_mismatch"),
                           ("A5", "fee_mismatch"), ("X-UNKNOWN", "missing_in_ledger")]
        summary = run.summary
        assert summary["matched"] == {"count": 2, "amount": "2000.00"}
        assert summary["missing_in_channel"] == {"count": 1, "amount": "800.00"}
        assert summary["statement_total"] == "4868.00" and summary["ledger_total"] == "4100.00"
        assert set(run.discrepancies.values_list("kind", "order_number")) == {
            ("amount_mismatch", "A3"), ("fee_mismatch", "A5"), ("missing_in_channel", "A4"), ("duplicate", "A1"),
            ("missing_in_ledger", "X-UNKNOWN")}

        # The #14 contract: the reconciled orders are exactly the matched ones, once each.
        reconciled = reconciled_payment_lines().values_list("match__order__external_number", flat=True)
        assert sorted(reconciled) == ["A1", "A2"]
        settlement, _generated = statement_generate(partner=partner, period_start=date(2026, 10, 1),
                                                    period_end=date(2026, 10, 31))
        lines = dict(settlement.lines.values_list("kind", "amount"))
        assert settlement.order_count == 2
        assert lines["sales"] == Decimal("2000.00")  # A1 + A2: not A3, A4, A5, nor A1's duplicate line
        assert lines["channel_fees"] == Decimal("-12.00")  # 0.6% of the two matched payments
