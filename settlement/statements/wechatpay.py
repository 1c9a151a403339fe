"""WeChat Pay trade bill (`downloadbill`, bill type ALL, SUCCESS or REFUND): a CSV of four parts, the detail header,
the detail rows, the summary header and the summary row (docs/reconciliation.md, ../shared/PROTOCOLS.md).

Every value is prefixed with one backtick. Two layouts exist: the current one (27 columns, 应结订单金额 ...) and the
legacy one of older merchants (24 columns, 总金额 ...); the header says which, and columns are found by title. A
refund row has 交易状态 REFUND. The summary row is checked against the sums of the details: a file whose details do
not add up to its own summary is refused, as is a file cut off before its summary.

WeChat Pay dates a row by its payment-success time (a refund's by its refund time), in China time: that date is the
line's `bill_date`.
"""

import csv
import re
import unicodedata
from datetime import date
from decimal import Decimal
from itertools import chain

from django.utils.translation import gettext_lazy as _

from settlement.statements.base import StatementParser, net, same
from settlement.statements.messages import StatementRefused
from settlement.statements.reading import (
    CENT,
    CHINA,
    FEE_UNIT,
    RAW_LIMIT,
    TEXT_LIMIT,
    CountingLines,
    Line,
    amount,
    china_date,
    clean,
    first_line_encoding,
    moment,
    text,
)

CURRENT_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
    "手续费,费率,订单金额,申请退款金额,费率备注").split(",")
CURRENT_SUMMARY = ("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,"
                   "申请退款总金额").split(",")
LEGACY_HEADER = (
    "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,"
    "商户数据包,手续费,费率").split(",")
LEGACY_SUMMARY = "总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额".split(",")

CURRENT, LEGACY = "wechatpay-current", "wechatpay-legacy"
LAYOUTS = {
    # layout: (the detail titles it needs, the amount paid, summary title -> the detail column it sums)
    CURRENT: {"gross": "应结订单金额", "summary": {
        "应结订单总金额": "应结订单金额", "退款总金额": "退款金额", "充值券退款总金额": "充值券退款金额",
        "手续费总金额": "手续费", "订单总金额": "订单金额", "申请退款总金额": "申请退款金额"}},
    LEGACY: {"gross": "总金额", "summary": {
        "总交易额": "总金额", "总退款金额": "退款金额", "总代金券或立减优惠退款金额": "代金券或立减优惠退款金额",
        "手续费总金额": "手续费"}},
}
REQUIRED = ("交易时间", "微信订单号", "商户订单号", "交易状态", "退款金额", "手续费")
PAID, REFUND, REVOKED = "SUCCESS", "REFUND", "REVOKED"
LABEL = _("WeChat Pay trade bill")
LAYOUT_LABELS = {CURRENT: _("WeChat Pay trade bill (current layout)"),
                 LEGACY: _("WeChat Pay trade bill (legacy layout)")}


def detect(names):
    """The layout of a header (titles cleaned), or None."""
    present = set(names)
    if set(REQUIRED) <= present:
        if "应结订单金额" in present:
            return CURRENT
        if "总金额" in present:
            return LEGACY
    return None


