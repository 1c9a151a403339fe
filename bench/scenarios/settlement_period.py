"""Settlement period at scale: every partner's statement of a month and the finance dashboard's queries.

Builds (once, then reuses) one organization with --partners partners (one store each), --orders orders paid in
October 2026 (95 % of them reconciled: a matched statement line with its fee), 3 % refunded, and --jobs confirmed
service jobs, generated in set-based SQL. Then it generates every partner's statement of the month as the outbox job
does (`settlement_run_execute`, in this process), and times each dashboard aggregate --requests times. Needs
PostgreSQL:

    createdb -h 127.0.0.1 -U postgres scrm_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench settlement_period
"""

import sys
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bench.django_setup import setup_django
from bench.load import percentile

SLUG = "bench-settlement"
MONTH = (date(2026, 10, 1), date(2026, 10, 31))

# A run of seconds: what the tests run (python -m bench settlement_period --tiny).
TINY = ("--partners", "20", "--orders", "2000", "--jobs", "200", "--requests", "3")


def add_arguments(parser):
    parser.add_argument("--partners", type=int, default=5_000, help="partners (one store each)")
    parser.add_argument("--orders", type=int, default=2_000_000, help="orders paid in the month")
    parser.add_argument("--jobs", type=int, default=200_000, help="confirmed service jobs in the month")
    parser.add_argument("--requests", type=int, default=20, help="runs of each dashboard query")


def _insert(cursor, model, columns, select, params):
    from bench.rows import default_columns

    other = default_columns(model, columns)
    cursor.execute(f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}{other[0]}) "  # noqa: S608
                   f"{select.replace('{other}', other[1])}", params)


def _generate(organization, region, args):
    from django.db import connection

    from settlement.models import (
        Order,
        Partner,
        PartnerStore,
        PaymentChannel,
        Refund,
        ServiceJob,
        StatementImport,
        StatementLine,
        StatementLineMatch,
        Store,
    )
    from settlement.partner_rollup import finance_days_refresh

    org = organization.pk
    channel = PaymentChannel.objects.create(organization=organization, code="bench", name="bench")
    bill = StatementImport.objects.create(organization=organization, channel=channel, file_name="bench.csv",
                                          file_sha256="b" * 64, status="imported")
    with connection.cursor() as cursor:
        _insert(cursor, Partner, ("organization_id", "code", "name", "kind", "region_id", "created_at"),
                "SELECT %s, 'P' || g, '伙伴' || g, 'dealer', %s, now(){other} FROM generate_series(1, %s) g",
                [org, region.pk, args.partners])
        _insert(cursor, Store, ("organization_id", "channel", "ref", "name", "created_at"),
                "SELECT %s, 'generic', 'S' || g, '门店' || g, now(){other} FROM generate_series(1, %s) g",
                [org, args.partners])
        _insert(cursor, PartnerStore, ("organization_id", "partner_id", "store_id"),
                "SELECT %s, p.id, s.id{other} FROM settlement_partner p JOIN settlement_store s "
                "ON s.organization_id = p.organization_id AND s.ref = 'S' || substr(p.code, 2) "
                "WHERE p.organization_id = %s",
                [org, org])
        _insert(cursor, Order, ("organization_id", "store_id", "channel", "external_number", "currency",
                                "paid_amount", "goods_amount", "status", "placed_at", "paid_at", "region_id",
                                "created_at", "updated_at"),
                "SELECT %s, s.id, 'generic', 'O' || g, 'CNY', 100 + (g %% 900), 100 + (g %% 900), 'completed', "
                "t, t, %s, now(), now(){other} FROM generate_series(1, %s) g "
                "JOIN LATERAL (SELECT id FROM settlement_store WHERE organization_id = %s AND ref = 'S' || "
                "(1 + g %% %s)) s ON true "
                "CROSS JOIN LATERAL (SELECT timestamptz '2026-10-01 00:00+08' + (g %% 2678000) * interval '1 second'"
                " AS t) moment",
                [org, region.pk, args.orders, org, args.partners])
        # The reconciled lines: one per order but every 20th, each with its result (matched to that order by its
        # number), as a reconciliation run leaves them.
        _insert(cursor, StatementLine, ("organization_id", "statement_id", "channel_id", "line_number", "kind",
                                        "order_number", "gross_amount", "fee", "net_amount", "currency",
                                        "occurred_at", "bill_date"),
                "SELECT organization_id, %s, %s, row_number() OVER (), 'payment', external_number, paid_amount, "
                "round(paid_amount * 0.006, 5), paid_amount - round(paid_amount * 0.006, 5), 'CNY', paid_at, "
                "(paid_at AT TIME ZONE 'Asia/Shanghai')::date{other} FROM settlement_order "
                "WHERE organization_id = %s AND id %% 20 <> 0",
                [bill.pk, channel.pk, org])
        # Statistics first: without them the join of the fresh lines with the fresh orders was planned as a nested
        # loop over 2,000,000 x 2,000,000 rows (it ran for 13 minutes).
        cursor.execute("ANALYZE settlement_order; ANALYZE settlement_statementline")
        _insert(cursor, StatementLineMatch, ("line_id", "organization_id", "match_class", "order_id", "matched_by"),
                "SELECT l.id, l.organization_id, 'matched', o.id, 'order_number'{other} "
                "FROM settlement_statementline l JOIN settlement_order o ON o.organization_id = l.organization_id "
                "AND o.external_number = l.order_number WHERE l.organization_id = %s AND l.statement_id = %s",
                [org, bill.pk])
        _insert(cursor, Refund, ("organization_id", "store_id", "order_id", "order_number", "external_number",
                                 "currency", "amount", "status", "refunded_at", "created_at", "updated_at"),
                "SELECT organization_id, store_id, id, external_number, 'R' || external_number, 'CNY', paid_amount, "
                "'refunded', paid_at + interval '1 hour', now(), now(){other} FROM settlement_order "
                "WHERE organization_id = %s AND id %% 33 = 0",
                [org])
        _insert(cursor, ServiceJob, ("organization_id", "number", "kind", "partner_id", "status", "currency",
                                     "price_total", "material_total", "payout_total", "tier", "region_id",
                                     "completed_at", "confirmed_at", "created_at"),
                "SELECT %s, 'J' || g, CASE WHEN g %% 3 = 0 THEN 'repair' ELSE 'installation' END, p.id, "
                "'confirmed', 'CNY', 200, 30, 90, 1 + g %% 4, %s, t, t, now(){other} "
                "FROM generate_series(1, %s) g "
                "JOIN LATERAL (SELECT id FROM settlement_partner WHERE organization_id = %s AND code = 'P' || "
                "(1 + g %% %s)) p ON true "
                "CROSS JOIN LATERAL (SELECT timestamptz '2026-10-01 00:00+08' + (g %% 2678000) * interval '1 second'"
                " AS t) moment",
                [org, region.pk, args.jobs, org, args.partners])
        cursor.execute("ANALYZE settlement_order; ANALYZE settlement_statementline; "
                       "ANALYZE settlement_statementlinematch; ANALYZE settlement_refund; "
                       "ANALYZE settlement_servicejob; ANALYZE settlement_partnerstore;")
    # The INSERTs above marked their days (the ledger tables' triggers, as any write does): the dashboard's rollup
    # filled the way production fills it.
    started = time.perf_counter()
    days = finance_days_refresh(organization)
    print(f"finance rollup: {days} days in {time.perf_counter() - started:.1f}s", file=sys.stderr)


