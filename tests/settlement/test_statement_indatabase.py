"""A WeChat Pay bill in the plain form is read by PostgreSQL (settlement/statements/indatabase.py): the lines it
stores are the ones the Python parser reads, field for field; a bill that is not plain is read by the parser, with
its rules and messages."""

import io
import logging
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from demo.statement_files import Entry, wechatpay_bill
from scrm.platform.tenancy import tenant_scope
from settlement.models import PaymentChannel, StatementLine
from settlement.statements.services import payment_channels_ensure, statement_import
from settlement.statements.wechatpay import WeChatPayParser
from tests.settlement.statements import FakeChannel, at, day_entries

pytestmark = pytest.mark.django_db
FIELDS = ("line_number", "kind", "transaction_id", "order_number", "refund_number", "channel_refund_id",
          "gross_amount", "fee", "net_amount", "currency", "occurred_at", "bill_date", "raw")


@pytest.fixture
def imported(organization, eager_tasks, django_capture_on_commit_callbacks, caplog):
    """Import `content` through the product's service and job: (the import, its lines, where it was read)."""
    def run(content):
        caplog.clear()
        with tenant_scope(organization), caplog.at_level(logging.INFO, logger="settlement.statements.services"):
            payment_channels_ensure(organization=organization)
            wechat = PaymentChannel.objects.get(code="wechatpay")
            with django_capture_on_commit_callbacks(execute=True):
                row = statement_import(organization=organization, channel=wechat,
                                       file=SimpleUploadedFile("bill.csv", content))
            row.refresh_from_db()
            lines = [tuple(getattr(line, name) for name in FIELDS)
                     for line in StatementLine.objects.filter(statement=row).order_by("line_number")]
        read_in = [record.read_in for record in caplog.records if record.getMessage() == "statement imported"]
        return row, lines, read_in

    return run


def parsed(content):
    return [tuple(getattr(line, name) for name in FIELDS)
            for line in WeChatPayParser(io.BytesIO(content), channel=FakeChannel())]


def revoked_first(content):
    """The first payment revoked: the channel lists it (counted in the summary), no line is kept for it."""
    return content.replace(b"`SUCCESS", b"`REVOKED", 1)


def blank_after_header(content):
    head, _, rest = content.partition(b"\r\n")
    return head + b"\r\n\r\n" + rest


@pytest.mark.parametrize("bill", [
    pytest.param(lambda: wechatpay_bill(day_entries()), id="current"),
    pytest.param(lambda: wechatpay_bill(day_entries(), layout="legacy"), id="legacy"),
    pytest.param(lambda: wechatpay_bill(day_entries()).decode().encode("gb18030"), id="gbk"),
    pytest.param(lambda: revoked_first(wechatpay_bill(day_entries())), id="revoked"),
    pytest.param(lambda: blank_after_header(wechatpay_bill(day_entries())), id="blank-line"),
])
def test_a_plain_bill_is_read_by_postgresql_into_the_parsers_lines(imported, bill):
    content = bill()
    row, lines, read_in = imported(content)
    assert row.status == "imported" and read_in == ["postgresql"]
    assert lines == parsed(content) and len(lines) >= 3
    payments = [line for line in lines if line[1] == "payment"]
    refunds = [line for line in lines if line[1] == "refund"]
    assert (row.payment_count, row.refund_count, row.line_count) == (len(payments), len(refunds), len(lines))
    assert row.gross_total == sum(line[6] for line in payments) - sum(line[6] for line in refunds)
    assert row.fee_total == sum(line[7] for line in payments) - sum(line[7] for line in refunds)
    assert (row.period_start, row.period_end) == (min(line[11] for line in lines), max(line[11] for line in lines))


def test_a_bill_not_in_the_plain_form_is_read_by_the_parser(imported):
    # Full-width digits in one amount (and a summary that states them the same way): the parser normalises them.
    entries = [Entry("NO2001", "4200002026113099990001", Decimal("12.50"), at(10))]
    content = wechatpay_bill(entries).replace(b"`12.50", "`１２.50".encode(), 1)
    row, lines, read_in = imported(content)
    assert row.status == "imported" and read_in == ["python"]
    assert [(line[3], line[6]) for line in lines] == [("NO2001", Decimal("12.50"))]


def test_a_plain_bill_whose_summary_disagrees_is_refused_naming_the_line(imported):
    content = wechatpay_bill(day_entries(), summary={"应结订单总金额": "9999.00"})
    row, lines, _read_in = imported(content)
    assert row.status == "failed" and lines == []
    assert row.errors[0]["code"] == "summary_mismatch" and row.errors[0]["line"] == 7
