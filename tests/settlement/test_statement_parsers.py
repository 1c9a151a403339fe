"""Each statement parser on realistic files, and the files it must refuse, naming the line."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from demo.statement_files import Entry, alipay_bill, unionpay_csv, wechatpay_bill
from settlement.statements.alipay import AlipayParser
from settlement.statements.mapped import UNIONPAY_MAPPING, MappedParser
from settlement.statements.messages import StatementRefused
from settlement.statements.reading import amount
from settlement.statements.wechatpay import CURRENT, LEGACY, WeChatPayParser
from tests.settlement.statements import DAY, FakeChannel, at, day_entries


def parse(parser_class, content, **kwargs):
    parser = parser_class(io.BytesIO(content), channel=FakeChannel(**kwargs), size=len(content))
    return parser, list(parser)


def refusal(parser_class, content, **kwargs):
    with pytest.raises(StatementRefused) as caught:
        parse(parser_class, content, **kwargs)
    return caught.value


@pytest.mark.parametrize(("layout", "expected"), [("current", CURRENT), ("legacy", LEGACY)])
def test_a_wechatpay_bill_of_either_layout_becomes_payments_and_refunds(layout, expected):
    parser, lines = parse(WeChatPayParser, wechatpay_bill(day_entries(), layout=layout))
    assert parser.layout == expected
    assert [(line.kind, line.order_number, line.gross_amount, line.fee) for line in lines] == [
        ("payment", "NO1001", Decimal("2999.00"), Decimal("17.99400")),
        ("payment", "NO1002", Decimal("199.00"), Decimal("1.19400")),
        ("payment", "NO1003", Decimal("1299.00"), Decimal("7.79400")),
        ("refund", "NO1001", Decimal("300.00"), Decimal("1.80000")),
    ]
    payment, refund = lines[0], lines[3]
    # The backtick is gone; numbers are as the channel wrote them.
    assert payment.transaction_id == "4200002026113012345678901"
    assert payment.net_amount == Decimal("2981.01")
    assert refund.refund_number == "RF1001" and refund.channel_refund_id == "50300002026113012345678901"
    assert payment.occurred_at == at(9, 15, 2)
    # Dated by the payment-success time in China time: a minute before midnight is still that day.
    assert lines[2].bill_date == DAY
    assert [line.line_number for line in lines] == [2, 3, 4, 5]


def test_a_wechatpay_payment_after_midnight_is_in_the_next_day():
    entries = [Entry("NO2001", "42001", Decimal("10.00"), at(0, 0, 5, day=date(2026, 12, 1)))]
    _parser, lines = parse(WeChatPayParser, wechatpay_bill(entries))
    assert lines[0].bill_date == date(2026, 12, 1)


def test_a_wechatpay_bill_whose_details_do_not_add_up_to_its_summary_is_refused_at_the_summary_line():
    error = refusal(WeChatPayParser, wechatpay_bill(day_entries(), summary={"应结订单总金额": "4497.01"}))
    assert error.code == "summary_mismatch" and error.line == 7
    assert "4497.01" in error.message and "4497.00" in error.message
    error = refusal(WeChatPayParser, wechatpay_bill(day_entries(), summary={"总交易单数": "5"}))
    assert error.code == "summary_mismatch" and "总交易单数" in error.message


def test_a_wechatpay_bill_cut_off_before_its_summary_is_refused():
    error = refusal(WeChatPayParser, wechatpay_bill(day_entries(), truncate=True))
    assert error.code == "truncated" and error.line == 5


def test_a_wechatpay_row_with_missing_columns_names_its_line():
    content = wechatpay_bill(day_entries()).replace(b",`\r\n", b"\r\n", 1)
    error = refusal(WeChatPayParser, content)
    assert (error.code, error.line) == ("columns", 2)


def test_a_wechatpay_bill_saved_in_gbk_midway_is_refused_with_the_line():
    content = wechatpay_bill(day_entries()).replace("星河滤芯（一年装）".encode(), "星河滤芯（一年装）".encode("gbk"))
    error = refusal(WeChatPayParser, content)
    assert (error.code, error.line) == ("encoding", 3)
    assert "UTF-8" in error.message  # the encoding the bill should have been in


@pytest.mark.parametrize(("value", "expected"), [
    ("`1,299.00", Decimal("1299.00")),
    ("１２９９．００", Decimal("1299.00")),
    ("￥1299.00\t", Decimal("1299.00")),
    ("-300.00\t", Decimal("-300.00")),
])
def test_amounts_are_normalised_when_they_are_unambiguous(value, expected):
    assert amount(value, line=3, column="x") == expected


@pytest.mark.parametrize("value", ["1,29.00", "12.345", "1.2.3", "十元", "--5"])
def test_ambiguous_amounts_are_refused_with_line_and_column(value):
    with pytest.raises(StatementRefused) as caught:
        amount(value, line=9, column="应结订单金额")
    assert caught.value.code == "bad_amount"
    assert caught.value.line == 9 and "9" in caught.value.message and "应结订单金额" in caught.value.message


def test_a_wechatpay_amount_with_a_broken_thousands_separator_names_its_line():
    content = wechatpay_bill(day_entries()).replace(b"`199.00,", b'"`1,99.00",', 1)
    error = refusal(WeChatPayParser, content)
    assert (error.code, error.line) == ("bad_amount", 3)


def test_an_alipay_bill_whose_summary_member_comes_first_is_read_by_member_name():
    content = alipay_bill(day_entries(), day=DAY, summary_first=True)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "汇总" in archive.namelist()[0]
    parser, lines = parse(AlipayParser, content)
    assert parser.layout == "alipay"
    assert [(line.kind, line.order_number, line.gross_amount, line.fee) for line in lines] == [
        ("payment", "NO1001", Decimal("2999.00"), Decimal("17.99")),
        ("payment", "NO1002", Decimal("199.00"), Decimal("1.19")),
        ("payment", "NO1003", Decimal("1299.00"), Decimal("7.79")),
        ("refund", "NO1001", Decimal("300.00"), Decimal("1.80")),
    ]
    # Trailing TABs gone, the negative refund made positive with its kind, the request number kept.
    assert lines[3].refund_number == "RF1001" and lines[3].transaction_id == "4200002026113012345678901"
    assert lines[0].line_number == 6  # after four framing lines and the header


def test_an_alipay_bill_without_the_extra_column_reads_the_same():
    _parser, with_extra = parse(AlipayParser, alipay_bill(day_entries(), day=DAY, extra_column=True))
    _parser, without = parse(AlipayParser, alipay_bill(day_entries(), day=DAY, extra_column=False,
                                                       summary_first=False))
    assert [(line.order_number, line.gross_amount) for line in with_extra] == \
        [(line.order_number, line.gross_amount) for line in without]


def test_an_alipay_bill_whose_totals_disagree_is_refused():
    error = refusal(AlipayParser, alipay_bill(day_entries(), day=DAY, totals={"refund": (2, Decimal("-300.00"))}))
    assert error.code == "summary_mismatch" and "退款" in error.message


def test_an_alipay_bill_cut_before_its_end_marker_is_refused():
    assert refusal(AlipayParser, alipay_bill(day_entries(), day=DAY, cut=True)).code == "truncated"


def test_the_wrong_channel_is_named():
    assert refusal(AlipayParser, wechatpay_bill(day_entries())).code == "looks_like"
    assert refusal(WeChatPayParser, alipay_bill(day_entries(), day=DAY)).code == "looks_like"
    assert refusal(AlipayParser, b"hello").code == "not_zip"
    assert refusal(WeChatPayParser, unionpay_csv(day_entries(), encoding="utf-8")).code == "unknown_layout"


def test_the_default_unionpay_mapping_reads_a_gbk_csv():
    parser, lines = parse(MappedParser, unionpay_csv(day_entries()), mapping=UNIONPAY_MAPPING)
    assert parser.layout == "mapped-csv"
    assert [(line.kind, line.order_number, line.gross_amount) for line in lines][-1] == \
        ("refund", "NO1001", Decimal("300.00"))
    assert lines[-1].refund_number == "RF1001"


def test_a_mapped_xlsx_is_read_row_by_row():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["京东支付对账单"])
    sheet.append(["订单号", "金额", "时间", "类型"])
    sheet.append(["JD1", 88.5, at(10).replace(tzinfo=None), "支付"])
    sheet.append(["JD2", "-20.00", "2026-11-30 11:00:00", "退款"])
    out = io.BytesIO()
    workbook.save(out)
    mapping = {"columns": {"order_number": "订单号", "amount": "金额", "time": "时间", "type": "类型"},
               "refund_values": ["退款"], "header_row": 2}
    parser, lines = parse(MappedParser, out.getvalue(), mapping=mapping)
    assert parser.layout == "mapped-xlsx"
    assert [(line.line_number, line.kind, line.gross_amount) for line in lines] == [
        (3, "payment", Decimal("88.50")), (4, "refund", Decimal("20.00"))]


def test_a_mapping_naming_a_column_the_file_lacks_is_refused():
    mapping = {**UNIONPAY_MAPPING, "columns": {**UNIONPAY_MAPPING["columns"], "fee": "服务费"}}
    error = refusal(MappedParser, unionpay_csv(day_entries()), mapping=mapping)
    assert (error.code, error.line) == ("missing_column", 1) and "服务费" in error.message
