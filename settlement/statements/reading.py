"""What every statement parser shares: the line it yields, amounts and times read the same way, and a reader that
counts the bytes it has consumed (the progress bar) and decodes line by line, so a parser holds one line at a time
whatever the file's size.

Normalisation rules (docs/reconciliation.md):

- an amount may carry full-width digits and punctuation (１２３．４５), a leading backtick (WeChat Pay), a trailing
  TAB or spaces (Alipay), a currency sign (¥/￥) and thousands separators placed every three digits (1,234.56):
  they are normalised. Anything else (1,23.4, 12.345 where cents are expected, letters, two signs) is refused with
  the line and the column;
- a time without a zone is China time (Asia/Shanghai), the time zone every channel dates its bills in.
"""

import codecs
import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from settlement.statements.messages import StatementRefused

CHINA = ZoneInfo("Asia/Shanghai")
TEXT_LIMIT = 64  # the identifier columns of StatementLine
RAW_LIMIT = 2000
# The form channels write (ASCII digits, a dot, at most five decimals): read without any normalisation.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?\d+(\.\d+)?$")
CENT = Decimal("0.01")
FEE_UNIT = Decimal("0.00001")
# The form channels write (ASCII digits, a dot, no more decimals than allowed): read without any normalisation.
_FAST = {CENT: re.compile(r"-?\d{1,15}(?:\.\d{1,2})?"), FEE_UNIT: re.compile(r"-?\d{1,15}(?:\.\d{1,5})?")}


@dataclass(slots=True)
class Line:
    """One payment or refund as a parser read it; amounts positive, `kind` says the direction."""

    line_number: int
    kind: str  # "payment" | "refund"
    transaction_id: str
    order_number: str
    refund_number: str
    channel_refund_id: str
    gross_amount: Decimal
    fee: Decimal
    net_amount: Decimal
    currency: str
    occurred_at: datetime
    bill_date: date
    raw: str


def clean(value):
    """A cell as text: the WeChat Pay backtick, Alipay's trailing TAB and surrounding spaces removed."""
    if value is None:
        return ""
    value = str(value).strip()
    if value.startswith("`"):
        value = value[1:]
    return value.strip()


def amount(value, *, line, column, places=CENT, decimal_comma=False, allow_negative=True):
    """Decimal of an amount cell, normalised as the module says; refused with the line and column otherwise."""
    if type(value) is str and not decimal_comma:
        text = value.strip()
        if text[:1] == "`":
            text = text[1:]
        fast = _FAST.get(places)
        if fast is not None and fast.fullmatch(text) and (allow_negative or text[:1] != "-"):
            return Decimal(text).quantize(places)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        text = unicodedata.normalize("NFKC", clean(value)).replace(" ", "").lstrip("¥￥")
        if text.startswith(("-¥", "-￥")):
            text = "-" + text[2:]
        if decimal_comma:
            text = _swap(text)
        if text == "":
            number = Decimal(0)
        elif _PLAIN.match(text):
            number = Decimal(text)
        elif _GROUPED.match(text):
            number = Decimal(text.replace(",", ""))
        else:
            raise StatementRefused("bad_amount", line=line, column=column, value=clean(value)[:40])
    try:
        quantized = number.quantize(places)
    except InvalidOperation:
        raise StatementRefused("bad_amount", line=line, column=column, value=clean(value)[:40]) from None
    if quantized != number or (number < 0 and not allow_negative) or abs(number) >= Decimal(10) ** 15:
        raise StatementRefused("bad_amount", line=line, column=column, value=clean(value)[:40])
    return quantized


def _swap(text):
    """1.234,56 → 1,234.56: a decimal comma channel's amount in the dotted form the rules read."""
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def percent(value):
    return clean(value)


def moment(value, *, line, column, formats=("%Y-%m-%d %H:%M:%S",)):
    """An aware datetime of a time cell (China time when the cell has no zone)."""
    if isinstance(value, datetime):
        parsed = value
    elif formats[0] == "%Y-%m-%d %H:%M:%S" and len(value) == 19 and value[10] == " " and value.isascii():
        # The usual form, read in C; anything else goes through the formats below.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return moment(value, line=line, column=column, formats=formats[1:] or ("%Y-%m-%d %H:%M:%S ",))
    else:
        text = unicodedata.normalize("NFKC", clean(value))
        parsed = None
        for fmt in formats:
            try:
                parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - China time, attached below
                break
            except ValueError:
                continue
        if parsed is None:
            raise StatementRefused("bad_time", line=line, column=column, value=text[:40], format=formats[0])
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CHINA)
    return parsed


def china_date(moment_):
    return moment_.astimezone(CHINA).date()


def text(value, *, line, column, limit=TEXT_LIMIT):
    value = clean(value)
    if len(value) > limit:
        raise StatementRefused("value_too_long", line=line, column=column, limit=limit)
    return value


class CountingLines:
    """Decoded lines of a binary stream, one at a time, counting the bytes consumed (`bytes_read`) and the physical
    line number (`line`). A line that does not decode raises `encoding` with its number."""

    def __init__(self, stream, *, encoding):
        self.stream, self.encoding = stream, encoding
        self.decoder_name = codecs.lookup(encoding).name
        self.bytes_read = 0
        self.line = 0
        self.pending = []

    def push_back(self, raw):
        self.pending.append(raw)

    def raw_lines(self):
        while self.pending:
            yield self.pending.pop()
        # readline, not iteration: Django's File iterates from the start of the file again.
        yield from iter(self.stream.readline, b"")

    def __iter__(self):
        for raw in self.raw_lines():
            self.bytes_read += len(raw)
            self.line += 1
            if self.line == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                yield raw.decode(self.encoding)
            except UnicodeDecodeError:
                raise StatementRefused("encoding", line=self.line, encoding=_ENCODING_NAMES.get(
                    self.decoder_name, self.encoding)) from None


_ENCODING_NAMES = {"utf-8": "UTF-8", "gb18030": "GBK", "gbk": "GBK"}


def first_line_encoding(first, candidates=("utf-8", "gb18030")):
    """The first of `candidates` the header line decodes in (a BOM forces UTF-8)."""
    if first.startswith(codecs.BOM_UTF8):
        return "utf-8"
    for encoding in candidates:
        try:
            first.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return candidates[0]


def csv_rows(lines):
    """csv rows of decoded lines; the row's line number is `lines.line` when it is yielded."""
    return csv.reader(lines)
