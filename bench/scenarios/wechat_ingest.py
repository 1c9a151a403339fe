"""WeChat ingestion: encrypted Official Account callbacks through gunicorn, beside http_baseline in the same run.

Creates a fresh organization (its slug carries the run's time) with one Official Account, starts gunicorn on
loopback (as http_baseline does) and, at each --concurrency level (default 4, 8 and 16 connections), measures with
the same client settings GET /healthz (the baseline) and POST /hooks/wechat/<slug>/ in interleaved rounds: safe-mode
(AES) text messages, each a new message (its own MsgId) from one of --customers customers, signed and encrypted with
wechatpy before the clients start. A callback counts as accepted when it answers 200 `success`; each one is
verified, decrypted, parsed and stored as an InboundEvent before it is answered, and its id handed to the web
process's publishing thread (the outbox batcher, scrm.platform.outbox), which publishes the ids in batches.

Each level reports the throughput ratio to the baseline and p50/p99 latency, against the issue's goals (at least
0.8 of the baseline's throughput, p99 under 50 ms). The client runs on the same cores as the server: at 16
connections a 2-core machine is saturated and latency is mostly time spent waiting in the listen queue, for the
baseline too; the lower levels show the latency of a server that is busy but not overrun.

No Celery worker runs during the HTTP part, so the figures are the web side's alone. Then a Celery worker (prefork,
--worker-concurrency processes) is started for --drain-seconds, and the scenario reports how fast it turned stored
events into ticket messages (customer resolve, ticket open or append, events): the worker's end-to-end rate. The
queue of the broker is purged first and last (use your own Redis database). The organization is deleted afterwards
(--keep keeps it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench wechat_ingest
"""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.django_setup import organization_delete
from bench.load import FixedRequest, LoadResult, Request, run_load
from bench.server import (
    PROJECT_ROOT,
    SERVER_ENV,
    add_server_arguments,
    gunicorn_server,
    run_secrets,
    server_options,
    server_report,
)

TOKEN = "benchtoken2026"  # noqa: S105 - a throwaway account of the run
AES_KEY = "BenchAesKey0123456789abcdefghijklmnopqrstuv"
APP_ID = "wxbench0000000001"



GOAL_RATIO = 0.8  # of the baseline's throughput
# The worker runs as production runs it: DEBUG off (DEBUG keeps and formats every query it runs).
WORKER_ENV = {"DEBUG": "False", "DJANGO_SETTINGS_MODULE": SERVER_ENV["DJANGO_SETTINGS_MODULE"],
              "PUBLIC_BASE_URL": SERVER_ENV["PUBLIC_BASE_URL"]}
GOAL_P99_MS = 50.0


def _levels(text):
    levels = tuple(int(part) for part in str(text).split(",") if part.strip())
    if not levels or min(levels) < 1:
        raise ValueError(f"concurrency levels must be positive integers: {text!r}")
    return levels


# A run of seconds: what the tests run (python -m bench wechat_ingest --tiny).
TINY = (
    "--concurrency", "2",
    "--requests", "40",
    "--rounds", "1",
    "--warmup", "10",
    "--customers", "5",
    "--drain-seconds", "20",
)


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
    parser.add_argument("--customers", type=int, default=200, help="distinct WeChat users sending (default 200)")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--drain-seconds", type=float, default=90.0,
                        help="how long the worker runs: its rate is measured over this window (default 90)")
    parser.add_argument("--keep", action="store_true", help="keep the generated organization afterwards")
    parser.add_argument("--no-drain", action="store_true", help="measure the web side only (no worker run)")


class Prebuilt:
    """Request factory of callbacks signed and encrypted beforehand, so the clients spend on a callback what they
    spend on a baseline GET (the encryption is WeChat's work, not ours). Request `seq` is the seq-th callback."""

    def __init__(self, requests):
        self.requests = requests

    def __call__(self, seq):
        return self.requests[seq % len(self.requests)]


class Offset:
    """Request `seq` of a round is request `start + seq` of the level's callbacks: every round sends new ones."""

    def __init__(self, factory, start):
        self.factory, self.start = factory, start

    def __call__(self, seq):
        return self.factory(self.start + seq)


class EncryptedCallbacks:
    """Builds callback `seq` as WeChat sends it in safe mode: a new text message (its own MsgId)."""

    def __init__(self, path, *, run_id, customers, offset=0):
        self.path, self.run_id, self.customers, self.offset = path, run_id, customers, offset
        self._crypto = None

    def prebuilt(self, count):
        return Prebuilt([self(seq) for seq in range(count)])

    def __call__(self, seq):
        from urllib.parse import urlencode

        from wechatpy.crypto import PrpCrypto, WeChatCrypto
        from wechatpy.utils import WeChatSigner

        if self._crypto is None:
            self._crypto = PrpCrypto(WeChatCrypto(TOKEN, AES_KEY, APP_ID).key)
        seq += self.offset
        now = str(int(time.time()))
        xml = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
               f"<FromUserName><![CDATA[oBENCH-{self.run_id}-{seq % self.customers:05d}]]></FromUserName>"
               f"<CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               f"<Content><![CDATA[压测消息 {seq}：空调不制冷了，麻烦尽快安排师傅上门]]></Content>"
               f"<MsgId>{self.run_id * 10_000_000 + seq}</MsgId></xml>")
        encrypted = self._crypto.encrypt(xml, APP_ID).decode()
        nonce = f"n{seq}"
        signer = WeChatSigner()
        signer.add_data(TOKEN, now, nonce, encrypted)
        query = urlencode({"timestamp": now, "nonce": nonce, "msg_signature": signer.signature,
                           "encrypt_type": "aes"})
        body = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>").encode()
        return Request("POST", f"{self.path}?{query}", {"Content-Type": "text/xml"}, body)