def _ensure_data(args):
    from django.db import transaction

    from scrm import services
    from scrm.models import Organization, Region
    from scrm.platform.tenancy import tenant_scope
    from settlement.models import Order, Partner, SettlementRule
    from settlement.partner_services import rule_create

    organization = Organization.objects.filter(slug=SLUG).first() or services.organization_create(
        slug=SLUG, name=SLUG)
    with tenant_scope(organization):
        have = (Partner.objects.count(), Order.objects.count())
        if have == (args.partners, args.orders):
            return organization
        if any(have):
            sys.exit(f"{SLUG} has {have} partners and orders, not the asked sizes: drop the bench database")
        # One transaction: a run killed while generating leaves nothing half-made for the next run to "reuse".
        with transaction.atomic():
            region = Region.objects.create(organization=organization, name="全国", code="CN", level="area",
                                           path="/CN/")
            if not SettlementRule.objects.exists():
                rule_create(organization=organization, name="bench", valid_from=date(2026, 1, 1), currency="CNY",
                            cycle="monthly", commission_rate="0.05", tax_rate="0.06",
                            rebate_tiers=[{"from": "0", "to": "5000", "rate": "0"},
                                          {"from": "5000", "to": None, "rate": "0.02"}])
            started = time.perf_counter()
            _generate(organization, region, args)
        print(f"generated in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return organization


def _time(function, runs):
    timings = []
    for _i in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"p50_ms": round(percentile(timings, 50), 1), "p95_ms": round(percentile(timings, 95), 1)}


def run(args):
    setup_django()
    from django.db import connection

    from scrm.platform.tenancy import tenant_scope
    from settlement import partner_dashboard as dashboard
    from settlement.models import SettlementRun, SettlementStatement
    from settlement.partner_rollup import finance_days_refresh
    from settlement.partner_services import settlement_run_execute

    organization = _ensure_data(args)
    with tenant_scope(organization):
        SettlementStatement.objects.all().delete()
        run_row, _created = SettlementRun.objects.get_or_create(
            organization=organization, cycle="monthly", period_start=MONTH[0], defaults={"period_end": MONTH[1]})
        started = time.perf_counter()
        generated = settlement_run_execute(run_id=run_row.pk)
        generate_s = time.perf_counter() - started
        problems = SettlementRun.objects.get(pk=run_row.pk).problems
        # Data generated before the rollup existed (reused): its days were marked by the migration; the first read
        # would recompute them. Done here, timed apart, so the dashboard timings are those of an up-to-date rollup.
        started = time.perf_counter()
        rollup_days = finance_days_refresh(organization)
        rollup_s = time.perf_counter() - started
        since = datetime(2026, 5, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
        queries = {
            "revenue_by_month": lambda: dashboard.revenue_by_month(since=since),
            "revenue_by_region": lambda: dashboard.revenue_by_region(since=since),
            "revenue_by_channel": lambda: dashboard.revenue_by_channel(since=since),
            "services_by_kind_and_tier": lambda: dashboard.services_by_kind_and_tier(since=since),
            "match_rate": lambda: dashboard.match_rate(since=since),
            "region_moves": lambda: dashboard.region_moves(month="2026-10"),
        }
        timings = {name: _time(query, args.requests) for name, query in queries.items()}
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM settlement_settlementstatement WHERE organization_id = %s",
                           [organization.pk])
            statements = cursor.fetchone()[0]
    return {"partners": args.partners, "orders": args.orders, "jobs": args.jobs, "statements": statements,
            "generated": generated, "problems": len(problems), "generate_all_s": round(generate_s, 2),
            "per_statement_ms": round(generate_s * 1000 / max(generated, 1), 2),
            "rollup_days_refreshed": rollup_days, "rollup_refresh_s": round(rollup_s, 2), "dashboard": timings}
