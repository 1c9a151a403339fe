"""The matching itself: a channel's statement lines of a period against the orders ledger, in set-based SQL.

Everything happens in PostgreSQL, in the caller's transaction, through temporary tables (dropped at commit):

- `recon_line`: one row per statement line of the period with the ledger entry it matched (by merchant order number,
  else by the channel transaction id the ledger holds; refunds by merchant refund number, else by order number and
  amount), its class and, for a line that did not match, its reason (a matched line's is derived on reading:
  `matched_reason`);
- `recon_ledger`: the ledger entries of the period the channel never reported (paid orders of the channel, refunds
  made): `missing_in_channel`, or `timing` when the channel's bill rule puts them in another statement;
- `recon_disc`: what becomes a `Discrepancy` (every class but matched), one row per key.

No Python loop over lines: the caller runs a fixed number of statements whatever the period's size. The classes,
keys and tolerances are documented in docs/reconciliation.md ("Matching").
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import connection

from scrm.platform.tenancy import tenant_sql
from settlement.reconciliation_models import MatchClass, StatementImport

# WeChat Pay and Alipay date their rows by the payment's success time in China.
BILL_TIMEZONE = "Asia/Shanghai"
# How far back a line is looked for when deciding whether a line repeats an earlier one (a duplicate).
DUPLICATE_LOOKBACK_DAYS = 31

# The classes of the summary object, in the order `manage.py reconcile` prints them.
SUMMARY_CLASSES = (
    MatchClass.MATCHED, MatchClass.AMOUNT_MISMATCH, MatchClass.FEE_MISMATCH, MatchClass.MISSING_IN_LEDGER,
    MatchClass.MISSING_IN_CHANNEL, MatchClass.DUPLICATE, MatchClass.REFUND_MISMATCH,
)
CENT = Decimal("0.01")
# The summary object names the duplicate class "duplicate", as the JSON does.
SUMMARY_KEY = {MatchClass.DUPLICATE: "duplicate"}


@dataclass(frozen=True)
class Tolerances:
    amount: Decimal
    fee: Decimal
    fee_rate: Decimal | None
    timing_window_minutes: int

    @classmethod
    def of(cls, channel, **overrides):
        values = {"amount": channel.amount_tolerance, "fee": channel.fee_tolerance,
                  "fee_rate": channel.expected_fee_rate, "timing_window_minutes": channel.timing_window_minutes}
        values.update({key: value for key, value in overrides.items() if key in values})
        rate = values["fee_rate"]
        # Quantized as the columns store them, so a run's reasons do not depend on where the values came from.
        return cls(amount=Decimal(values["amount"]).quantize(CENT), fee=Decimal(values["fee"]).quantize(CENT),
                   fee_rate=None if rate in (None, "") else Decimal(rate).quantize(Decimal("0.00001")),
                   timing_window_minutes=int(values["timing_window_minutes"]))

    def as_json(self):
        return {"amount_tolerance": str(self.amount), "fee_tolerance": str(self.fee),
                "expected_fee_rate": None if self.fee_rate is None else str(self.fee_rate),
                "timing_window_minutes": self.timing_window_minutes}


def day_bounds(first, last):
    """The moments a period of statement days covers: from `first` 00:00 to the day after `last`, China time."""
    zone = ZoneInfo(BILL_TIMEZONE)
    return (datetime.combine(first, time.min, tzinfo=zone),
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone))


def temp_sql(sql, params=None):
    """A statement that reads or writes only this session's temporary tables (built by `match` for one
    organization), so it needs no tenant_sql() guard."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall() if cursor.description is not None else []


# The key under which two lines of a channel are the same line twice (a duplicate): the payment's merchant order
# number, else its transaction id; the refund's merchant refund number, else the channel's refund id. The refund's is
# also the expression of the lines' partial index `stmtline_refund_key_idx` (`RefundDuplicateKey`): written the same.
_REFUND_KEY = "COALESCE(NULLIF(l.refund_number, ''), 'rtxn:' || NULLIF(l.channel_refund_id, ''), 'line:' || l.id::text)"
_DUPLICATE_KEY = f"""
    CASE WHEN l.kind = 'payment'
         THEN COALESCE(NULLIF(l.order_number, ''), 'txn:' || NULLIF(l.transaction_id, ''), 'line:' || l.id::text)
         ELSE {_REFUND_KEY}
    END"""