class WeChatPayParser(StatementParser):
    def bytes_read(self):
        return self._lines.bytes_read if getattr(self, "_lines", None) else 0

    def __iter__(self):
        return self._read(None)

    def copy_rows(self, tally):
        return self._read(tally)

    def _read(self, tally):
        """The bill's lines (`Line`s), or with a `tally` their COPY rows: a row of the canonical form (`Canonical`)
        is then written straight from its text, any other through `Line` (normalised, or refused with its line)."""
        first = self.stream.readline()
        if not first.strip():
            raise StatementRefused("empty")
        if first.startswith(b"PK\x03\x04"):
            raise StatementRefused("looks_like", line=1, found=_("a ZIP archive (an Alipay bill?)"), layout=LABEL)
        lines = self._lines = CountingLines(self.stream, encoding=first_line_encoding(first))
        lines.push_back(first)
        texts = iter(lines)  # csv reads a row from here (one line, more when a quoted cell holds a line break)
        header = [clean(name) for name in next(csv.reader(texts))]
        self.layout = detect(header)
        if self.layout is None:
            if first.startswith(b"#") or any("支付宝" in name for name in header):
                raise StatementRefused("looks_like", line=1, found=_("Alipay bill"), layout=LABEL)
            raise StatementRefused("unknown_layout", line=1, layout=LABEL)
        rules = LAYOUTS[self.layout]
        index = {name: position for position, name in enumerate(header)}
        # The summary's sums, kept as integers of the column's unit (fen; 1e-5 yuan for the fee): one int addition
        # a cell instead of a Decimal one.
        sum_columns = [(column, index[column], 5 if column == "手续费" else 2) for column in rules["summary"].values()]
        units = [0] * len(sum_columns)
        gross_at = next(n for n, (column, _p, _d) in enumerate(sum_columns) if column == rules["gross"])
        refund_at = next(n for n, (column, _p, _d) in enumerate(sum_columns) if column == "退款金额")
        fee_at = next(n for n, (column, _p, _d) in enumerate(sum_columns) if column == "手续费")
        at = {name: index[name] for name in ("交易时间", "交易状态", "微信订单号", "商户订单号", "商户退款单号",
                                             "微信退款单号", "货币种类")}
        at["gross"] = index[rules["gross"]]
        width = len(header)
        count = 0
        currency = self.channel.currency if self.channel is not None else "CNY"
        canonical = None
        if tally is not None and len(set(header)) == width:  # a title twice: the last one counts, as `index` says
            canonical = Canonical(header, sum_columns, (gross_at, refund_at, fee_at), currency, tally)
        # Rows from one csv reader, or with the fast lane physical lines, each read by csv when it is not canonical.
        for row in csv.reader(texts) if canonical is None else texts:
            if canonical is not None:
                row_text = canonical.row(row, lines.line, units)
                if row_text is not None:
                    count += 1
                    if row_text:
                        yield row_text
                    continue
                row = next(csv.reader(chain((row,), texts)))
            number = lines.line
            if not row or (not row[0].strip() and not any(cell.strip() for cell in row)):
                continue
            if "总交易单数" in row[0] and clean(row[0]) == "总交易单数":
                sums = {column: Decimal(units[n]).scaleb(-digits)
                        for n, (column, _p, digits) in enumerate(sum_columns)}
                self._summary(csv.reader(texts), lines, row, rules, sums, count)
                if canonical is not None:
                    canonical.close()
                return
            if len(row) != width:
                raise StatementRefused("columns", line=number, found=len(row), expected=width)
            count += 1
            figures = []
            for n, (column, position, digits) in enumerate(sum_columns):
                # The usual form (`, ASCII digits, a dot, no more decimals than allowed) with string operations;
                # anything else through `amount` (normalised, or refused with the line and column).
                value = row[position].strip()
                if value[:1] == "`":
                    value = value[1:]
                whole, dot, fraction = value.partition(".")
                body = whole[1:] if whole[:1] == "-" else whole
                if (body.isdigit() and body.isascii() and len(body) <= 15 and (
                        (fraction.isdigit() and fraction.isascii() and len(fraction) <= digits) or not dot)):
                    figure = int(body) * _SCALE[digits] + (int(fraction) * _PAD[digits - len(fraction)]
                                                           if fraction else 0)
                    if body is not whole:
                        figure = -figure
                else:
                    figure = int(amount(row[position], line=number, column=column,
                                        places=_PLACES[digits]).scaleb(digits))
                figures.append(figure)
                units[n] += figure
            line = self._line(row, at, number, rules, currency, figures[gross_at], figures[refund_at],
                              figures[fee_at])
            if line is not None:
                yield line if tally is None else tally.line(line)
        raise StatementRefused("truncated", line=lines.line)

    def _line(self, row, at, number, rules, currency, gross, refunded, fee):
        status = clean(row[at["交易状态"]])
        if status not in (PAID, REFUND):
            status = status.upper()
            if status == REVOKED:
                return None
            if status not in (PAID, REFUND):
                raise StatementRefused("bad_status", line=number, column="交易状态",
                                       value=clean(row[at["交易状态"]])[:20])
        occurred_at = moment(clean(row[at["交易时间"]]), line=number, column="交易时间")
        fee = _decimal(abs(fee), 5)
        if status == PAID:
            if gross < 0:
                raise StatementRefused("bad_amount", line=number, column=rules["gross"],
                                       value=clean(row[at["gross"]])[:40])
            kind, gross = "payment", _decimal(gross, 2)
        else:
            kind, gross = "refund", _decimal(abs(refunded), 2)
        refund = kind == "refund"
        return Line(
            line_number=number, kind=kind,
            transaction_id=text(row[at["微信订单号"]], line=number, column="微信订单号"),
            order_number=text(row[at["商户订单号"]], line=number, column="商户订单号"),
            refund_number=text(row[at["商户退款单号"]], line=number, column="商户退款单号") if refund else "",
            channel_refund_id=text(row[at["微信退款单号"]], line=number, column="微信退款单号") if refund else "",
            gross_amount=gross, fee=fee, net_amount=net(gross, fee),
            currency=(clean(row[at["货币种类"]]) or currency)[:3].upper(),
            occurred_at=occurred_at,
            # A time read without a zone is China time already: its date is the statement day.
            bill_date=occurred_at.date() if occurred_at.tzinfo is CHINA else china_date(occurred_at),
            raw=",".join(row)[:RAW_LIMIT],
        )

    def _summary(self, reader, lines, titles, rules, sums, count):
        titles = [clean(title) for title in titles]
        title_line = lines.line
        values = next(reader, None)
        while values is not None and not any(cell.strip() for cell in values):
            values = next(reader, None)
        if values is None:
            raise StatementRefused("truncated", line=title_line)
        number = lines.line
        if len(values) < len(titles):
            raise StatementRefused("columns", line=number, found=len(values), expected=len(titles))
        stated = dict(zip(titles, values, strict=False))
        if "总交易单数" in stated:
            try:
                stated_count = int(clean(stated["总交易单数"]))
            except ValueError:
                raise StatementRefused("bad_amount", line=number, column="总交易单数",
                                       value=clean(stated["总交易单数"])[:40]) from None
            if stated_count != count:
                raise StatementRefused("summary_mismatch", line=number, name="总交易单数", stated=stated_count,
                                       computed=count)
        for title, column in rules["summary"].items():
            if title not in stated:
                continue
            figure = amount(stated[title], line=number, column=title, places=FEE_UNIT)
            raw = clean(stated[title])
            # The stated figure at its own precision (fees are stated with five decimals or with two).
            figure = Decimal(unicodedata.normalize("NFKC", raw).replace(",", "")) if raw else figure
            if not same(figure, sums[column]):
                raise StatementRefused("summary_mismatch", line=number, name=title, stated=raw,
                                       computed=sums[column].quantize(Decimal(1).scaleb(
                                           min(figure.as_tuple().exponent, -2))))
        for extra in reader:
            if any(cell.strip() for cell in extra):
                raise StatementRefused("after_summary", line=lines.line)


