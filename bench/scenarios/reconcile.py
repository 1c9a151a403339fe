"""Reconcile: --lines statement lines of one WeChat Pay day against a ledger of as many orders, with 1% of seeded
discrepancies of every class; times the statement import (the real one: bench/statements.py's
`statement_import_phase`, the product's service and job: the WeChat Pay parser streaming the bill into COPY), the
reconciliation (the real service, `reconciliation_run`) and, in the same run, their floor: PostgreSQL `COPY` of the
same lines plus one hash join of them with the orders.

Builds a fresh organization (its slug carries the run's time) with the wechatpay channel and a store paid through
it; --lines orders generated in one INSERT ... SELECT; the WeChat Pay trade bill (current layout, summary checked by
the parser) written to a temporary file, and the same lines in COPY's own CSV for the floor (the bill itself, with
its backticks and summary rows, is not something COPY can read). Per 100 orders: one paid just before midnight that
the day's statement lacks (timing), one the statement lacks (missing in channel), one whose line says another
amount, one whose fee is off, one line the ledger does not know, one line repeated (duplicate), one refund whose line
says another amount. It checks the run found every seeded class and that its summary adds up, to the fen.

Reports import_seconds (upload + parse + COPY + the import's own ANALYZE of the lines), analyze_seconds (ANALYZE
of the generated orders and refunds, as autovacuum would have done by the time a statement arrives),
reconcile_seconds, the floor (copy_seconds + join_seconds), `ratio` = (import + reconcile) / floor, and the peak
memory of this process (the parser streams: the
Python side stays flat).

    createdb -h 127.0.0.1 -U postgres scrm_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench .venv/bin/python -m bench reconcile
"""

import csv
import os
import resource
import secrets
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bench.django_setup import organization_delete, setup_django

CHINA = ZoneInfo("Asia/Shanghai")
RATE, FEE_UNIT = Decimal("0.006"), Decimal("0.00001")
TINY = ("--lines", "2000")
DAY = date(2026, 11, 11)


def add_arguments(parser):
    parser.add_argument("--lines", type=int, default=1_000_000, help="orders and statement lines (default 1,000,000)")
    parser.add_argument("--history-days", type=int, default=0,
                        help="earlier statement days of the channel before the reconciled one, each as many lines "
                             "as the day (copies with keys of their own), as a channel imported every day has them "
                             "within the run's duplicate lookback (default 0)")
    parser.add_argument("--keep", action="store_true", help="keep the generated organization afterwards")


def _seeded(i):
    """The seeded class of order i (one of each per 100 orders), or None."""
    return {3: "timing", 4: "missing_in_channel", 5: "amount_mismatch", 6: "fee_mismatch", 7: "missing_in_ledger",
            8: "duplicate", 9: "refund_mismatch"}.get(i % 100)


def _amount(i):
    return Decimal(1000 + (i * 7919) % 500_000) / 100


def _build(args):
    from django.db import connection, transaction

    from bench.rows import default_columns
    from scrm.models import Organization
    from scrm.platform.tenancy import tenant_scope
    from settlement.models import Order, PaymentChannel, Refund, Store
    from settlement.statements.services import payment_channels_ensure

    slug = f"bench-recon-{datetime.now(UTC):%Y%m%d%H%M%S}"
    organization = Organization.objects.create(slug=slug, name=slug)
    with transaction.atomic(), tenant_scope(organization):
        payment_channels_ensure(organization=organization)
        channel = PaymentChannel.objects.get(code="wechatpay")  # expected fee rate 0.6%, tolerances 0
        store = Store.objects.create(organization=organization, channel="youzan", ref=slug, name="基准店",
                                     payment_channel=channel)
        columns = ("organization_id", "store_id", "channel", "external_number", "paid_amount", "status", "paid_at",
                   "placed_at", "currency")
        other_columns, other_values = default_columns(Order, columns)
        with connection.cursor() as cursor:
            # Paid at noon China time (04:00 UTC); the timing ones at 23:50 (15:50 UTC).
            cursor.execute(
                f"""
                INSERT INTO settlement_order ({", ".join(columns)}{other_columns})
                SELECT %(org)s, %(store)s, 'youzan', 'E' || lpad(g::text, 8, '0'),
                       (1000 + (g::bigint * 7919) %% 500000) / 100.0, 'paid', t.paid, t.paid, 'CNY'{other_values}
                FROM generate_series(0, %(n)s - 1) AS g,
                     LATERAL (SELECT CASE WHEN g %% 100 = 3 THEN timestamptz '2026-11-11 15:50:00+00'
                                          ELSE timestamptz '2026-11-11 04:00:00+00' END AS paid) AS t
                """,  # noqa: S608 - names and defaults from the models
                {"org": organization.pk, "store": store.pk, "n": args.lines})
            refund_columns = ("organization_id", "store_id", "order_id", "order_number", "external_number",
                              "amount", "status", "refunded_at", "currency")
            other_columns, other_values = default_columns(Refund, refund_columns)
            cursor.execute(
                f"""
                INSERT INTO settlement_refund ({", ".join(refund_columns)}{other_columns})
                SELECT %(org)s, %(store)s, o.id, o.external_number, 'R' || substr(o.external_number, 2),
                       o.paid_amount, 'refunded', timestamptz '2026-11-11 06:00:00+00', 'CNY'{other_values}
                FROM settlement_order o
                WHERE o.organization_id = %(org)s AND substr(o.external_number, 2)::int %% 100 = 9
                """,  # noqa: S608 - names and defaults from the models
                {"org": organization.pk, "store": store.pk})
    return organization, channel


