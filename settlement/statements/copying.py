"""Statement lines as rows of PostgreSQL COPY's text format, and the figures of the statement added up on the way.

A parser hands its lines to the import through `StatementParser.copy_rows(tally)`: each line as the row COPY reads,
with `tally` counting it. The default formats every `Line` with `Tally.line`; a parser may write the rows of its
canonical form itself (the WeChat Pay bill does, docs/reconciliation.md "How an import runs"), as long as it writes what
`Tally.line` would have written for the same `Line`: a test holds both to that.
"""

from datetime import date
from decimal import Decimal

COLUMNS = ("organization_id", "statement_id", "channel_id", "line_number", "kind", "transaction_id", "order_number",
           "refund_number", "channel_refund_id", "gross_amount", "fee", "net_amount", "currency", "occurred_at",
           "bill_date", "raw")
# COPY's text format: a backslash, TAB, newline or carriage return in a value is written as an escape.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value):
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


class Tally:
    """What the import records of a statement while its rows are written: the lines of each kind, the gross and fee
    totals (payments minus refunds, in fen and in 1/100,000 yuan: integers, exact) and the statement days.
    `prefix` is the start of every row (organization, statement, channel)."""

    def __init__(self, prefix=""):
        self.prefix = prefix
        self.payments = self.refunds = 0
        self.gross_units = self.fee_units = 0
        self.days = set()  # ISO dates: a statement has one or a few

    def line(self, line):
        """The COPY row of a parsed `Line`, counted."""
        gross, fee = int(line.gross_amount.scaleb(2)), int(line.fee.scaleb(5))
        if line.kind == "payment":
            self.payments += 1
            self.gross_units += gross
            self.fee_units += fee
        else:
            self.refunds += 1
            self.gross_units -= gross
            self.fee_units -= fee
        day = line.bill_date.isoformat()
        self.days.add(day)
        return (f"{self.prefix}{line.line_number}\t{line.kind}\t{copy_text(line.transaction_id)}\t"
                f"{copy_text(line.order_number)}\t{copy_text(line.refund_number)}\t"
                f"{copy_text(line.channel_refund_id)}\t{line.gross_amount}\t{line.fee}\t{line.net_amount}\t"
                f"{copy_text(line.currency)}\t{line.occurred_at.isoformat()}\t{day}\t{copy_text(line.raw)}\n")

    @property
    def lines(self):
        return self.payments + self.refunds

    @property
    def gross(self):
        return Decimal(self.gross_units).scaleb(-2)

    @property
    def fee(self):
        return Decimal(self.fee_units).scaleb(-5)

    @property
    def first_day(self):
        return date.fromisoformat(min(self.days)) if self.days else None

    @property
    def last_day(self):
        return date.fromisoformat(max(self.days)) if self.days else None
