"""The WeChat Pay bill's fast lane (settlement.statements.wechatpay.Canonical) writes exactly what the parser's lines
would have written: for random bills, rows as WeChat Pay writes them mixed with rows the parser must normalise
(full-width digits, thousands separators, cells without their backtick or with spaces, quoted cells, a lower-case
status, a fee with two decimals, revoked rows, blank lines), the import's COPY rows and its figures are the same
whichever way each row is read."""

import io
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo.statement_files import WECHAT_CURRENT, WECHAT_LEGACY, Entry, wechatpay_bill, wechatpay_rows
from settlement.statements.copying import Tally
from settlement.statements.wechatpay import WeChatPayParser
from tests.settlement.statements import CHINA, FakeChannel, day_entries

PREFIX = "7\t8\t9\t"
AMOUNT_TITLES = {"应结订单金额", "代金券金额", "退款金额", "充值券退款金额", "手续费", "订单金额", "申请退款金额",
                 "总金额", "代金券或立减优惠金额", "代金券或立减优惠退款金额"}
IDENT_TITLES = {"微信订单号", "商户订单号", "商户退款单号", "微信退款单号"}
FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


def import_rows(content):
    """The COPY rows and figures the import writes (the fast lane on), and those of the parser's `Line`s."""
    tally = Tally(PREFIX)
    fast = list(WeChatPayParser(io.BytesIO(content), channel=FakeChannel()).copy_rows(tally))
    lines_tally = Tally(PREFIX)
    by_line = [lines_tally.line(line) for line in WeChatPayParser(io.BytesIO(content), channel=FakeChannel())]
    figures = (tally.payments, tally.refunds, tally.gross, tally.fee, tally.first_day, tally.last_day)
    line_figures = (lines_tally.payments, lines_tally.refunds, lines_tally.gross, lines_tally.fee,
                    lines_tally.first_day, lines_tally.last_day)
    return fast, by_line, figures, line_figures


def _grouped(value):
    whole, _dot, fraction = value.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f'"{sign}{int(whole.lstrip("-")):,}.{fraction}"'


def _variant(cell, title, how):
    """The same value written another way the parser accepts (None: this way does not apply to the cell)."""
    value = cell[1:]
    if how == "no_backtick":
        return value
    if how == "spaces" and title in IDENT_TITLES | {"交易状态", "货币种类"}:
        return f" {cell} "
    if title in AMOUNT_TITLES:
        if how == "full_width":
            return "`" + value.translate(FULL_WIDTH)
        if how == "grouped" and abs(Decimal(value)) >= 1000:
            return _grouped(value)
        if how == "short_fee" and title == "手续费" and value.endswith("000"):
            return "`" + value[:-3]
    if how == "lower" and title == "交易状态":
        return cell.lower()
    if how == "quoted" and title == "商品名称":
        return f'"{value}，大号, 蓝色"'
    return None


entries = st.lists(st.builds(
    Entry,
    order_number=st.text("ABCXYZ0123456789-_", min_size=0, max_size=12).map(lambda text: "NO" + text),
    transaction_id=st.text("0123456789", min_size=1, max_size=28),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2),
    # Around midnight, China time (hypothesis takes naive bounds and draws the zone).
    at=st.datetimes(min_value=datetime(2026, 11, 30, 23, 0), max_value=datetime(2026, 12, 1, 1, 0),  # noqa: DTZ001
                    timezones=st.just(CHINA)),
    kind=st.sampled_from(["payment", "payment", "refund"]),
    fee=st.one_of(st.none(), st.decimals(min_value=Decimal(0), max_value=Decimal("100"), places=5),
                  # half a fen: the net's rounding
                  st.integers(0, 10_000).map(lambda n: Decimal(n * 1000 + 500).scaleb(-5))),
    refund_number=st.text("RF0123456789", min_size=0, max_size=10),
    refund_id=st.text("0123456789", min_size=0, max_size=20),
    product=st.text("星河商品 滤芯空调AB-1.5", min_size=0, max_size=12),
), min_size=1, max_size=25)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=entries, layout=st.sampled_from(["current", "legacy"]), data=st.data())
def test_the_import_writes_the_same_rows_whichever_lane_reads_a_row(entries, layout, data):
    header = WECHAT_CURRENT if layout == "current" else WECHAT_LEGACY
    titles = header.split(",")
    rows, sums = [], None
    for item in wechatpay_rows(entries, layout=layout):
        if isinstance(item, dict):
            sums = item
            break
        rows.append(item)
    out = [header]
    for row in rows:
        cells = row.split(",")
        how = data.draw(st.sampled_from(["as_written"] * 4 + [
            "no_backtick", "spaces", "full_width", "grouped", "short_fee", "lower", "quoted", "revoked", "blank"]))
        if how == "revoked":
            # Counted in the summary (its figures are in `sums`), not a line.
            cells[titles.index("交易状态")] = "`REVOKED"
        elif how == "blank":
            out.append("")
        elif how != "as_written":
            column = data.draw(st.integers(0, len(cells) - 1))
            cells[column] = _variant(cells[column], titles[column], how) or cells[column]
        out.append(",".join(cells))
    figures = [str(sums["count"]), str(sums["paid"]), str(sums["refund"]), "0.00"]
    if layout == "current":
        out.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
        figures += [str(sums["fee"]), str(sums["order"]), str(sums["asked"])]
    else:
        out.append("总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额")
        figures += [str(sums["fee"])]
    out.append("`" + ",`".join(figures))
    content = ("\r\n".join(out) + "\r\n").encode()

    fast, by_line, figures, line_figures = import_rows(content)
    assert fast == by_line
    assert figures == line_figures


def test_a_bill_as_wechat_pay_writes_it_is_read_without_a_line_object(monkeypatch):
    """The fast lane is what reads the bill a channel delivers: no row of it goes through `Line`."""
    content = wechatpay_bill(day_entries() + [
        Entry("NO1004", "4200002026113012345678904", Decimal("0.01"), day_entries()[0].at + timedelta(hours=1),
              fee=Decimal("0.01000"))])  # a fee above the amount: a negative net
    expected, _by_line, figures, _line_figures = import_rows(content)

    def refuse(*args, **kwargs):
        raise AssertionError("a canonical row went through Line")

    monkeypatch.setattr(WeChatPayParser, "_line", refuse)
    tally = Tally(PREFIX)
    rows = list(WeChatPayParser(io.BytesIO(content), channel=FakeChannel()).copy_rows(tally))
    assert rows == expected
    assert [row.split("\t")[9:12] for row in rows] == [
        ["2999.00", "17.99400", "2981.01"], ["199.00", "1.19400", "197.81"], ["1299.00", "7.79400", "1291.21"],
        ["300.00", "1.80000", "298.20"], ["0.01", "0.01000", "0.00"]]
    assert figures[:4] == (4, 1, Decimal("4197.01"), Decimal("25.19200"))
    assert unicodedata.normalize("NFKC", rows[0].split("\t")[-1]).startswith("`2026-11-30 09:15:02,`wx")
