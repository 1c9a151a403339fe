"""Reconcile: --lines statement lines of one WeChat Pay day against a ledger of as many orders, with --rate of
seeded discrepancies of every class; times the reconciliation (the real service, `reconciliation_run`) and, in the
same run, its floor: PostgreSQL `COPY` of the same statement file plus one hash join of the two tables.

Builds a fresh organization (its slug carries the run's time) with a payment channel and a store paid through it;
--lines orders generated in one INSERT ... SELECT; the statement file (CSV, what the importer's COPY takes) written
to a temporary file and loaded with COPY. Per 100 orders (at the default 1%): one paid just before midnight that the
day's statement lacks (timing), one the statement lacks (missing in channel), one whose line says another amount,
one whose fee is off, one line the ledger does not know, one line repeated (duplicate), one refund whose line says
another amount. It checks the run found every seeded class and that its summary adds up, to the fen.

`import_seconds` is the COPY of the lines here. HOOK (`_import_statement`): the statement import of the import
branch (the parser streaming the file into COPY) replaces it at merge, so the figure becomes the real import's.

Reports reconcile_seconds, the floor (copy_seconds + join_seconds), `ratio` = (import + reconcile) / floor, and the
peak memory of this process (the work is in PostgreSQL; this says the Python side stays flat).

    createdb -h 127.0.0.1 -U postgres scrm_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench .venv/bin/python -m bench reconcile
"""

import csv
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from bench.django_setup import organization_delete, setup_django

TINY = ("--lines", "2000")
DAY = date(2026, 11, 11)
LINE_COLUMNS = ("organization_id", "statement_id", "channel_id", "line_number", "kind", "transaction_id",
                "order_number", "refund_number", "channel_refund_id", "gross_amount", "fee", "net_amount", "currency",
                "occurred_at", "bill_date", "raw", "match_class", "match_reason")


def add_arguments(parser):
    parser.add_argument("--lines", type=int, default=1_000_000, help="orders and statement lines (default 1,000,000)")
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
    from settlement.models import Order, PaymentChannel, Refund, StatementImport, Store

    slug = f"bench-recon-{datetime.now(UTC):%Y%m%d%H%M%S}"
    organization = Organization.objects.create(slug=slug, name=slug)
    with transaction.atomic(), tenant_scope(organization):
        channel = PaymentChannel.objects.create(organization=organization, code="wechatpay", name="微信支付",
                                                layout="wechatpay", expected_fee_rate=Decimal("0.006"))
        store = Store.objects.create(organization=organization, channel="youzan", ref=slug, name="基准店",
                                     payment_channel=channel)
        statement = StatementImport.objects.create(
            organization=organization, channel=channel, file_name="bench.csv", file_sha256=slug.ljust(64, "0"),
            status="imported", period_start=DAY, period_end=DAY)
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
    return organization, channel, statement


def _write_statement(args, organization, channel, statement, path):
    """The statement file as the importer would COPY it; returns the seeded expectations."""
    count = 0
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)

        def line(kind, number, amount, fee, refund_number=""):
            nonlocal count
            count += 1
            writer.writerow([organization.pk, statement.pk, channel.pk, count, kind, f"4200{count:012d}", number,
                             refund_number, "", amount, fee, amount - fee, "CNY", "2026-11-11 04:00:00+00",
                             DAY.isoformat(), "", "", "{}"])

        for i in range(args.lines):
            seeded, number, amount = _seeded(i), f"E{i:08d}", _amount(i)
            fee = (amount * Decimal("0.006")).quantize(Decimal("0.01"))
            if seeded in ("timing", "missing_in_channel"):
                continue
            if seeded == "amount_mismatch":
                amount += Decimal("1.00")
                fee = (amount * Decimal("0.006")).quantize(Decimal("0.01"))
            if seeded == "fee_mismatch":
                fee += Decimal("0.50")
            line("payment", number, amount, fee)
            if seeded == "missing_in_ledger":
                line("payment", f"X{i:08d}", amount, fee)
            if seeded == "duplicate":
                line("payment", number, amount, fee)
            if seeded == "refund_mismatch":
                line("refund", number, amount - Decimal("0.10"), Decimal(0), refund_number=f"R{i:08d}")
    return count


def _import_statement(path):
    """HOOK for the import branch: the statement import phase. Here: COPY of the file into the lines table."""
    from django.db import connection, transaction

    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, open(path) as handle:
        cursor.copy_expert(f"COPY settlement_statementline ({', '.join(LINE_COLUMNS)}) FROM STDIN WITH (FORMAT csv, "
                           "FORCE_NOT_NULL (refund_number, channel_refund_id, raw, match_class))", handle)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE settlement_statementline; ANALYZE settlement_order; ANALYZE settlement_refund")
    return time.perf_counter() - began


def _floor(path, organization):
    """COPY of the same file into a bare table, plus one hash join of it with the orders on the order number."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE floor_lines (organization_id bigint, statement_id bigint, channel_id bigint, "
            "line_number int, kind text, transaction_id text, order_number text, refund_number text, "
            "channel_refund_id text, gross_amount numeric(18,2), fee numeric(20,5), net_amount numeric(18,2), "
            "currency text, occurred_at timestamptz, bill_date date, raw text, match_class text, match_reason jsonb) "
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
    setup_django()
    from scrm.platform.tenancy import platform_scope, tenant_scope
    from settlement.reconciliation.services import reconciliation_run

    began = time.perf_counter()
    organization, channel, statement = _build(args)
    fd, path = tempfile.mkstemp(suffix=".csv")
    os.close(fd)
    try:
        line_count = _write_statement(args, organization, channel, statement, path)
        generate_seconds = time.perf_counter() - began
        print(f"generated {args.lines} orders, {line_count} lines in {generate_seconds:.1f}s", file=sys.stderr)
        import_seconds = _import_statement(path)
        began = time.perf_counter()
        with tenant_scope(organization):
            run_row = reconciliation_run(channel=channel, period_start=DAY)
        reconcile_seconds = time.perf_counter() - began
        began = time.perf_counter()
        with tenant_scope(organization):
            rerun_seconds = None
            reconciliation_run(channel=channel, period_start=DAY)
            rerun_seconds = time.perf_counter() - began
        copy_seconds, join_seconds = _floor(path, organization)
    finally:
        os.unlink(path)
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
    return {
        "orders": args.lines, "lines": line_count,
        "import_seconds": round(import_seconds, 3), "import_is_copy_hook": True,
        "reconcile_seconds": round(reconcile_seconds, 3), "rerun_seconds": round(rerun_seconds, 3),
        "floor_copy_seconds": round(copy_seconds, 3), "floor_join_seconds": round(join_seconds, 3),
        "ratio": round((import_seconds + reconcile_seconds) / floor, 2) if floor else None,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "summary": summary, "timing": run_row.figures["timing"], "match_rate": run_row.figures["match_rate"],
    }
