"""Notifications at scale: the bell's unread count and the notification centre for an agent with many
notifications, among 1,000,000 in the organization, and the cost of one `notify` call.

Builds (once, then reuses) one organization with --users agents holding --per-user notifications each (a quarter
of them unread) and one measured agent holding --mine, generated in one INSERT ... SELECT. Then, signed in as the
measured agent, it requests through Django's full stack in this process (no HTTP socket) and reports latency
percentiles and queries per request for: the bell partial (what every page polls), the centre's first page and a
deep page. Last it times `notifications.services` (the in-app row plus one email outbox row, committed). Needs
PostgreSQL:

    createdb -h 127.0.0.1 -U postgres scrm_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench .venv/bin/python -m bench notifications
"""

import statistics
import sys
import time

from bench.django_setup import setup_django
from bench.load import percentile

SLUG = "bench-notify"


# A run of seconds: what the tests run (python -m bench notifications --tiny).
TINY = ("--users", "3", "--per-user", "100", "--mine", "200", "--requests", "5")


def add_arguments(parser):
    parser.add_argument("--users", type=int, default=200, help="other agents of the organization (default 200)")
    parser.add_argument("--per-user", type=int, default=5_000, help="notifications each of them holds")
    parser.add_argument("--mine", type=int, default=20_000, help="notifications the measured agent holds")
    parser.add_argument("--requests", type=int, default=200, help="requests per case (default 200)")



def _generate(organization, user_ids, per_user):
    from django.db import connection

    from bench.rows import default_columns
    from notifications.models import Notification

    # Titles as `notify` stores them: coded messages (scrm.platform.coded), worded when the centre shows them.
    columns = ("organization_id", "recipient_id", "kind", "title", "url", "read_at", "created_at")
    other_columns, other_values = default_columns(Notification, columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO notifications_notification ({", ".join(columns)}{other_columns})
            SELECT %s, u, 'assigned',
                   '{{"code": "notifications.title_assigned", "params": {{"number": "T20261123-'
                       || lpad(g::text, 6, '0') || '"}}}}', '/tickets/',
                   CASE WHEN g %% 4 = 0 THEN NULL ELSE now() - g * interval '1 second' END,
                   now() - g * interval '1 minute'{other_values}
            FROM unnest(%s::bigint[]) AS u, generate_series(1, %s) AS g
            """,  # noqa: S608 - names and defaults from the models
            [organization.pk, list(user_ids), per_user],
        )


def _ensure_data(args):
    from django.db import connection

    from notifications.models import Notification
    from scrm import services
    from scrm.models import Organization, Role, User
    from scrm.platform.tenancy import tenant_scope

    organization = Organization.objects.filter(slug=SLUG).first() or services.organization_create(
        slug=SLUG, name=SLUG)
    me = User.all_objects.filter(username="bench-notify-agent").first() or services.user_create(
        organization=organization, username="bench-notify-agent", password=None, roles=[Role.AGENT],
        validate=False)
    with tenant_scope(organization):
        if not me.email:
            me.email = "bench-agent@example.com"
            me.save(update_fields=["email"])
        total = Notification.objects.count()
        wanted = args.users * args.per_user + args.mine
        if total >= wanted:
            return organization, me
        if total:
            sys.exit(f"{SLUG} has {total} notifications, not {wanted}: drop the bench database and run again")
        others = [
            (User.all_objects.filter(username=f"bench-notify-{n}").first() or services.user_create(
                organization=organization, username=f"bench-notify-{n}", password=None, roles=[Role.AGENT],
                validate=False)).pk
            for n in range(args.users)
        ]
        started = time.perf_counter()
        _generate(organization, others, args.per_user)
        _generate(organization, [me.pk], args.mine)
        print(f"generated {wanted} notifications in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notification")
    return organization, me


def _stats(latencies, queries):
    latencies = sorted(latencies)
    return {
        "requests": len(latencies), "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1), "p99_ms": round(percentile(latencies, 99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1), "queries_max": max(queries) if queries else None,
    }


def _measure(client, url, n):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    latencies, queries = [], []
    for _ in range(n):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        queries.append(len(captured))
    return _stats(latencies, queries)


def run(args):
    setup_django()
    from django.test import Client

    from notifications.models import Notification, NotificationDelivery
    from notifications.services import notify
    from scrm.platform.tenancy import tenant_scope

    organization, me = _ensure_data(args)
    client = Client()
    client.force_login(me)
    client.get("/notifications/bell/")  # warm up
    n = args.requests
    results = {
        "bell": _measure(client, "/notifications/bell/", n),
        "centre_first_page": _measure(client, "/notifications/", n),
        "centre_page_50": _measure(client, "/notifications/?page=50", n),
    }
    # notify(): committed one by one, as a service call is; the outbox tasks are not sent (no worker needed).
    notify_module = sys.modules["notifications.services"]  # the module (the package's `notify` is the function)
    publish, notify_module._publish = notify_module._publish, lambda *a: None
    latencies = []
    try:
        with tenant_scope(organization):
            for _ in range(n):
                started = time.perf_counter()
                notify(recipient=me, kind=Notification.Kind.MENTIONED, title="bench")
                latencies.append((time.perf_counter() - started) * 1000)
            NotificationDelivery.objects.filter(notification__title="bench").delete()
            Notification.objects.filter(title="bench").delete()
    finally:
        notify_module._publish = publish
    results["notify_call"] = _stats(latencies, [])
    return {"notifications": args.users * args.per_user + args.mine, "mine": args.mine, **results}