# The channel's lines of the lookback days before the period (as `l`).
_LOOKBACK_LINES = """
    l.organization_id = %(organization)s AND l.channel_id = %(channel)s
    AND l.statement_id = ANY(%(imported)s) AND l.bill_date >= %(lookback)s AND l.bill_date < %(d0)s"""

# `earlier`: per key of the period, how many lines of the lookback days carry it and the first one's statement day.
# Two ways, the same figures (docs/reconciliation.md, "Duplicates"): read the lookback's lines once and keep the
# period's keys (a hashed semi-join, ~1 µs a lookback line), or look each key of the period up in the lines' indexes
# (the order number's, the transaction id's, the refunds' key: a few µs a period line, whatever the history). `match`
# takes the second when the lookback holds many more lines than the period (a channel imported every day).
_EARLIER_READ = f"""
    SELECT e.kind, e.dkey, count(*) AS n, min(e.bill_date) AS first_bill_date
    FROM (SELECT l.kind, l.bill_date, {_DUPLICATE_KEY} AS dkey
          FROM settlement_statementline l WHERE {_LOOKBACK_LINES}) e
    WHERE (e.kind, e.dkey) IN (SELECT kind, dkey FROM cand)
    GROUP BY e.kind, e.dkey"""  # noqa: S608 - the key expressions above, no input


def _earlier_lookup(kind, keys, condition):
    """One kind of key of the period (`keys`: a query of cand giving `dkey` and what `condition` reads as `k`), each
    counted in the lookback days' lines through the index `condition` names."""
    return f"""
    SELECT '{kind}' AS kind, k.dkey, e.n, e.first_bill_date
    FROM ({keys}) k
    CROSS JOIN LATERAL (SELECT count(*) AS n, min(l.bill_date) AS first_bill_date
                        FROM settlement_statementline l
                        WHERE {_LOOKBACK_LINES} AND {condition} AND l.kind = '{kind}') e
    WHERE e.n > 0"""  # noqa: S608 - our constants, no input


_EARLIER_PROBE = "\n    UNION ALL".join([
    _earlier_lookup("payment", "SELECT DISTINCT dkey FROM cand WHERE kind = 'payment' AND order_number <> ''",
                    "l.order_number = k.dkey"),
    _earlier_lookup("payment", "SELECT DISTINCT dkey, transaction_id FROM cand "
                               "WHERE kind = 'payment' AND order_number = '' AND transaction_id <> ''",
                    "l.transaction_id = k.transaction_id AND l.order_number = ''"),
    _earlier_lookup("refund", "SELECT DISTINCT dkey FROM cand WHERE kind = 'refund' AND left(dkey, 5) <> 'line:'",
                    f"{_REFUND_KEY} = k.dkey"),
])
# The lookback is looked up key by key when it holds more than this many lines per line of the period: a look-up
# cost 3.3 µs a period line, the read 0.67 µs a lookback line (100,000 lines a day, 31 days; docs/benchmarks.md).
LOOKBACK_PROBE_RATIO = 5


def _period_sql(earlier):
    """The period's lines, each with its rank among the lines of its key from the lookback days up to the period's
    end (`rn`: a line ranked after the first is a duplicate) and the statement day of the first of them. Lines of the
    lookback days before the period all come before the period's: they are only counted per key of the period
    (`earlier`), not ranked with them (a channel imported every day has a month of lines there)."""
    return f"""
CREATE TEMP TABLE recon_p ON COMMIT DROP AS
WITH cand AS MATERIALIZED (
    SELECT l.id, l.kind, l.bill_date, l.occurred_at, l.order_number, l.transaction_id, l.refund_number,
           l.channel_refund_id, l.gross_amount, l.fee, l.currency, {_DUPLICATE_KEY} AS dkey
    FROM settlement_statementline l
    WHERE l.organization_id = %(organization)s AND l.channel_id = %(channel)s
      AND l.statement_id = ANY(%(imported)s) AND l.bill_date BETWEEN %(d0)s AND %(d1)s
), earlier AS ({earlier}
), ranked AS (
    SELECT cand.*,
           row_number() OVER w AS rn_here,
           first_value(bill_date) OVER w AS first_here
    FROM cand
    WINDOW w AS (PARTITION BY kind, dkey ORDER BY bill_date, occurred_at, id)
)
SELECT r.id, r.kind, r.bill_date, r.occurred_at, r.order_number, r.transaction_id, r.refund_number,
       r.channel_refund_id, r.gross_amount, r.fee, r.currency, r.dkey,
       r.rn_here + COALESCE(e.n, 0) AS rn, COALESCE(e.first_bill_date, r.first_here) AS first_bill_date
FROM ranked r LEFT JOIN earlier e ON e.kind = r.kind AND e.dkey = r.dkey
"""  # noqa: S608 - the key expressions above, no input


