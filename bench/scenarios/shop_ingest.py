"""Shop ingestion, the web side: signed order events through gunicorn, beside http_baseline in the same run.

Creates a fresh organization (its slug carries the run's time) with one store on the signed generic feed
(docs/shop-feed.md), starts gunicorn on loopback (as http_baseline does) and, at each --concurrency level (default
4, 8 and 16 connections), measures with the same client settings GET /healthz (the baseline) and
POST /hooks/shop/<slug>/ in interleaved rounds. Each callback is one order event (its own event id, an order of
--orders at one stage of its life) signed as the feed requires (`X-Signature: sha256=<HMAC>` over the raw body and
`X-Timestamp`), built before the clients start. A callback counts as accepted when it answers 200 with
{"ok": true, "received": 1}: it was verified, parsed and stored as an InboundEvent, its id handed to the publishing
thread (the outbox batcher), before the answer.

Each level reports the throughput ratio to the baseline and p50/p99 latency against the issue's goals (at least 0.5
of the baseline's throughput, p99 under 50 ms). No worker runs: the worker side is `shop_worker`. The queue of the
broker is purged first and last (use your own Redis database); the organization is deleted afterwards (--keep keeps
it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench shop_ingest
"""

import hashlib
import hmac
import json
import sys
import time
from datetime import UTC, datetime

from bench.django_setup import organization_delete
from bench.load import FixedRequest, Request, run_load
from bench.scenarios.shop_worker import STAGES, _event
from bench.scenarios.wechat_ingest import Prebuilt, _levels, _setup_django, level_beside_baseline
from bench.server import (
    add_server_arguments,
    gunicorn_server,
    run_secrets,
    server_options,
    server_report,
)

SECRET = "bench-shop-ingest-secret"  # noqa: S105 - a throwaway store of the run
GOAL_RATIO = 0.5  # of the baseline's throughput (issue 11)
GOAL_P99_MS = 50.0

# A run of seconds: what the tests run (python -m bench shop_ingest --tiny).
TINY = ("--concurrency", "2", "--requests", "40", "--rounds", "1", "--warmup", "10", "--orders", "10")


def add_arguments(parser):
    add_server_arguments(parser)
    parser.add_argument("--concurrency", type=_levels, default=(4, 8, 16),
                        help="concurrent client connections, one level or several (default 4,8,16)")
    parser.add_argument("--client-processes", type=int, default=2, help="processes the connections are spread over")
    parser.add_argument("--requests", type=int, default=5000,
                        help="callbacks (and baseline requests) to send at each level")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved baseline/callback rounds per level, pooled (default 3)")
    parser.add_argument("--duration", type=float, default=20.0, help="time limit of each HTTP part in seconds")
    parser.add_argument("--warmup", type=int, default=200, help="requests sent and discarded before measuring")
    parser.add_argument("--orders", type=int, default=1000, help="distinct orders the events report (default 1000)")
    parser.add_argument("--keep", action="store_true", help="keep the generated organization afterwards")


def signed_events(path, *, run_id, orders, count, offset):
    """`count` callbacks as the shop system sends them: event `seq` reports order seq % orders at one stage, signed
    with the store's secret over the exact bytes sent."""
    requests = []
    now = str(int(time.time()))
    for seq in range(offset, offset + count):
        n, stage = seq % orders, (seq // orders) % len(STAGES)
        payload = _event(f"SO{run_id}-{n:06d}", STAGES[stage], stage, f"{100 + n % 900}.00", f"b{n % 500}")
        payload["id"] = f"evt-{run_id}-{seq}"
        body = json.dumps(payload, ensure_ascii=False).encode()
        signature = hmac.new(SECRET.encode(), now.encode() + b"." + body, hashlib.sha256).hexdigest()
        requests.append(Request("POST", path, {"Content-Type": "application/json",
                                               "X-Signature": f"sha256={signature}", "X-Timestamp": now}, body))
    return Prebuilt(requests)


def _build(run_id):
    from channels_ingest.services import channel_account_create
    from scrm.models import Organization

    organization = Organization.objects.create(slug=f"bench-shopin-{run_id}", name=f"压测企业 {run_id}")
    account = channel_account_create(organization=organization, kind="generic", slug=f"bench-shopin-{run_id}",
                                     name="压测商城", app_id=f"bench-in-{run_id}", secret=SECRET)
    return organization, account


def _stored(organization):
    from channels_ingest.models import InboundEvent
    from scrm.platform.tenancy import tenant_scope

    with tenant_scope(organization):
        return InboundEvent.objects.count()


def _level(server, path, args, *, run_id, index, concurrency):
    """Baseline and callbacks at one concurrency in --rounds interleaved rounds, pooled per side; each level sends
    events (ids) of its own."""
    callbacks = signed_events(path, run_id=run_id, orders=args.orders, count=args.requests,
                              offset=index * 1_000_000)
    return level_beside_baseline(server, callbacks, args, concurrency=concurrency, name="shop_ingest",
                                 goal_ratio=GOAL_RATIO, goal_p99_ms=GOAL_P99_MS)


def run(args):
    if max(args.requests, args.warmup) >= 1_000_000 or len(args.concurrency) > 8 or args.orders < 1:
        raise ValueError("at most 8 levels of under 1,000,000 requests each, and at least one order")
    run_id = int(datetime.now(UTC).strftime("%y%m%d%H%M%S"))
    env = run_secrets()
    _setup_django(env)
    from scrm.celery import app as celery_app
    from scrm.platform.tenancy import platform_scope

    with platform_scope():
        organization, account = _build(run_id)
        try:
            celery_app.control.purge()
            path = account.hook_path
            with gunicorn_server(**server_options(args), env=env) as server:
                print(f"gunicorn pid {server.pid} on {server.base_url}; baseline then {path} at each of "
                      f"{args.concurrency} connections", file=sys.stderr)
                if args.warmup:
                    load = {"concurrency": args.concurrency[0], "processes": args.client_processes,
                            "duration": args.duration}
                    run_load(server.host, server.port, FixedRequest("GET", "/healthz"), max_requests=args.warmup,
                             **load)
                    warmup = signed_events(path, run_id=run_id, orders=args.orders, count=args.warmup,
                                           offset=9_000_000)
                    run_load(server.host, server.port, warmup, max_requests=args.warmup, **load)
                levels = [_level(server, path, args, run_id=run_id, index=index, concurrency=concurrency)
                          for index, concurrency in enumerate(args.concurrency)]
            stored = _stored(organization)
        finally:
            celery_app.control.purge()  # the published ids name rows deleted below
            if not args.keep:
                organization_delete(organization)

    return {
        **server_report(args),
        "requests_limit": args.requests,
        "orders": args.orders,
        "goal": {"ratio_to_baseline": GOAL_RATIO, "p99_ms_under": GOAL_P99_MS},
        "levels": levels,
        "events_stored": stored,
    }
