"""Any other channel's statement (UnionPay, JD Pay, a POS acquirer, a bank) as CSV or XLSX, read through the
channel's saved column mapping (`PaymentChannel.mapping`):

    {"columns": {"transaction_id": "流水号", "order_number": "商户订单号", "type": "交易类型", "amount": "交易金额",
                 "fee": "手续费", "time": "交易时间", "refund_number": "退款单号"},
     "refund_values": ["退货", "退款"], "date_format": "%Y-%m-%d %H:%M:%S", "decimal_comma": false,
     "encoding": "auto", "header_row": 1, "delimiter": ";"}

`amount`, `time` and one of `order_number` / `transaction_id` are needed. A row is a refund when its type is one of
`refund_values`, or when its amount is negative. Columns are found by title (spaces and full-width forms ignored).
A CSV's columns are separated by `delimiter` (`,` `;` tab or `|`, set on the channel's page); without one, a comma,
or a tab when the first line has tabs and no comma. XLSX is read with openpyxl in read-only mode (row by row). A
mapped file has no summary to check.
"""

import csv
import unicodedata
from datetime import datetime
from decimal import Decimal

import openpyxl
from django.utils.translation import gettext_lazy as _

from settlement.statements.base import StatementParser, net
from settlement.statements.messages import StatementRefused
from settlement.statements.reading import (
    FEE_UNIT,
    RAW_LIMIT,
    CountingLines,
    Line,
    amount,
    china_date,
    clean,
    first_line_encoding,
    moment,
    text,
)

LAYOUT_CSV, LAYOUT_XLSX = "mapped-csv", "mapped-xlsx"
LAYOUT_LABELS = {LAYOUT_CSV: _("CSV with the channel's column mapping"),
                 LAYOUT_XLSX: _("Excel with the channel's column mapping")}
FIELDS = ("transaction_id", "order_number", "refund_number", "type", "amount", "fee", "time", "currency")
FIELD_LABELS = {
    "transaction_id": _("channel transaction id"), "order_number": _("merchant order number"),
    "refund_number": _("merchant refund number"), "type": _("type"), "amount": _("amount"), "fee": _("fee"),
    "time": _("time"), "currency": _("currency"),
}
DEFAULT_FORMAT = "%Y-%m-%d %H:%M:%S"
UNIONPAY_MAPPING = {
    "columns": {"transaction_id": "交易流水号", "order_number": "商户订单号", "refund_number": "退款单号",
                "type": "交易类型", "amount": "交易金额", "fee": "手续费", "time": "交易时间"},
    "refund_values": ["退货", "退款"], "date_format": DEFAULT_FORMAT, "decimal_comma": False, "encoding": "auto",
    "header_row": 1,
}
_ZIP_MAGIC = b"PK\x03\x04"


def title(name):
    return unicodedata.normalize("NFKC", clean(name)).replace(" ", "").lower()


def mapping_problem(mapping):
    """The field a mapping lacks (its label), or None when it can read a file."""
    columns = (mapping or {}).get("columns") or {}
    for field in ("amount", "time"):
        if not columns.get(field):
            return FIELD_LABELS[field]
    if not (columns.get("order_number") or columns.get("transaction_id")):
        return FIELD_LABELS["order_number"]
    return None