_PERIOD_SQL = {False: _period_sql(_EARLIER_READ), True: _period_sql(_EARLIER_PROBE)}

# What a line keeps of the order or refund it matched (taken by the join that finds it: a second join of a million
# orders by id to read them cost a second).
_ORDER_COLUMNS = ("o.id AS order_id, o.paid_amount, o.paid_at, o.status AS order_status, "
                  "o.external_number AS order_external, o.store_id AS order_store")
_REFUND_COLUMNS = ("r.id AS refund_id, r.amount AS refund_amount, r.status AS refund_status, "
                   "r.external_number AS refund_external, r.store_id AS refund_store")

_LINES_SQL = f"""
CREATE TEMP TABLE recon_line ON COMMIT DROP AS
-- recon_p is read directly (not through a CTE): its statistics then size the joins.
WITH by_number AS (
    -- An order number is unique per store: prefer the order of a store paid through this channel.
    SELECT DISTINCT ON (p.id) p.id AS line_id, 'order_number' AS via, {_ORDER_COLUMNS}
    FROM recon_p p
    JOIN settlement_order o ON o.organization_id = %(organization)s AND o.external_number = p.order_number
    LEFT JOIN settlement_store s ON s.id = o.store_id
    WHERE p.kind = 'payment' AND p.order_number <> ''
    ORDER BY p.id, (COALESCE(o.payment_channel_id, s.payment_channel_id) = %(channel)s) DESC NULLS LAST, o.id
), by_txn AS (
    SELECT DISTINCT ON (p.id) p.id AS line_id, 'transaction_id' AS via, {_ORDER_COLUMNS}
    FROM recon_p p
    JOIN settlement_order o ON o.organization_id = %(organization)s AND o.payment_transaction_id = p.transaction_id
    WHERE p.kind = 'payment' AND p.transaction_id <> '' AND o.payment_transaction_id <> ''
      AND NOT EXISTS (SELECT 1 FROM by_number b WHERE b.line_id = p.id)
    ORDER BY p.id, o.id
), orders AS (
    SELECT * FROM by_number UNION ALL SELECT * FROM by_txn
), refund_by_number AS (
    SELECT DISTINCT ON (p.id) p.id AS line_id, 'refund_number' AS via, {_REFUND_COLUMNS}
    FROM recon_p p
    JOIN settlement_refund r ON r.organization_id = %(organization)s AND r.external_number = p.refund_number
    WHERE p.kind = 'refund' AND p.refund_number <> ''
    ORDER BY p.id, r.id
), refund_by_order AS (
    -- A refund line without a merchant refund number: the order's refund of that amount.
    SELECT DISTINCT ON (p.id) p.id AS line_id, 'order_number+amount' AS via, {_REFUND_COLUMNS}
    FROM recon_p p
    JOIN settlement_refund r ON r.organization_id = %(organization)s AND r.order_number = p.order_number
         AND r.amount = p.gross_amount
    WHERE p.kind = 'refund' AND p.refund_number = '' AND p.order_number <> ''
    ORDER BY p.id, r.id
), refunds AS (
    SELECT * FROM refund_by_number UNION ALL SELECT * FROM refund_by_order
), joined AS (
    SELECT p.id AS line_id, p.kind, p.bill_date, p.order_number, p.transaction_id, p.refund_number,
           p.channel_refund_id, p.gross_amount, p.fee, p.currency, p.dkey, p.rn, p.first_bill_date,
           COALESCE(m.via, rm.via) AS via,
           m.order_id, m.paid_amount, m.paid_at, m.order_status, m.order_external,
           rm.refund_id, rm.refund_amount, rm.refund_status, rm.refund_external,
           COALESCE(m.order_store, rm.refund_store) AS store_id,
           CASE WHEN p.kind = 'payment' THEN m.paid_amount ELSE rm.refund_amount END AS ledger_amount,
           CASE WHEN %(rate)s::numeric IS NULL THEN NULL
                ELSE round(p.gross_amount * %(rate)s::numeric, 2) END AS expected_fee
    FROM recon_p p
    LEFT JOIN orders m ON m.line_id = p.id
    LEFT JOIN refunds rm ON rm.line_id = p.id
), classed AS (
    SELECT joined.*,
        CASE
            WHEN rn > 1 THEN 'duplicate'
            WHEN kind = 'payment' AND (order_id IS NULL OR paid_at IS NULL) THEN 'missing_in_ledger'
            WHEN kind = 'payment' AND abs(gross_amount - paid_amount) > %(amount_tolerance)s THEN 'amount_mismatch'
            WHEN kind = 'payment' AND expected_fee IS NOT NULL AND abs(fee - expected_fee) > %(fee_tolerance)s
                THEN 'fee_mismatch'
            WHEN kind = 'payment' THEN 'matched'
            WHEN refund_id IS NULL THEN 'refund_mismatch'
            WHEN abs(gross_amount - refund_amount) > %(amount_tolerance)s THEN 'refund_mismatch'
            WHEN refund_status IN ('refused', 'cancelled') THEN 'refund_mismatch'
            ELSE 'matched'
        END AS klass,
        CASE
            WHEN rn > 1 THEN 'dup:' || kind || ':' || dkey || ':' || rn
            WHEN kind = 'payment' THEN CASE WHEN order_number <> '' THEN 'order:' || order_number
                                            WHEN transaction_id <> '' THEN 'txn:' || transaction_id
                                            ELSE 'line:' || line_id END
            ELSE CASE WHEN refund_number <> '' THEN 'refund:' || refund_number
                      WHEN channel_refund_id <> '' THEN 'rtxn:' || channel_refund_id
                      ELSE 'line:' || line_id END
        END AS key,
        (paid_at AT TIME ZONE %(tz)s)::date AS ledger_day
    FROM joined
)
-- The reason is built for the lines that did not match (a few in a hundred): a matched line's is derived from its
-- keys, its ledger entry and the run's tolerances when someone reads it (`matched_reason`), the same object. Only the
-- columns later statements read are kept: the table holds every line of the period.
SELECT line_id, kind, bill_date, order_number, transaction_id, gross_amount, fee, currency, via, order_id,
    refund_id, store_id, ledger_amount, expected_fee, order_external, refund_external, klass, key,
    CASE WHEN klass <> 'matched' THEN jsonb_strip_nulls(jsonb_build_object(
        'keys', CASE WHEN via IS NULL THEN '[]'::jsonb ELSE to_jsonb(string_to_array(via, '+')) END,
        'statement_amount', gross_amount::text,
        'ledger_amount', ledger_amount::text,
        'difference', (gross_amount - ledger_amount)::text,
        'amount_tolerance', %(amount_tolerance)s::numeric::text,
        'fee', fee::text,
        'expected_fee', expected_fee::text,
        'fee_rate', %(rate)s::numeric::text,
        'fee_tolerance', CASE WHEN expected_fee IS NOT NULL THEN %(fee_tolerance)s::numeric::text END,
        'ledger_status', COALESCE(order_status, refund_status),
        'ledger_paid_on', ledger_day::text,
        'timing', CASE WHEN kind = 'payment' AND ledger_day <> bill_date THEN true END,
        'duplicate_of_statement_day', CASE WHEN rn > 1 THEN first_bill_date::text END,
        'occurrence', CASE WHEN rn > 1 THEN rn END
    )) END AS reason
FROM classed
"""  # noqa: S608 - the column lists above, no input