def _lines(args):
    """The day's statement lines, seeded: (kind, order number, transaction id, amount, fee, refund number, time)."""
    noon, refunded = datetime(2026, 11, 11, 12, tzinfo=CHINA), datetime(2026, 11, 11, 14, tzinfo=CHINA)
    for i in range(args.lines):
        seeded, number, amount = _seeded(i), f"E{i:08d}", _amount(i)
        if seeded in ("timing", "missing_in_channel"):
            continue
        txn = f"4200{i:012d}"
        if seeded == "amount_mismatch":
            amount += Decimal("1.00")
        fee = (amount * RATE).quantize(FEE_UNIT, rounding=ROUND_HALF_UP)
        if seeded == "fee_mismatch":
            fee += Decimal("0.50")
        yield "payment", number, txn, amount, fee, "", noon
        if seeded == "missing_in_ledger":
            yield "payment", f"X{i:08d}", f"4299{i:012d}", amount, fee, "", noon
        if seeded == "duplicate":
            yield "payment", number, txn, amount, fee, "", noon
        if seeded == "refund_mismatch":
            yield "refund", number, txn, amount - Decimal("0.10"), Decimal(0), f"R{i:08d}", refunded


def _write_files(args, bill_path, floor_path):
    """The WeChat Pay bill the import reads and the same lines as COPY's CSV for the floor; returns the count."""
    from bench.statements import statement_file_write
    from demo.statement_files import Entry

    entries = (Entry(number, txn, amount, at, kind=kind, fee=fee, refund_number=refund,
                     refund_id=f"503{txn}" if refund else "", product="星河商品")
               for kind, number, txn, amount, fee, refund, at in _lines(args))
    statement_file_write(bill_path, lines=args.lines, day=DAY, entries=entries)
    count = 0
    with open(floor_path, "w", newline="") as handle:
        writer = csv.writer(handle)
        for kind, number, txn, amount, fee, refund, at in _lines(args):
            count += 1
            writer.writerow([0, 0, 0, count, kind, txn, number, refund, "", amount, fee, amount - fee, "CNY",
                             at.isoformat(), DAY.isoformat(), ""])
    return count


def _import_statement(organization, path):
    """The statement import phase (bench/statements.py: the product's upload service and its job, parser + COPY),
    then ANALYZE of the tables the matching reads."""
    from django.db import connection

    from bench.statements import statement_import_phase

    began = time.perf_counter()
    figures = statement_import_phase(organization=organization, path=path, channel_code="wechatpay")
    if figures["status"] != "imported":
        raise SystemExit(f"the bench statement was refused: {figures['errors']}")
    imported = time.perf_counter()
    with connection.cursor() as cursor:
        # The lines were analyzed by the import itself (statement_import_run); the bench's ledger, written in bulk a
        # moment ago, is analyzed here as autovacuum would have done by the time a statement arrives.
        cursor.execute("ANALYZE settlement_order; ANALYZE settlement_refund")
    return figures, imported - began, time.perf_counter() - imported