class MappedParser(StatementParser):
    def __init__(self, stream, *, channel, size=0, mapping=None):
        super().__init__(stream, channel=channel, size=size)
        self.mapping = mapping if mapping is not None else (channel.mapping if channel is not None else {})
        self._position = 0

    def bytes_read(self):
        lines = getattr(self, "_lines", None)
        return lines.bytes_read if lines is not None else self._position

    def __iter__(self):
        missing = mapping_problem(self.mapping)
        if missing:
            raise StatementRefused("mapping_incomplete", field=missing)
        head = self.stream.read(4)
        self.stream.seek(0)
        if head == _ZIP_MAGIC:
            self.layout = LAYOUT_XLSX
            yield from self._rows_to_lines(self._xlsx_rows())
        else:
            self.layout = LAYOUT_CSV
            yield from self._rows_to_lines(self._csv_rows())

    def _csv_rows(self):
        first = self.stream.readline()
        if not first.strip():
            raise StatementRefused("empty")
        encoding = self.mapping.get("encoding") or "auto"
        if encoding == "auto":
            encoding = first_line_encoding(first)
        lines = self._lines = CountingLines(self.stream, encoding=encoding)
        lines.push_back(first)
        delimiter = self.mapping.get("delimiter") or ("\t" if b"\t" in first and b"," not in first else ",")
        for row in csv.reader(lines, delimiter=delimiter):
            yield lines.line, row

    def _xlsx_rows(self):
        try:
            workbook = openpyxl.load_workbook(self.stream, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
            raise StatementRefused("bad_xlsx") from None
        try:
            sheet = workbook.worksheets[0]
            total = sheet.max_row or 0
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if total:
                    self._position = min(self.size, self.size * number // total)
                yield number, list(row)
        finally:
            workbook.close()
        self._position = self.size

    def _rows_to_lines(self, rows):
        header_row = int(self.mapping.get("header_row") or 1)
        columns = self.mapping.get("columns") or {}
        index = None
        count = 0
        refund_values = {title(value) for value in self.mapping.get("refund_values") or []}
        formats = tuple(filter(None, [self.mapping.get("date_format"), DEFAULT_FORMAT, "%Y-%m-%d %H:%M",
                                      "%Y/%m/%d %H:%M:%S", "%Y%m%d%H%M%S"]))
        currency = self.channel.currency if self.channel is not None else "CNY"
        decimal_comma = bool(self.mapping.get("decimal_comma"))
        for number, row in rows:
            if index is None:
                if number < header_row:
                    continue
                titles = {title(cell): position for position, cell in enumerate(row) if cell is not None}
                index = {}
                for field, name in columns.items():
                    if not name:
                        continue
                    if title(name) not in titles:
                        raise StatementRefused("missing_column", line=number, column=name)
                    index[field] = titles[title(name)]
                continue
            if not any(clean(cell) for cell in row):
                continue
            count += 1
            yield self._line(row, index, number, refund_values, formats, currency, decimal_comma)
        if index is None:
            raise StatementRefused("truncated", line=header_row)
        if not count:
            raise StatementRefused("no_lines")

    def _line(self, row, index, number, refund_values, formats, currency, decimal_comma):
        columns = self.mapping["columns"]

        def cell(field):
            position = index.get(field)
            if position is None or position >= len(row):
                return ""
            return row[position]

        value = amount(cell("amount"), line=number, column=columns["amount"], decimal_comma=decimal_comma)
        fee = amount(cell("fee"), line=number, column=columns.get("fee", ""), places=FEE_UNIT,
                     decimal_comma=decimal_comma) if "fee" in index else Decimal(0)
        kind = "refund" if (title(cell("type")) in refund_values if "type" in index else False) or value < 0 \
            else "payment"
        time_value = cell("time")
        occurred_at = moment(time_value if isinstance(time_value, datetime) else clean(time_value), line=number,
                             column=columns["time"], formats=formats)
        gross, fee = abs(value), abs(fee)
        return Line(
            line_number=number, kind=kind,
            transaction_id=text(cell("transaction_id"), line=number, column=columns.get("transaction_id", "")),
            order_number=text(cell("order_number"), line=number, column=columns.get("order_number", "")),
            refund_number=text(cell("refund_number"), line=number, column=columns.get("refund_number", ""))
            if kind == "refund" else "",
            channel_refund_id="",
            gross_amount=gross, fee=fee, net_amount=net(gross, fee),
            currency=(clean(cell("currency")) or currency)[:3].upper(),
            occurred_at=occurred_at, bill_date=china_date(occurred_at),
            raw=",".join("" if v is None else str(v) for v in row)[:RAW_LIMIT],
        )