# The channel's orders paid in the period, once: the ledger step and the totals read them. `seen`: a line of the
# period (recon_line) matched the order, so the channel reported it; only the others are looked for in the lines of
# every statement day (index probes for the few, where anti-joins of every order with every line read the whole lines
# table twice: 23 s at 1,000,000). Its statistics (a fresh temporary table, analyzed) size those probes.
_ORDERS_SQL = """
CREATE TEMP TABLE recon_orders ON COMMIT DROP AS
SELECT o.id, o.external_number, o.payment_transaction_id, o.store_id, o.paid_amount, o.paid_at, o.currency,
       o.id IN (SELECT t.order_id FROM recon_line t WHERE t.kind = 'payment' AND t.order_id IS NOT NULL) AS seen
FROM settlement_order o
LEFT JOIN settlement_store s ON s.id = o.store_id
WHERE o.organization_id = %(organization)s AND o.paid_at >= %(start)s AND o.paid_at < %(end)s
  AND COALESCE(o.payment_channel_id, s.payment_channel_id) = %(channel)s
"""

_LEDGER_SQL = """
CREATE TEMP TABLE recon_ledger ON COMMIT DROP AS
WITH orders AS (
    SELECT o.id, o.external_number, o.store_id, o.paid_amount, o.paid_at, o.currency,
           extract(epoch FROM (o.paid_at AT TIME ZONE %(tz)s) - date_trunc('day', o.paid_at AT TIME ZONE %(tz)s))
               AS second_of_day
    FROM recon_orders o
    WHERE NOT o.seen
      AND NOT EXISTS (SELECT 1 FROM settlement_statementline l
                      WHERE l.organization_id = %(organization)s AND l.channel_id = %(channel)s
                        AND l.order_number = o.external_number AND l.kind = 'payment'
                        AND l.statement_id = ANY(%(imported)s))
      AND (o.payment_transaction_id = '' OR NOT EXISTS (
          SELECT 1 FROM settlement_statementline l
          WHERE l.organization_id = %(organization)s AND l.channel_id = %(channel)s
            AND l.transaction_id = o.payment_transaction_id AND l.kind = 'payment'
            AND l.statement_id = ANY(%(imported)s)))
), refunds AS (
    SELECT r.id, r.order_id, r.store_id, r.external_number, r.order_number, r.amount, r.refunded_at, r.currency
    FROM settlement_refund r
    LEFT JOIN settlement_order o ON o.id = r.order_id
    LEFT JOIN settlement_store s ON s.id = r.store_id
    WHERE r.organization_id = %(organization)s AND r.status = 'refunded'
      AND r.refunded_at >= %(start)s AND r.refunded_at < %(end)s
      AND COALESCE(o.payment_channel_id, s.payment_channel_id) = %(channel)s
      -- A refund a line of the period matched was reported; the others are looked for in the refund lines of every
      -- statement day, through the lines' order-number index (refund lines carry the order's number): probes for
      -- the few, not a read of every refund line the channel ever reported.
      AND r.id NOT IN (SELECT t.refund_id FROM recon_line t WHERE t.kind = 'refund' AND t.refund_id IS NOT NULL)
      AND NOT EXISTS (
          SELECT 1 FROM settlement_statementline l
          WHERE l.organization_id = %(organization)s AND l.channel_id = %(channel)s
            AND l.order_number = r.order_number AND l.kind = 'refund' AND l.statement_id = ANY(%(imported)s)
            AND (l.refund_number = r.external_number OR (l.refund_number = '' AND l.gross_amount = r.amount)))
)
SELECT 'order' AS side, id AS order_id, NULL::bigint AS refund_id, store_id, external_number AS order_number,
       paid_amount AS amount, currency, (paid_at AT TIME ZONE %(tz)s)::date AS day,
       CASE WHEN second_of_day < %(window)s * 60 OR second_of_day >= 86400 - %(window)s * 60
            THEN 'timing' ELSE 'missing_in_channel' END AS klass,
       'order:' || external_number AS key,
       jsonb_build_object(
           'keys', '["order_number", "transaction_id"]'::jsonb,
           'ledger_amount', paid_amount::text,
           'ledger_paid_at', to_char(paid_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI:SS'),
           'timing_window_minutes', %(window)s,
           'searched', 'payment lines of the channel, every statement day') AS reason
FROM orders
UNION ALL
SELECT 'refund', order_id, id, store_id, order_number, amount, currency, (refunded_at AT TIME ZONE %(tz)s)::date,
       'timing', 'refund:' || external_number,
       jsonb_build_object(
           'keys', '["refund_number", "order_number+amount"]'::jsonb,
           'ledger_amount', amount::text,
           'ledger_refunded_at', to_char(refunded_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI:SS'),
           'searched', 'refund lines of the channel, every statement day',
           'rule', 'refund_in_later_bill')
FROM refunds
"""

