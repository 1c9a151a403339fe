"""WeChat ingestion: encrypted Official Account callbacks through gunicorn, beside http_baseline in the same run.

Creates a fresh organization (its slug carries the run's time) with one Official Account, starts gunicorn on
loopback (as http_baseline does) and measures, with the same client settings, first GET /healthz (the baseline) and
then POST /hooks/wechat/<slug>/: safe-mode (AES) text messages, each a new message (its own MsgId) from one of
--customers customers, signed and encrypted with wechatpy before the clients start. A callback counts as accepted
when it answers 200 `success`; each one is verified, decrypted, parsed, stored as an InboundEvent and enqueued
(Redis) before it is answered.

No Celery worker runs during the HTTP part, so the figures are the web side's alone. Then a Celery worker (prefork,
--worker-concurrency processes) is started and the scenario times how long it takes to turn every stored event into
a ticket message (customer resolve, ticket open or append, events): the worker's end-to-end rate. The queue of the
broker is purged first (use your own Redis database). The organization is deleted afterwards (--keep keeps it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench wechat_ingest
"""

import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.django_setup import organization_delete
from bench.load import FixedRequest, Request, run_load
from bench.server import PROJECT_ROOT, gunicorn_server

TOKEN = "benchtoken2026"  # noqa: S105 - a throwaway account of the run
AES_KEY = "BenchAesKey0123456789abcdefghijklmnopqrstuv"
APP_ID = "wxbench0000000001"

_CLEANUP = [
    "channels_ingest_inboundmedia", "channels_ingest_outboundmessage", "channels_ingest_inboundevent",
    "tickets_ticketevent", "tickets_comment", "tickets_tickettag", "tickets_ticketwatcher", "tickets_ticket",
    "tickets_agentload", "tickets_ticketcounter", "scrm_channelidentity", "scrm_customer",
    "channels_ingest_channelaccount",
]


def add_arguments(parser):
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent client connections (default 16)")
    parser.add_argument("--client-processes", type=int, default=2, help="processes the connections are spread over")
    parser.add_argument("--requests", type=int, default=5000, help="callbacks (and baseline requests) to send")
    parser.add_argument("--duration", type=float, default=20.0, help="time limit of each HTTP part in seconds")
    parser.add_argument("--warmup", type=int, default=200, help="requests sent and discarded before measuring")
    parser.add_argument("--customers", type=int, default=200, help="distinct WeChat users sending (default 200)")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--drain-timeout", type=float, default=600.0, help="give up waiting for the worker after")
    parser.add_argument("--keep", action="store_true", help="keep the generated organization afterwards")
    parser.add_argument("--no-drain", action="store_true", help="measure the web side only (no worker run)")


class Prebuilt:
    """Request factory of callbacks signed and encrypted beforehand, so the clients spend on a callback what they
    spend on a baseline GET (the encryption is WeChat's work, not ours). Request `seq` is the seq-th callback."""

    def __init__(self, requests):
        self.requests = requests

    def __call__(self, seq):
        return self.requests[seq % len(self.requests)]


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
    from scrm.tenancy import tenant_scope
    from tickets.models import Comment, Ticket

    with tenant_scope(organization):
        waiting = InboundEvent.objects.exclude(status=InboundEvent.Status.PROCESSED).count()
        return {"events": InboundEvent.objects.count(), "waiting": waiting,
                "dead": InboundEvent.objects.filter(status=InboundEvent.Status.DEAD).count(),
                "tickets": Ticket.objects.count(), "messages": Comment.objects.count()}


def _drain(organization, env, args):
    """Start a worker, time it turning the stored events into ticket messages, stop it."""
    argv = [sys.executable, "-m", "celery", "-A", "scrm", "worker", "--pool", "prefork",
            "--concurrency", str(args.worker_concurrency), "--loglevel", "warning", "--without-gossip",
            "--without-mingle", "--without-heartbeat"]
    before = _counts(organization)
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=devnull,
                                stderr=subprocess.STDOUT)
        try:
            started = time.monotonic()
            first_progress = None
            deadline = started + args.drain_timeout
            counts = before
            while time.monotonic() < deadline:
                counts = _counts(organization)
                if first_progress is None and counts["waiting"] < before["waiting"]:
                    first_progress = time.monotonic()
                if counts["waiting"] == 0:
                    break
                time.sleep(0.5)
            finished = time.monotonic()
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    processed = before["waiting"] - counts["waiting"]
    # From the worker's first processed event (its start-up is not the pipeline's cost) to the last.
    span = finished - (first_progress or started)
    return {
        "events": before["waiting"], "processed": processed, "dead": counts["dead"],
        "tickets": counts["tickets"], "ticket_messages": counts["messages"],
        "seconds": round(span, 2), "events_per_s": round(processed / span, 1) if span else None,
        "worker_concurrency": args.worker_concurrency, "complete": counts["waiting"] == 0,
    }



def run(args):
    run_id = int(datetime.now(UTC).strftime("%y%m%d%H%M"))
    env = {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": os.environ.get("FIELD_ENCRYPTION_KEY") or secrets.token_urlsafe(32),
    }
    _setup_django(env)
    from scrm.celery import app as celery_app
    from scrm.tenancy import platform_scope

    with platform_scope():
        organization, account = _build(run_id)
        try:
            celery_app.control.purge()
            path = account.hook_path
            load = {"concurrency": args.concurrency, "processes": args.client_processes,
                    "duration": args.duration}
            with gunicorn_server(workers=args.workers, env=env) as server:
                print(f"gunicorn pid {server.pid} on {server.base_url}; baseline then {path}", file=sys.stderr)
                healthz = FixedRequest("GET", "/healthz")
                callbacks = EncryptedCallbacks(path, run_id=run_id, customers=args.customers).prebuilt(args.requests)
                if args.warmup:
                    run_load(server.host, server.port, healthz, max_requests=args.warmup, **load)
                    warmup = EncryptedCallbacks(path, run_id=run_id, customers=args.customers, offset=5_000_000)
                    run_load(server.host, server.port, warmup.prebuilt(args.warmup), max_requests=args.warmup, **load)
                baseline = run_load(server.host, server.port, healthz, max_requests=args.requests, **load).summary()
                ingest = run_load(server.host, server.port, callbacks, max_requests=args.requests, **load).summary()
            accepted = ingest["status"].get("200", 0)
            stored = _counts(organization)
            print(f"{accepted} callbacks accepted, {stored['events']} events stored; starting a worker",
                  file=sys.stderr)
            worker = None if args.no_drain else _drain(organization, env, args)
        finally:
            if not args.keep:
                organization_delete(organization, _CLEANUP)

    return {
        "workers": args.workers,
        "requests_limit": args.requests,
        "http_baseline": baseline,
        "wechat_ingest": {**ingest, "accepted": accepted,
                          "accepted_per_s": round(accepted / ingest["seconds"], 1) if ingest["seconds"] else None},
        "ratio_to_baseline": round(ingest["rps"] / baseline["rps"], 2) if baseline["rps"] else None,
        "events_stored": stored["events"],
        "worker": worker,
    }
