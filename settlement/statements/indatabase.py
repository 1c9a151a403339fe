"""A WeChat Pay trade bill read by PostgreSQL instead of line by line in Python: the import's fast path.

Python reads the header line (encoding, layout, columns: the parser's own `header`); the rest of the file goes to
`COPY` as it is, one text column a line, into a temporary table (`stmt_raw`, numbered in file order). Then:

1. one aggregate checks every detail row is in the plain form channels write (the column count, ASCII amounts with
   at most two decimals — five for the fee —, a `YYYY-MM-DD HH:MM:SS` time, a known status, identifiers of
   printable ASCII up to 64 characters) and sums the summary's columns, the counts and the statement's figures;
2. the parser's own `summary` check runs on those sums (the summary rows, a few, are read back into Python);
3. one `INSERT ... SELECT` turns the rows into statement lines (the backtick dropped, amounts cast, refunds positive,
   the time read as China time, the raw row kept).

Anything else — a quoted cell, a row not in that form, no summary, a byte `COPY` cannot decode, a date that does not
exist — and the file is read by the Python parser instead (`None` is returned, nothing written): its rules (full-width
digits, thousands separators, the messages naming the line) stay the one reference, and a file it refuses is refused
with the same message either way. The caller runs this in its transaction (a savepoint here undoes a failed COPY).
"""

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import DatabaseError, connection, transaction

from settlement.statements.reading import RAW_LIMIT, TEXT_LIMIT, clean
from settlement.statements.wechatpay import LAYOUTS

SUMMARY_TITLE = "总交易单数"
# Bytes that make a line something else than comma-separated plain cells: a quote (a quoted cell may hold a comma or
# a line break), and the two control characters COPY is told to use as its delimiter and quote.
_NOT_PLAIN = (b'"', b"\x01", b"\x02")
_PG_ENCODING = {"utf-8": "UTF8", "gb18030": "GB18030"}
# One amount: empty (zero) or ASCII digits, a dot and at most two decimals (five for the fee); under 10**15 is
# checked on the number.
_AMOUNT = {2: r"(-?[0-9]+([.][0-9][0-9]?)?)?", 5: r"(-?[0-9]+([.][0-9][0-9]?[0-9]?[0-9]?[0-9]?)?)?"}
_TIME = r"^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
_BLANK = r"^[[:space:],]*$"


class _NotPlain(Exception):  # noqa: N818 - control flow: the file goes to the Python parser
    pass


@dataclass
class Figures:
    """What the import records of the lines it wrote (the same attributes as the Python path's COPY source)."""

    counts: dict = field(default_factory=lambda: {"payment": 0, "refund": 0})
    gross: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    first_day: date | None = None
    last_day: date | None = None


class _Rest:
    """The file after its header line, as COPY reads it, refusing (for the Python path) anything not plain."""

    def __init__(self, stream, report, offset):
        self.stream, self.report, self.done = stream, report, offset

    def read(self, size=-1):
        chunk = self.stream.read(size if size and size > 0 else 1 << 20)
        if any(marker in chunk for marker in _NOT_PLAIN):
            raise _NotPlain
        self.done += len(chunk)
        self.report(self.done)
        return chunk

    readline = read


def _cell(position):
    """A cell of the split row `f` without its backtick (1-based array)."""
    at = position + 1
    return f"(CASE WHEN starts_with(f[{at}], '`') THEN substr(f[{at}], 2) ELSE f[{at}] END)"