_DISC_SQL = """
CREATE TEMP TABLE recon_disc ON COMMIT DROP AS
SELECT DISTINCT ON (key) * FROM (
    SELECT key, klass, bill_date, store_id, order_id, refund_id, line_id AS statement_line_id,
           order_number, transaction_id, currency, gross_amount AS statement_amount, ledger_amount,
           gross_amount - COALESCE(ledger_amount, 0) AS difference, fee AS statement_fee, expected_fee, reason
    FROM recon_line WHERE klass <> 'matched'
    UNION ALL
    SELECT key, klass, day, store_id, order_id, refund_id, NULL, order_number, '', currency, NULL, amount,
           -amount, NULL, NULL, reason
    FROM recon_ledger
) AS found
ORDER BY key, statement_line_id NULLS LAST
"""


def match(*, organization, channel, first, last, tolerances):
    """Build the temporary tables of one period (see the module's docstring). Call it inside a transaction."""
    start, end = day_bounds(first, last)
    params = {
        "channel": channel.pk, "d0": first, "d1": last, "lookback": first - timedelta(days=DUPLICATE_LOOKBACK_DAYS),
        "start": start, "end": end, "tz": BILL_TIMEZONE, "window": tolerances.timing_window_minutes,
        "amount_tolerance": tolerances.amount, "fee_tolerance": tolerances.fee, "rate": tolerances.fee_rate,
    }
    imported = list(StatementImport.objects.filter(channel=channel, status=StatementImport.Status.IMPORTED)
                    .values_list("pk", "period_start", "period_end", "line_count"))
    params["imported"] = [pk for pk, *_rest in imported]
    # The lines of the period and of the lookback days, as the imports count them (a statement spanning both counts
    # in both): the lookback is looked up key by key when it is much larger than the period.
    period_lines = sum(n for _pk, start, end, n in imported if start and start <= last and end >= first)
    lookback_lines = sum(n for _pk, start, end, n in imported
                         if start and start < first and end >= params["lookback"])
    temp_sql("DROP TABLE IF EXISTS recon_p, recon_line, recon_orders, recon_ledger, recon_disc")
    # A batch (for this transaction only): its sorts and hashes of a day's lines fit in memory (at 1,000,000 lines
    # with 64 MB the joins of recon_line went to disk in batches), and no JIT: it compiled for seconds (7 s of an
    # 8 s statement at 100,000 lines) to save milliseconds.
    temp_sql("SET LOCAL work_mem = '256MB'; SET LOCAL jit = off")
    probe = lookback_lines > LOOKBACK_PROBE_RATIO * max(period_lines, 1)
    tenant_sql(_PERIOD_SQL[probe], params, organization=organization)
    temp_sql("ANALYZE recon_p (id, kind, order_number, transaction_id, refund_number)")
    tenant_sql(_LINES_SQL, params, organization=organization)
    tenant_sql(_ORDERS_SQL, params, organization=organization)
    temp_sql("ANALYZE recon_orders (seen, external_number, payment_transaction_id)")
    tenant_sql(_LEDGER_SQL, params, organization=organization)
    temp_sql(_DISC_SQL)
    # Fresh temporary tables have no statistics: without them the joins that follow plan for a handful of rows.
    # (Only the columns later statements join or filter on: the reasons are wide and need no statistics.)
    temp_sql("ANALYZE recon_line (line_id, klass, key, order_external, refund_external); "
             "ANALYZE recon_ledger (key, klass); ANALYZE recon_disc (key)")
    return params


