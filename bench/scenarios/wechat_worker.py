"""WeChat ingestion, the worker side alone: how fast Celery worker processes turn stored callbacks into ticket messages.

Creates a fresh organization (its slug carries the run's time) with one Official Account and stores --events text
messages as the webhook stores them (InboundEvent rows, `received`), from --customers WeChat users: the first message
of each user opens a ticket (routing, numbering, assignment, SLA), the others are appended to it. Then it publishes
their ids as the web processes' batcher does (`outbox_run("inbound_event", ids)` messages of --batch ids), starts a
Celery worker (prefork, --worker-concurrency processes) and times how long it takes to process them all. The rate
counts from the first processed event to the last: the worker's start-up is not the pipeline's cost.

No HTTP is involved (wechat_ingest measures the callbacks), so the figure is the worker's alone, and a run takes
seconds. The broker's queue is purged first and last (use your own Redis database); the organization is deleted
afterwards (--keep keeps it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench wechat_worker
"""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.django_setup import organization_delete
from bench.scenarios.wechat_ingest import WORKER_ENV, _build, _counts, _setup_django
from bench.server import PROJECT_ROOT, run_secrets

GOAL_EVENTS_PER_S = 200.0  # with two worker processes

# A run of seconds: what the tests run (python -m bench wechat_worker --tiny).
TINY = ("--events", "60", "--customers", "5", "--batch", "20", "--timeout", "60")


def add_arguments(parser):
    parser.add_argument("--events", type=int, default=5000, help="stored messages to process (default 5000)")
    parser.add_argument("--customers", type=int, default=200,
                        help="distinct WeChat users sending them: as many tickets are opened (default 200)")
    parser.add_argument("--batch", type=int, default=50, help="event ids per outbox_run message (default 50)")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the generated organization afterwards")


def _store(account, run_id, events, customers):
    """The rows the webhook would have stored (one INSERT per chunk; event_receive writes the same columns)."""
    import json

    from channels_ingest import wire
    from channels_ingest.models import InboundEvent
    from scrm.platform.tenancy import tenant_scope

    rows = []
    for seq in range(events):
        fields = {"ToUserName": "gh_bench", "FromUserName": f"oBENCH-{run_id}-{seq % customers:05d}",
                  "CreateTime": str(int(time.time())), "MsgType": "text",
                  "Content": f"压测消息 {seq}：空调不制冷了，麻烦尽快安排师傅上门",
                  "MsgId": str(run_id * 10_000_000 + seq)}
        rows.append(InboundEvent(
            organization_id=account.organization_id, account=account, kind=wire.event_kind(fields),
            dedupe_key=wire.dedupe_key(fields), from_user=fields["FromUserName"], raw=json.dumps(fields),
            fields=fields, status=InboundEvent.Status.RECEIVED))
    with tenant_scope(account.organization_id):
        created = InboundEvent.objects.bulk_create(rows, batch_size=1000)
    return [row.pk for row in created]


def _publish(ids, batch):
    from scrm.platform import outbox

    for start in range(0, len(ids), batch):
        outbox._send("inbound_event", ids[start:start + batch])


def _drain(organization, env, args):
    argv = [sys.executable, "-m", "celery", "-A", "scrm", "worker", "--pool", "prefork",
            "--concurrency", str(args.worker_concurrency), "--loglevel", "warning", "--without-gossip",
            "--without-mingle", "--without-heartbeat"]
    before = _counts(organization)
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env={**os.environ, **env, **WORKER_ENV}, stdout=devnull,  # noqa: S603
                                stderr=subprocess.STDOUT)
        try:
            started = time.monotonic()
            first_progress = None
            counts = before
            while True:
                counts = _counts(organization)
                now = time.monotonic()
                if first_progress is None and counts["waiting"] < before["waiting"]:
                    first_progress = now
                if counts["waiting"] == 0 or now - started >= args.timeout:
                    break
                time.sleep(0.2)
            finished = time.monotonic()
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    processed = before["waiting"] - counts["waiting"]
    span = finished - (first_progress or started)
    return {
        "processed": processed, "dead": counts["dead"], "tickets": counts["tickets"],
        "ticket_messages": counts["messages"], "seconds": round(span, 2),
        "events_per_s": round(processed / span, 1) if span else None, "complete": counts["waiting"] == 0,
    }


def run(args):
    if args.events < 1 or args.customers < 1 or args.batch < 1:
        raise ValueError("--events, --customers and --batch must be positive")
    run_id = int(datetime.now(UTC).strftime("%y%m%d%H%M%S"))  # two runs a minute apart never meet
    env = run_secrets()
    _setup_django(env)
    from scrm.celery import app as celery_app
    from scrm.platform.tenancy import platform_scope

    with platform_scope():
        organization, account = _build(run_id)
        try:
            celery_app.control.purge()
            ids = _store(account, run_id, args.events, min(args.customers, args.events))
            _publish(ids, args.batch)
            print(f"{len(ids)} events stored and published; starting a worker", file=sys.stderr)
            worker = _drain(organization, env, args)
        finally:
            celery_app.control.purge()
            if not args.keep:
                organization_delete(organization)
    return {
        "events": args.events, "customers": args.customers, "batch": args.batch,
        "worker_concurrency": args.worker_concurrency, "goal_events_per_s": GOAL_EVENTS_PER_S,
        "goal_met": bool(worker["complete"] and (worker["events_per_s"] or 0) >= GOAL_EVENTS_PER_S),
        **worker,
    }