def wechatpay_load(row, parser, stream, report):
    """Read the bill `stream` (at its start) of the import `row` into its statement lines in PostgreSQL; returns the
    `Figures`, or None when the file needs the Python parser (nothing written then). Refuses (StatementRefused) as
    the parser does for a bad header or a summary that disagrees with the details."""
    first = stream.readline()
    encoding, header = parser.header(first)
    if encoding not in _PG_ENCODING:
        return None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS stmt_raw, stmt_cells; CREATE TEMP TABLE stmt_raw "
                           "(n bigint GENERATED ALWAYS AS IDENTITY, line text) ON COMMIT DROP")
            # One column a line: no delimiter or quote can occur in a plain line (checked as it is read).
            cursor.cursor.copy_expert(
                "COPY stmt_raw (line) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02', "
                f"ENCODING '{_PG_ENCODING[encoding]}')", _Rest(stream, report, len(first)), size=1 << 20)
            figures = _lines(cursor, row, parser, header)
            cursor.execute("DROP TABLE IF EXISTS stmt_raw, stmt_cells")
            return figures
    except (_NotPlain, DatabaseError, connection.Database.Error):
        return None


def _lines(cursor, row, parser, header):
    rules = LAYOUTS[parser.layout]
    index = {name: position for position, name in enumerate(header)}
    # The summary's title row: the first whose first cell is its title (the Python parser's test, on the few rows
    # that mention it).
    cursor.execute("SELECT n, line FROM stmt_raw WHERE line LIKE %s ORDER BY n LIMIT 100", [f"%{SUMMARY_TITLE}%"])
    title = next(((n, cells) for n, line in cursor.fetchall()
                  for cells in csv.reader([line]) if cells and clean(cells[0]) == SUMMARY_TITLE), None)
    if title is None:
        return None  # truncated: the Python parser says where
    summary_at, titles = title
    columns = list(rules["summary"].values())
    names = ("交易状态", "交易时间", "货币种类", "微信订单号", "商户订单号", "商户退款单号", "微信退款单号",
             rules["gross"], "退款金额", "手续费", *columns)
    used = sorted({index[name] for name in names})
    # The detail rows split once into the cells the lines need (c<position>, without the backtick): a temporary
    # table, so that no expression splits a row twice.
    cursor.execute(
        f"""
        CREATE TEMP TABLE stmt_cells ON COMMIT DROP AS
        SELECT n, line, array_length(f, 1) AS width, {", ".join(f"{_cell(at)} AS c{at}" for at in used)}
        FROM (SELECT n, line, string_to_array(line, ',') AS f FROM stmt_raw
              WHERE n < %s AND line !~ '{_BLANK}' OFFSET 0) AS r
        """,  # noqa: S608 - column positions (integers) and fixed patterns only
        [summary_at])

    def c(name):
        return f"c{index[name]}"

    def number(name):
        return f"COALESCE(NULLIF({c(name)}, ''), '0')::numeric"

    ids = ("微信订单号", "商户订单号", "商户退款单号", "微信退款单号")
    # Few regular expressions, each simple (a bounded repetition such as {0,64} costs PostgreSQL ten times an
    # unbounded one): the identifiers in one, the amounts in one, their lengths and sizes checked apart.
    checks = [f"width = {len(header)}", f"{c('交易状态')} IN ('SUCCESS', 'REFUND', 'REVOKED')",
              f"{c('交易时间')} ~ '{_TIME}'", f"{c('货币种类')} ~ '^[A-Za-z]*$'",
              f"concat_ws(' ', {', '.join(c(name) for name in ids)}) ~ '^{' '.join(['[!-~]*'] * len(ids))}$'",
              f"greatest({', '.join(f'length({c(name)})' for name in ids)}) <= {TEXT_LIMIT}",
              f"concat_ws('|', {', '.join(c(name) for name in columns)}) ~ "
              f"'^{'[|]'.join(_AMOUNT[5 if name == '手续费' else 2] for name in columns)}$'",
              # A payment's amount is never negative (the parser refuses it, naming the line).
              f"({c('交易状态')} <> 'SUCCESS' OR NOT starts_with({c(rules['gross'])}, '-'))"]
    at = {name: n for n, name in enumerate(columns)}
    kind = f"CASE {c('交易状态')} WHEN 'SUCCESS' THEN 'payment' WHEN 'REFUND' THEN 'refund' END"
    line_gross = (f"CASE WHEN {c('交易状态')} = 'SUCCESS' THEN {number(rules['gross'])} "
                  f"ELSE abs({number('退款金额')}) END")
    fee = f"abs({number('手续费')})"
    day = f"left({c('交易时间')}, 10)::date"
    figures = ", ".join(f"CASE WHEN ok THEN {number(name)} END AS a{n}" for n, name in enumerate(columns))
    gross_of = f"CASE WHEN k = 'payment' THEN a{at[rules['gross']]} ELSE abs(a{at['退款金额']}) END"
    cursor.execute(
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE NOT ok OR greatest({", ".join(f"abs(a{n})" for n in range(len(columns)))})
                                                 >= 1e15),
               {", ".join(f"sum(a{n})" for n in range(len(columns)))},
               count(*) FILTER (WHERE k = 'payment'), count(*) FILTER (WHERE k = 'refund'),
               sum(CASE WHEN k = 'payment' THEN {gross_of} WHEN k = 'refund' THEN -{gross_of} END),
               sum(CASE WHEN k = 'payment' THEN abs(a{at['手续费']}) WHEN k = 'refund' THEN -abs(a{at['手续费']}) END),
               min(day) FILTER (WHERE k IS NOT NULL), max(day) FILTER (WHERE k IS NOT NULL)
        FROM (SELECT ok, {figures}, CASE WHEN ok THEN {kind} END AS k, CASE WHEN ok THEN {day} END AS day
              FROM (SELECT stmt_cells.*, {" AND ".join(checks)} AS ok FROM stmt_cells OFFSET 0) AS t) AS x
        """)  # noqa: S608 - column positions (integers) and fixed patterns only
    count, bad, *found = cursor.fetchone()
    if bad:
        return None
    sums = {column: Decimal(value or 0).quantize(Decimal(1).scaleb(-5 if column == "手续费" else -2))
            for column, value in zip(columns, found, strict=False)}
    payments, refunds, gross_total, fee_total, first_day, last_day = found[len(columns):]
    # The summary rows after the title, read back (a handful), checked by the parser's own rules.
    cursor.execute(f"SELECT n, line FROM stmt_raw WHERE n > %s AND line !~ '{_BLANK}' ORDER BY n LIMIT 10",  # noqa: S608
                   [summary_at])
    after = [(n + 1, cells) for n, line in cursor.fetchall() for cells in csv.reader([line])]
    parser.summary(iter(after), titles, summary_at + 1, rules, sums, count)
    currency = (row.channel.currency or "CNY")
    cursor.execute(
        f"""
        INSERT INTO settlement_statementline (
            organization_id, statement_id, channel_id, line_number, kind, transaction_id, order_number,
            refund_number, channel_refund_id, gross_amount, fee, net_amount, currency, occurred_at, bill_date, raw)
        SELECT %s, %s, %s, n + 1, k, {c('微信订单号')}, {c('商户订单号')},
               CASE WHEN k = 'refund' THEN {c('商户退款单号')} ELSE '' END,
               CASE WHEN k = 'refund' THEN {c('微信退款单号')} ELSE '' END,
               g, fee, round(g - fee, 2), upper(left(COALESCE(NULLIF({c('货币种类')}, ''), %s), 3)),
               {c('交易时间')}::timestamp AT TIME ZONE 'Asia/Shanghai', {day}, left(line, {RAW_LIMIT})
        FROM (SELECT stmt_cells.*, {kind} AS k, {line_gross} AS g, {fee} AS fee FROM stmt_cells OFFSET 0) AS x
        WHERE k IS NOT NULL
        """,  # noqa: S608 - column positions (integers) and fixed patterns only
        [row.organization_id, row.pk, row.channel_id, currency])
    return Figures(counts={"payment": payments, "refund": refunds}, gross=gross_total or Decimal(0),
                   fee=fee_total or Decimal(0), first_day=first_day, last_day=last_day)