_SCALE = {2: 100, 5: 100_000}
_PAD = {n: 10**n for n in range(6)}
_PLACES = {2: CENT, 5: FEE_UNIT}


def _decimal(units, digits):
    return Decimal(units).scaleb(-digits)


class Canonical:
    """The fast lane of the import: a detail row in the form WeChat Pay writes (every cell one backtick and its value;
    amounts with two decimals, the fee with five; a time of this century; the identifiers printable ASCII without
    spaces; no quote, TAB or backslash anywhere) is checked by one regular expression and written as its COPY row
    from its text, with integer arithmetic: what `WeChatPayParser._line` and `Tally.line` would make of it, at a
    third of the cost (docs/reconciliation.md, "How an import runs"). Any other row is left to them (`row` returns
    None).

    `row` adds the row's figures to the summary's sums (`units`) and returns its COPY row, or "" for a REVOKED row
    (counted in the summary, not a line)."""

    _ANY = r"[^,\"\t\r\n\\\x00]*"
    # printable ASCII but for the quote, comma, backslash and backtick
    _IDENT = rf"`?([\x21\x23-\x2b\x2d-\x5b\x5d-\x5f\x61-\x7e]{{0,{TEXT_LIMIT}}})"
    _CELLS = {
        "交易时间": r"`?(20\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])) ((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)",
        "交易状态": r"`?(SUCCESS|REFUND|REVOKED)",
        "货币种类": r"`?([A-Z]{0,3})",
        "微信订单号": _IDENT, "商户订单号": _IDENT, "商户退款单号": _IDENT, "微信退款单号": _IDENT,
    }
    _MONEY = r"`?(-?\d{1,15})\.(\d\d)"
    _FEE = r"`?(-?\d{1,15})\.(\d{5})"

    def __init__(self, header, sum_columns, figures_at, currency, tally):
        self.tally = tally
        self.currency = currency[:3].upper()
        cells, groups, captured = [], {}, 0  # groups: a column's first group's index in the row's match
        amounts = {column: digits for column, _position, digits in sum_columns}
        for name in header:
            pattern = (self._FEE if amounts[name] == 5 else self._MONEY) if name in amounts else self._CELLS.get(name)
            if pattern is None:
                pattern = self._ANY
            else:
                groups[name] = captured
                captured += re.compile(pattern).groups
            cells.append(pattern)
        self.match = re.compile(",".join(cells) + r"(\r?\n?)").fullmatch
        self.sums = [(groups[column], groups[column] + 1) for column, _position, _digits in sum_columns]
        self.day, self.status, self.currency_at = groups["交易时间"], groups["交易状态"], groups["货币种类"]
        self.txn, self.order = groups["微信订单号"], groups["商户订单号"]
        self.refund_number, self.refund_id = groups["商户退款单号"], groups["微信退款单号"]
        self.gross_at, self.refund_at, self.fee_at = figures_at  # of the summary's sums
        self.days = {}  # ISO date -> whether it is a date of the calendar
        self.line_days = set()  # the statement days of the lines written
        self.payments = self.refunds = self.gross_units = self.fee_units = 0

    def row(self, text, number, units):
        found = self.match(text)
        if found is None:
            return None
        cells = found.groups()
        day = cells[self.day]
        valid = self.days.get(day)
        if valid is None:
            valid = self.days[day] = _is_date(day)
        if not valid:
            return None
        figures = [int(cells[whole] + cells[fraction]) for whole, fraction in self.sums]
        status = cells[self.status]
        if status == PAID:
            gross = figures[self.gross_at]
            if gross < 0:
                return None  # refused by `_line`, with its message
        for n, figure in enumerate(figures):
            units[n] += figure
        if status == REVOKED:
            return ""
        fee = abs(figures[self.fee_at])
        self.line_days.add(day)
        if status == PAID:
            kind, refund_number, refund_id = "payment", "", ""
            self.payments += 1
            self.gross_units += gross
            self.fee_units += fee
        else:
            kind, refund_number, refund_id = "refund", cells[self.refund_number], cells[self.refund_id]
            gross = abs(figures[self.refund_at])
            self.refunds += 1
            self.gross_units -= gross
            self.fee_units -= fee
        # net = gross - fee rounded half away from zero to the fen (base.net), "-0.00" as Decimal writes it
        exact = gross * 1000 - fee
        cents = (abs(exact) + 500) // 1000
        sign = "-" if exact < 0 else ""
        raw = text[:len(text) - len(cells[-1])][:RAW_LIMIT]
        return (f"{self.tally.prefix}{number}\t{kind}\t{cells[self.txn]}\t{cells[self.order]}\t{refund_number}\t"
                f"{refund_id}\t{gross // 100}.{gross % 100:02d}\t{fee // 100_000}.{fee % 100_000:05d}\t"
                f"{sign}{cents // 100}.{cents % 100:02d}\t{cells[self.currency_at] or self.currency}\t"
                f"{day}T{cells[self.day + 1]}+08:00\t{day}\t{raw}\n")

    def close(self):
        """Hand the counted rows to the tally (once the summary has been checked)."""
        tally = self.tally
        tally.payments += self.payments
        tally.refunds += self.refunds
        tally.gross_units += self.gross_units
        tally.fee_units += self.fee_units
        tally.days.update(self.line_days)


def _is_date(text):
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