def _history(organization, channel, days):
    """`days` statement days before DAY, each the day's lines copied with keys of their own (no duplicates of the
    day, nothing the ledger knows), as one more imported statement of the channel; written by SQL (reading bills
    of 31 days would take longer than the run measured). Returns the lines written."""
    from datetime import timedelta

    from django.db import connection, transaction

    from scrm.platform.tenancy import tenant_scope
    from settlement.reconciliation_models import StatementImport

    with transaction.atomic(), tenant_scope(organization):
        day_import = StatementImport.objects.get(channel=channel, status=StatementImport.Status.IMPORTED)
        history = StatementImport.objects.create(
            organization=organization, channel=channel, file_name="history.csv",
            file_sha256=f"history-{organization.slug}"[:64], status=StatementImport.Status.IMPORTED,
            period_start=DAY - timedelta(days=days), period_end=DAY - timedelta(days=1))
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO settlement_statementline (
                    organization_id, channel_id, statement_id, line_number, kind, transaction_id, order_number,
                    refund_number, channel_refund_id, gross_amount, fee, net_amount, currency, occurred_at,
                    bill_date, raw)
                SELECT l.organization_id, l.channel_id, %(history)s, l.line_number + k * 10000000, l.kind,
                       'H' || k || l.transaction_id, 'H' || k || '-' || l.order_number,
                       CASE WHEN l.refund_number = '' THEN '' ELSE 'H' || k || '-' || l.refund_number END,
                       l.channel_refund_id, l.gross_amount, l.fee, l.net_amount, l.currency,
                       l.occurred_at - make_interval(days => k), l.bill_date - k, l.raw
                FROM settlement_statementline l CROSS JOIN generate_series(1, %(days)s) AS k
                WHERE l.organization_id = %(org)s AND l.statement_id = %(day)s
                """,
                {"history": history.pk, "days": days, "org": organization.pk, "day": day_import.pk})
            written = cursor.rowcount
            cursor.execute("ANALYZE settlement_statementline")
        # Counted as an import counts its lines (the run sizes its lookback by these counts).
        StatementImport.objects.filter(pk=history.pk).update(line_count=written)
    return written


def _floor(path, organization):
    """COPY of the same file into a bare table, plus one hash join of it with the orders on the order number."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE floor_lines (organization_id bigint, statement_id bigint, channel_id bigint, "
            "line_number int, kind text, transaction_id text, order_number text, refund_number text, "
            "channel_refund_id text, gross_amount numeric(18,2), fee numeric(20,5), net_amount numeric(18,2), "
            "currency text, occurred_at timestamptz, bill_date date, raw text) "
            "ON COMMIT DROP")
        began = time.perf_counter()
        with open(path) as handle:
            cursor.copy_expert("COPY floor_lines FROM STDIN WITH (FORMAT csv)", handle)
        copied = time.perf_counter() - began
        cursor.execute("ANALYZE floor_lines")
        began = time.perf_counter()
        cursor.execute("SET LOCAL enable_mergejoin = off; SET LOCAL enable_nestloop = off")
        cursor.execute("SELECT count(*), sum(o.paid_amount) FROM floor_lines l JOIN settlement_order o "
                       "ON o.organization_id = %s AND o.external_number = l.order_number", [organization.pk])
        cursor.fetchone()
        joined = time.perf_counter() - began
    return copied, joined


def run(args):
    os.environ["CELERY_BROKER_URL"] = "memory://"  # the import's outbox job runs here, in this process
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    setup_django()
    from scrm.platform.tenancy import platform_scope, tenant_scope
    from settlement.reconciliation.services import reconciliation_run

    began = time.perf_counter()
    organization, channel = _build(args)
    folder = tempfile.mkdtemp()
    bill_path, floor_path = os.path.join(folder, "wechatpay.csv"), os.path.join(folder, "floor.csv")
    try:
        line_count = _write_files(args, bill_path, floor_path)
        generate_seconds = time.perf_counter() - began
        print(f"generated {args.lines} orders, {line_count} lines in {generate_seconds:.1f}s", file=sys.stderr)
        imported, import_seconds, analyze_seconds = _import_statement(organization, bill_path)
        if imported["lines"] != line_count:
            raise SystemExit(f"imported {imported['lines']} lines of {line_count}")
        history_lines = _history(organization, channel, args.history_days) if args.history_days else 0
        began = time.perf_counter()
        with tenant_scope(organization):
            run_row = reconciliation_run(channel=channel, period_start=DAY)
        reconcile_seconds = time.perf_counter() - began
        began = time.perf_counter()
        with tenant_scope(organization):
            reconciliation_run(channel=channel, period_start=DAY)
        rerun_seconds = time.perf_counter() - began
        copy_seconds, join_seconds = _floor(floor_path, organization)
    finally:
        for path in (bill_path, floor_path):
            if os.path.exists(path):
                os.unlink(path)
        os.rmdir(folder)
        if not args.keep:
            with platform_scope():
                organization_delete(organization)
    summary = run_row.summary
    seeded = ("amount_mismatch", "fee_mismatch", "missing_in_ledger", "missing_in_channel", "duplicate",
              "refund_mismatch")
    missing = [name for name in seeded if not summary[name]["count"]]
    if missing or not run_row.figures["timing"]["count"]:
        raise SystemExit(f"seeded classes not found: {missing}, timing {run_row.figures['timing']}")
    total = sum(Decimal(summary[k]["amount"]) for k in summary if isinstance(summary[k], dict)
                and k != "missing_in_channel")
    if total != Decimal(summary["statement_total"]):
        raise SystemExit(f"classes {total} != statement total {summary['statement_total']}")
    floor = copy_seconds + join_seconds
    work = import_seconds + analyze_seconds + reconcile_seconds
    return {
        "orders": args.lines, "lines": line_count, "history_days": args.history_days, "history_lines": history_lines,
        "import_seconds": round(import_seconds, 3), "import_upload_s": imported["upload_s"],
        "import_read_s": imported["read_s"], "analyze_seconds": round(analyze_seconds, 3),
        "import_lines_per_s": round(line_count / imported["read_s"]) if imported["read_s"] else None,
        "reconcile_seconds": round(reconcile_seconds, 3), "rerun_seconds": round(rerun_seconds, 3),
        "total_seconds": round(work, 3),
        "floor_copy_seconds": round(copy_seconds, 3), "floor_join_seconds": round(join_seconds, 3),
        "ratio": round(work / floor, 2) if floor else None,
        "reconcile_ratio": round(reconcile_seconds / floor, 2) if floor else None,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "summary": summary, "timing": run_row.figures["timing"], "match_rate": run_row.figures["match_rate"],
    }