_SUMMARY_SQL = """
SELECT 'line' AS side, klass, count(*), COALESCE(sum(CASE WHEN kind = 'refund' THEN -gross_amount
                                                       ELSE gross_amount END), 0)
FROM recon_line GROUP BY klass
UNION ALL
SELECT 'ledger', klass, count(*), COALESCE(sum(CASE WHEN side = 'refund' THEN -amount ELSE amount END), 0)
FROM recon_ledger GROUP BY klass
"""

# One read of each table (the lines' three figures in one scan).
_TOTALS_SQL = """
SELECT l.fee, l.expected_fee, l.n, o.paid, o.n,
    (SELECT COALESCE(sum(r.amount), 0) FROM settlement_refund r
        LEFT JOIN settlement_order o ON o.id = r.order_id
        LEFT JOIN settlement_store s ON s.id = r.store_id
        WHERE r.organization_id = %(organization)s AND r.status = 'refunded'
          AND r.refunded_at >= %(start)s AND r.refunded_at < %(end)s
          AND COALESCE(o.payment_channel_id, s.payment_channel_id) = %(channel)s)
FROM (SELECT COALESCE(sum(CASE WHEN kind = 'refund' THEN -fee ELSE fee END), 0) AS fee,
             sum(CASE WHEN kind = 'refund' THEN -expected_fee ELSE expected_fee END) AS expected_fee,
             count(*) AS n
      FROM recon_line) l,
     (SELECT COALESCE(sum(paid_amount), 0) AS paid, count(*) AS n FROM recon_orders) o
"""


