"""Shop ingestion, the worker side: how fast Celery worker processes apply stored shop events to the orders ledger.

Creates a fresh organization (its slug carries the run's time) with one store on the signed generic feed and stores
--events order events as the webhook stores them (InboundEvent rows, `received`): --orders orders, each reported at
every stage of its life (pending, paid, shipped, completed) and the stages shuffled across orders, so reports arrive
out of order as shops deliver them. A sample of 40 more is applied in this process first, counting the queries per
event; the worker's CPU per event is reported beside its rate (on a shared, loaded machine the rate varies).
Then it publishes their ids as the web processes' batcher does
(`outbox_run("inbound_event", ids)` messages of --batch ids), starts a Celery worker (prefork,
--worker-concurrency processes), times how long it takes to process them all, and checks the ledger: every order
must end at its newest stage with its amount (`ledger_exact`). The rate counts from the first processed event to the
last: the worker's start-up is not the pipeline's cost.

The broker's queue is purged first and last (use your own Redis database); the organization is deleted afterwards
(--keep keeps it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench shop_worker
"""

import json
import random
import resource
import sys
from datetime import UTC, datetime, timedelta

from bench.django_setup import organization_delete
from bench.scenarios.wechat_ingest import _setup_django
from bench.scenarios.wechat_worker import _drain, _publish
from bench.server import run_secrets

GOAL_EVENTS_PER_S = 300.0  # with two worker processes (issue 11)
STAGES = ("pending", "paid", "shipped", "completed")
SAMPLE_ORDERS = 10  # applied in-process first, to count the queries per event
SECRET = "bench-shop-secret"  # noqa: S105 - a throwaway store of the run

# A run of seconds: what the tests run (python -m bench shop_worker --tiny).
TINY = ("--events", "40", "--batch", "20", "--timeout", "60")


def add_arguments(parser):
    parser.add_argument("--events", type=int, default=8000,
                        help="stored order events to process, four per order (default 8000)")
    parser.add_argument("--batch", type=int, default=50, help="event ids per outbox_run message (default 50)")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the generated organization afterwards")


def _build(run_id):
    from channels_ingest.services import channel_account_create
    from scrm.models import Organization

    organization = Organization.objects.create(slug=f"bench-shop-{run_id}", name=f"压测企业 {run_id}")
    account = channel_account_create(organization=organization, kind="generic", slug=f"bench-shop-{run_id}",
                                     name="压测商城", app_id=f"bench-{run_id}", secret=SECRET)
    return organization, account


def _event(number, stage, step, amount, buyer):
    at = datetime(2026, 11, 11, 10, tzinfo=UTC) + timedelta(hours=step)
    return {"id": f"evt-{number}-{stage}", "type": "order.updated", "order": {
        "number": number, "status": stage, "updated_at": at.isoformat(), "placed_at": "2026-11-11T10:00:00+00:00",
        "goods_amount": amount, "paid_amount": amount, "buyer": {"id": buyer, "name": f"压测买家 {buyer}"},
        "lines": [{"sku": "KT-35", "name": "空调 1.5 匹", "quantity": "1", "unit_price": amount, "amount": amount}]}}


def _store(account, orders, seed):
    """The rows the webhook would have stored (the adapter's split, one INSERT per chunk); the expected ledger."""
    from channels_ingest.models import InboundEvent
    from channels_ingest.shops import adapter_for
    from scrm.platform.tenancy import tenant_scope

    rng, adapter, rows, expected = random.Random(seed), adapter_for(account.kind), [], {}
    bodies = []
    for n in range(orders):
        number, amount = f"SO{seed}-{n:06d}", f"{100 + n % 900}.00"
        expected[number] = (STAGES[-1], amount)
        bodies += [_event(number, stage, step, amount, f"b{n % 500}") for step, stage in enumerate(STAGES)]
    rng.shuffle(bodies)
    for body in bodies:
        [item] = adapter.split(account, {}, json.dumps(body, ensure_ascii=False).encode())
        rows.append(InboundEvent(organization_id=account.organization_id, account=account, kind=item.kind,
                                 dedupe_key=item.dedupe_key, from_user=item.from_user, raw=item.raw,
                                 fields=item.fields, status=InboundEvent.Status.RECEIVED))
    with tenant_scope(account.organization_id):
        created = InboundEvent.objects.bulk_create(rows, batch_size=1000)
    return [row.pk for row in created], expected


def _queries_per_event(ids):
    """Apply a sample of stored events in this process, one outbox_run batch as a worker runs it, counting the SQL
    statements (transaction control included)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from channels_ingest.services.processing import KIND
    from scrm.platform import outbox

    with CaptureQueriesContext(connection) as queries:
        outbox.run(KIND, ids)
    return round(len(queries) / len(ids), 1)


def _children_cpu():
    """CPU seconds of this process's finished children (the worker, once stopped, with the processes it reaped)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ledger_exact(organization, expected):
    from scrm.platform.tenancy import tenant_scope
    from settlement.models import Order

    with tenant_scope(organization):
        ledger = {number: (status, str(paid)) for number, status, paid
                  in Order.objects.values_list("external_number", "status", "paid_amount")}
    return ledger == expected


def run(args):
    if args.events < 4 or args.batch < 1:
        raise ValueError("--events must be at least 4 and --batch positive")
    run_id = int(datetime.now(UTC).strftime("%y%m%d%H%M%S"))
    env = run_secrets()
    _setup_django(env)
    from scrm.celery import app as celery_app
    from scrm.platform.tenancy import platform_scope

    orders = args.events // len(STAGES)
    with platform_scope():
        organization, account = _build(run_id)
        try:
            celery_app.control.purge()
            sample, expected = _store(account, SAMPLE_ORDERS, run_id % 100_000 + 1)
            queries = _queries_per_event(sample)
            ids, main = _store(account, orders, run_id % 100_000)
            expected.update(main)
            _publish(ids, args.batch)
            print(f"{len(ids)} shop events stored and published; starting a worker", file=sys.stderr)
            cpu_before = _children_cpu()
            worker = _drain(organization, env, args)
            cpu = _children_cpu() - cpu_before
            exact = _ledger_exact(organization, expected)
        finally:
            celery_app.control.purge()
            if not args.keep:
                organization_delete(organization)
    worker.pop("ticket_messages", None)
    return {
        "events": len(ids), "orders": orders, "batch": args.batch, "worker_concurrency": args.worker_concurrency,
        "queries_per_event": queries,
        # The worker processes' CPU (their start-up included; PostgreSQL's own is not): comparable on a loaded
        # machine where the rate is not.
        "worker_cpu_seconds": round(cpu, 2),
        "worker_cpu_ms_per_event": round(cpu * 1000 / worker["processed"], 2) if worker["processed"] else None,
        "goal_events_per_s": GOAL_EVENTS_PER_S, "ledger_exact": exact,
        "goal_met": bool(worker["complete"] and exact and (worker["events_per_s"] or 0) >= GOAL_EVENTS_PER_S),
        **worker,
    }