def _setup_django(env):
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrm.settings")
    import django

    django.setup()


def _build(run_id):
    from channels_ingest.services import channel_account_create
    from scrm.models import Organization

    organization = Organization.objects.create(slug=f"bench-wx-{run_id}", name=f"压测企业 {run_id}")
    account = channel_account_create(organization=organization, kind="wechat_oa", slug=f"bench-wx-{run_id}",
                                     name="压测服务号", app_id=APP_ID, token=TOKEN, aes_key=AES_KEY)
    return organization, account


def _counts(organization):
    from channels_ingest.models import InboundEvent
    from scrm.platform.tenancy import tenant_scope
    from tickets.models import Comment, Ticket

    with tenant_scope(organization):
        waiting = InboundEvent.objects.exclude(status=InboundEvent.Status.PROCESSED).count()
        return {"events": InboundEvent.objects.count(), "waiting": waiting,
                "dead": InboundEvent.objects.filter(status=InboundEvent.Status.DEAD).count(),
                "tickets": Ticket.objects.count(), "messages": Comment.objects.count()}


def _drain(organization, env, args):
    """Start a worker, let it turn stored events into ticket messages for --drain-seconds (or until none is left),
    stop it. The rate counts from the worker's first processed event: its start-up is not the pipeline's cost."""
    argv = [sys.executable, "-m", "celery", "-A", "scrm", "worker", "--pool", "prefork",
            "--concurrency", str(args.worker_concurrency), "--loglevel", "warning", "--without-gossip",
            "--without-mingle", "--without-heartbeat"]
    before = _counts(organization)
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env={**os.environ, **env, **WORKER_ENV}, stdout=devnull,
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
                if counts["waiting"] == 0 or now - (first_progress or started) >= args.drain_seconds:
                    break
                time.sleep(0.5)
            finished = time.monotonic()
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    processed = before["waiting"] - counts["waiting"]
    span = finished - (first_progress or started)
    return {
        "events": before["waiting"], "processed": processed, "dead": counts["dead"],
        "tickets": counts["tickets"], "ticket_messages": counts["messages"],
        "seconds": round(span, 2), "events_per_s": round(processed / span, 1) if span else None,
        "worker_concurrency": args.worker_concurrency, "complete": counts["waiting"] == 0,
    }


def level_beside_baseline(server, callbacks, args, *, concurrency, name, goal_ratio, goal_p99_ms):
    """Baseline and callbacks at one concurrency, in --rounds interleaved rounds (baseline, callbacks, baseline, ...)
    pooled per side, so a drift of the machine (autovacuum, a checkpoint) does not favour one side. `callbacks` are
    the level's own prebuilt requests; the figures go under `name` (shop_ingest uses it too)."""
    load = {"concurrency": concurrency, "processes": min(args.client_processes, concurrency),
            "duration": args.duration}
    per_round = max(1, args.requests // args.rounds)
    baselines, ingests = [], []
    for round_no in range(args.rounds):
        baselines.append(run_load(server.host, server.port, FixedRequest("GET", "/healthz"),
                                  max_requests=per_round, **load))
        ingests.append(run_load(server.host, server.port, Offset(callbacks, round_no * per_round),
                                max_requests=per_round, **load))
    baseline = LoadResult.combined(baselines).summary()
    ingest = LoadResult.combined(ingests).summary()
    accepted = ingest["status"].get("200", 0)
    ratio = round(ingest["rps"] / baseline["rps"], 2) if baseline["rps"] else None
    return {
        "concurrency": concurrency,
        "rounds": args.rounds,
        "http_baseline": baseline,
        name: {**ingest, "accepted": accepted,
               "accepted_per_s": round(accepted / ingest["seconds"], 1) if ingest["seconds"] else None},
        "ratio_to_baseline": ratio,
        "goal_ratio_met": ratio is not None and ratio >= goal_ratio,
        "goal_p99_met": ingest["p99_ms"] is not None and ingest["p99_ms"] < goal_p99_ms,
    }


def _level(server, path, args, *, run_id, index, concurrency):
    """One concurrency level: WeChat callbacks (MsgIds) of its own beside the baseline."""
    callbacks = EncryptedCallbacks(path, run_id=run_id, customers=args.customers,
                                   offset=index * 1_000_000).prebuilt(args.requests)
    return level_beside_baseline(server, callbacks, args, concurrency=concurrency, name="wechat_ingest",
                                 goal_ratio=GOAL_RATIO, goal_p99_ms=GOAL_P99_MS)


def run(args):
    if max(args.requests, args.warmup) >= 1_000_000 or len(args.concurrency) > 8:
        raise ValueError("at most 8 levels of under 1,000,000 requests each (each has its own range of MsgIds)")
    run_id = int(datetime.now(UTC).strftime("%y%m%d%H%M"))
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
                    warmup = EncryptedCallbacks(path, run_id=run_id, customers=args.customers, offset=9_000_000)
                    run_load(server.host, server.port, warmup.prebuilt(args.warmup), max_requests=args.warmup,
                             **load)
                levels = [_level(server, path, args, run_id=run_id, index=index, concurrency=concurrency)
                          for index, concurrency in enumerate(args.concurrency)]
            stored = _counts(organization)
            print(f"{stored['events']} events stored; starting a worker", file=sys.stderr)
            worker = None if args.no_drain else _drain(organization, env, args)
        finally:
            celery_app.control.purge()  # what the worker did not take names rows deleted below
            if not args.keep:
                organization_delete(organization)

    return {
        **server_report(args),
        "requests_limit": args.requests,
        "goal": {"ratio_to_baseline": GOAL_RATIO, "p99_ms_under": GOAL_P99_MS},
        "levels": levels,
        "events_stored": stored["events"],
        "worker": worker,
    }