def money(value):
    return str(Decimal(value or 0).quantize(CENT))


def summarize(*, organization, params):
    """The summary object (the issue's `reconcile` JSON) and the figures it has no key for. Every statement line is
    in exactly one line class, so statement_total = the sum of the line classes' amounts, to the fen (refunds count
    negative); missing_in_channel is ledger money the statement lacks and is not part of it."""
    counts = {}
    for side, klass, count, amount in temp_sql(_SUMMARY_SQL):
        counts[(side, klass)] = (count, amount)
    summary = {}
    statement_total = Decimal(0)
    for klass in SUMMARY_CLASSES:
        side = "ledger" if klass == MatchClass.MISSING_IN_CHANNEL else "line"
        count, amount = counts.get((side, str(klass)), (0, Decimal(0)))
        if side == "line":
            statement_total += amount
        summary[SUMMARY_KEY.get(klass, str(klass))] = {"count": count, "amount": money(amount)}
    fee_charged, fee_expected, line_count, paid, order_count, refunded = tenant_sql(
        _TOTALS_SQL, params, organization=organization)[0]
    summary["statement_total"] = money(statement_total)
    summary["ledger_total"] = money(Decimal(paid) - Decimal(refunded))
    timing_count, timing_amount = counts.get(("ledger", "timing"), (0, Decimal(0)))
    matched = summary["matched"]["count"]
    figures = {
        "timing": {"count": timing_count, "amount": money(timing_amount)},
        "line_count": line_count,
        "ledger_order_count": order_count,
        "match_rate": str((Decimal(matched) / line_count * 100).quantize(Decimal("0.1"))) if line_count else None,
        "fee_charged": str(Decimal(fee_charged).quantize(Decimal("0.00001"))),
        "fee_expected": None if fee_expected is None else money(fee_expected),
    }
    return summary, figures


def matched_reason(result):
    """The reason of a matched line (`StatementLineMatch.why`), derived from what its result row keeps — the keys
    that matched, the order or refund — the line and its run's tolerances: the object _LINES_SQL builds for the
    lines that did not match (keys, both amounts and the difference, the amount tolerance, the fee, the expected fee
    with the rate and fee tolerance, the ledger's status and the day it says the order was paid, `timing` when that
    is not the statement day). The ledger side is read as it is now."""
    line = result.line
    tolerances = result.run.tolerances if result.run_id else {}
    payment = line.kind == "payment"
    entry = result.order if payment else result.refund
    reason = {"keys": result.keys, "statement_amount": str(line.gross_amount), "fee": str(line.fee)}
    if entry is not None:
        ledger_amount = entry.paid_amount if payment else entry.amount
        if ledger_amount is not None:
            reason.update(ledger_amount=str(ledger_amount), difference=str(line.gross_amount - ledger_amount))
        reason["ledger_status"] = entry.status
    if tolerances.get("amount_tolerance") is not None:
        reason["amount_tolerance"] = tolerances["amount_tolerance"]
    rate = tolerances.get("expected_fee_rate")
    if rate is not None:
        expected = (line.gross_amount * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)
        reason.update(expected_fee=str(expected), fee_rate=rate, fee_tolerance=tolerances.get("fee_tolerance"))
    if payment and entry is not None and entry.paid_at is not None:
        day = entry.paid_at.astimezone(ZoneInfo(BILL_TIMEZONE)).date()
        reason["ledger_paid_on"] = day.isoformat()
        if day != line.bill_date:
            reason["timing"] = True
    return reason
