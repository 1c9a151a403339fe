"""Agent workspace at scale: an agent's queue pages and the supervisor board over HTTP, with 1,000,000 tickets.

Builds (once, then reuses) one organization with --tickets tickets, a fifth of them active (new, open, pending, on
hold; the rest resolved or closed), over 20 queues of one team, 200 agents (each a member of two queues) and
--customers customers, plus --other-orgs organizations beside it with --other-size tickets each, all generated in
set-based SQL (INSERT ... SELECT over generate_series). Then it serves the project with gunicorn (DEBUG off, as in
production, static files collected into a temporary directory) and requests, signed in through a real session
cookie, one page at a time:

- ``mine``: an agent's "My tickets" (the agent holds about 1,000 active tickets: a worst case);
- ``team``: the agent's "Team queues" (the active tickets of their two queues, about 20,000, newest first) and its
  second page; ``team_one_queue``: one of them in take-next order (10,000 active tickets), and filtered to P1;
- ``team_search``: the same filtered by an exact ticket number;
- ``board``: the supervisor's board (every active ticket of the team: about 200,000, counted by queue and status),
  the full page and the htmx refresh of the counts;
- ``board_cell``: the list under one count of the board.

The board's counts are shared through the cache for a few seconds (tickets.selectors.BOARD_COUNTS_CACHE_SECONDS),
so its HTTP figures are mostly cache hits; ``board_counts_miss`` is what one expired refresh costs on top (the
grouped count, timed in-process). A supervisor alone on a board, refreshing less often than the cache lives, pays it
on every refresh.

It reports p50/p95/p99 latency per case and the number of SQL queries each page runs (counted in-process through
Django's test client, same code path). Goal: p95 < 150 ms. Needs PostgreSQL:

    createdb -h 127.0.0.1 -U postgres scrm_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench ticket_queue

A smaller run (the figures then say how many tickets they were taken with): ``--tickets 200000 --other-size 20000``.
"""

import http.client
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.load import percentile
from bench.server import SERVER_ENV, add_server_arguments, gunicorn_server, server_options, server_report

BIG_SLUG = "bench-tickets"
QUEUES = 20
AGENTS = 200  # agent i is a member of queues i % 20 and (i + 1) % 20
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


# A run of seconds: what the tests run (python -m bench ticket_queue --tiny).
TINY = ("--tickets", "2000", "--customers", "200", "--other-orgs", "1", "--other-size", "200", "--requests", "3")


def add_arguments(parser):
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets in the measured organization")
    parser.add_argument("--customers", type=int, default=100_000, help="customers in the measured organization")
    parser.add_argument("--other-orgs", type=int, default=5, help="organizations beside it")
    parser.add_argument("--other-size", type=int, default=50_000, help="tickets in each of those")
    parser.add_argument("--requests", type=int, default=100, help="requests per case (default 100)")
    add_server_arguments(parser)


def _setup_django(secret_key):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrm.settings")
    os.environ.setdefault("DEBUG", "true")  # this process only generates data and counts queries
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ["SECRET_KEY"] = secret_key  # the session's auth hash must match the server's
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]


def _generate(organization, *, tickets, customers, queue_ids, agent_ids, team_id):
    """Customers and tickets of one organization, in two INSERT ... SELECT statements.

    Ticket g: queue q = (g / 5) % 20; active when g % 5 = 0 (a fifth), and then, with j = (g / 100) % 10, assigned
    to agent q + 20 j (a member of queue q) when j < 3 (open, pending or on hold), else waiting in the pool (new or
    open); inactive tickets are resolved or closed. Priorities cycle P1..P4 weighted to P3; ages spread over two years.
    """
    from django.db import connection

    from bench.rows import default_columns
    from scrm.models import Customer
    from tickets.models import Ticket

    customer_columns = ("organization_id", "display_name", "level", "source_channel", "first_contact_at",
                        "last_contact_at", "created_at")
    customer_other_columns, customer_other_values = default_columns(Customer, customer_columns)
    ticket_columns = ("organization_id", "number", "subject", "customer_id", "channel", "source_ref", "priority",
                      "status", "assignee_id", "team_id", "queue_id", "created_at", "updated_at")
    ticket_other_columns, ticket_other_values = default_columns(Ticket, ticket_columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO scrm_customer ({", ".join(customer_columns)}{customer_other_columns})
            SELECT %s, '客户' || g,
                   CASE WHEN g %% 20 = 0 THEN 'svip' WHEN g %% 5 = 0 THEN 'vip' ELSE 'normal' END, 'wechat_oa',
                   now(), now(), now() - g * interval '1 minute'{customer_other_values}
            FROM generate_series(1, %s) AS g
            RETURNING id
            """,  # noqa: S608 - names and defaults from the models
            [organization.pk, customers],
        )
        customer_ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            f"""
            WITH t AS (
                SELECT g, (g / 5) %% %(queues)s AS q, (g / 5 / %(queues)s) %% 10 AS j, (g %% 5 = 0) AS active
                FROM generate_series(1, %(n)s) AS g
            )
            INSERT INTO tickets_ticket ({", ".join(ticket_columns)}{ticket_other_columns})
            SELECT %(org)s,
                   'T' || to_char(now() - g * interval '1 minute', 'YYYYMMDD') || '-'
                       || lpad((g %% 1000000)::text, 6, '0'),
                   '空调不制冷 工单' || g, (%(customers)s::bigint[])[1 + g %% %(ncust)s], 'wechat_oa', 'conv-' || g,
                   CASE WHEN g %% 7 = 0 THEN 1 WHEN g %% 7 = 1 THEN 2 WHEN g %% 7 = 2 THEN 4 ELSE 3 END,
                   CASE WHEN NOT active THEN (CASE WHEN g %% 2 = 0 THEN 'closed' ELSE 'resolved' END)
                        WHEN j < 3 THEN (ARRAY['open', 'pending', 'on_hold'])[1 + g %% 3]
                        ELSE (ARRAY['new', 'open'])[1 + g %% 2] END,
                   CASE WHEN active AND j < 3 THEN (%(agents)s::bigint[])[1 + q + %(queues)s * j] END,
                   %(team)s, (%(queue_ids)s::bigint[])[1 + q],
                   now() - g * interval '1 minute', now() - g * interval '1 minute'{ticket_other_values}
            FROM t
            """,  # noqa: S608 - names and defaults from the models
            {"org": organization.pk, "queues": len(queue_ids), "n": tickets, "customers": customer_ids,
             "ncust": len(customer_ids), "agents": agent_ids, "team": team_id, "queue_ids": queue_ids},
        )


def _organization(slug):
    """An organization with a team, 20 queues, 200 agents in them and a supervisor leading the team."""
    from scrm import services
    from scrm.models import Organization
    from scrm.platform.tenancy import tenant_scope

    organization = Organization.objects.filter(slug=slug).first() or services.organization_create(slug=slug, name=slug)
    with tenant_scope(organization):
        return (organization, *_organization_staff(organization, slug))


def _organization_staff(organization, slug):
    from django.contrib.auth.models import Group

    from scrm import services
    from scrm.models import AgentProfile, Role, Team, User
    from tickets.models import Queue, QueueMembership

    supervisor = User.objects.filter(username=f"{slug}-supervisor").first() or services.user_create(
        organization=organization, username=f"{slug}-supervisor", password=None, roles=[Role.SUPERVISOR],
        validate=False)
    team = Team.objects.get_or_create(organization=organization, code="AS",
                                      defaults={"name": "售后", "leader": supervisor})[0]
    queues = [Queue.objects.get_or_create(organization=organization, code=f"q{n}",
                                          defaults={"name": f"队列{n:02d}", "team": team, "auto_assign": False})[0]
              for n in range(QUEUES)]
    agents = list(User.objects.filter(organization=organization, username__startswith=f"{slug}-agent")
                  .order_by("pk"))
    if not agents:
        agents = User.objects.bulk_create([
            User(username=f"{slug}-agent{n:03d}", organization=organization, password="!")  # noqa: S106 - unusable
            for n in range(AGENTS)
        ])
        Group.objects.get(name=Role.AGENT.value).user_set.add(*agents)
        profiles = AgentProfile.objects.bulk_create([
            AgentProfile(organization=organization, user=user, team=team, status=AgentProfile.Status.ONLINE,
                         max_open_tickets=5000) for user in agents
        ])
        QueueMembership.objects.bulk_create([
            QueueMembership(organization=organization, queue=queues[(n + shift) % QUEUES], agent=profile)
            for n, profile in enumerate(profiles) for shift in (0, 1)
        ])
    return team, queues, agents, supervisor


def _ensure_data(args):
    from django.db import connection

    from scrm.platform.tenancy import tenant_scope
    from tickets.models import Ticket

    built = False
    measured = None
    for slug, count, customers in [(BIG_SLUG, args.tickets, args.customers)] + [
        (f"bench-tickets-other-{n}", args.other_size, max(1, args.other_size // 10)) for n in range(args.other_orgs)
    ]:
        organization, team, queues, agents, supervisor = _organization(slug)
        with tenant_scope(organization):
            have = Ticket.objects.count()
            if have and have != count:
                sys.exit(f"{slug} has {have} tickets, not {count}: drop the bench database and run again")
            if not have:
                started = time.perf_counter()
                _generate(organization, tickets=count, customers=customers, queue_ids=[q.pk for q in queues],
                          agent_ids=[a.pk for a in agents], team_id=team.pk)
                print(f"generated {count} tickets for {slug} in {time.perf_counter() - started:.1f}s",
                      file=sys.stderr)
                built = True
        if slug == BIG_SLUG:
            measured = (organization, queues, agents[0], supervisor)
    if built:
        with connection.cursor() as cursor:
            # What autovacuum does soon after a bulk load: statistics, and the visibility map that lets the board
            # count from the index alone.
            cursor.execute("VACUUM ANALYZE tickets_ticket")
            cursor.execute("ANALYZE scrm_customer; ANALYZE tickets_queuemembership;")
    return measured


def _session_cookie(user):
    """A signed-in session for `user`, as the login view would create it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend that loads users (django-axes' comes first in the list and only guards sign-ins).
    session[BACKEND_SESSION_KEY] = next(b for b in settings.AUTHENTICATION_BACKENDS if "axes" not in b.lower())
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _count_queries(user, url, headers=None):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    client.get(url, headers=headers)  # the session is written on the first request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code} in-process")
    return len(captured)


def _measure(server, cookie, url, requests, headers=None):
    latencies = []
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        for n in range(requests + 3):
            started = time.perf_counter()
            conn.request("GET", url, headers={"Cookie": cookie, "Host": "127.0.0.1", **(headers or {})})
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise SystemExit(f"{url} answered {response.status}: {body[:300]!r}")
            if n >= 3:  # the first requests warm the worker (imports, connection, templates)
                latencies.append(elapsed)
    finally:
        conn.close()
    latencies.sort()
    return {"p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
            "p99_ms": round(percentile(latencies, 99), 1), "mean_ms": round(statistics.fmean(latencies), 1),
            "bytes": len(body)}


def run(args):
    secret_key = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)
    _setup_django(secret_key)

    from scrm.platform.tenancy import tenant_scope
    from tickets.models import Ticket
    from tickets.selectors import BOARD_COUNTS_CACHE_SECONDS
    organization, queues, agent, supervisor = _ensure_data(args)
    with tenant_scope(organization):
        number = Ticket.objects.filter(queue=queues[0], status="new").values_list("number", flat=True).first()
        mine = Ticket.objects.filter(assignee=agent, status__in=("new", "open", "pending", "on_hold")).count()
    cases = {
        "mine": (agent, "/tickets/", None),
        "team": (agent, "/tickets/queues/", None),
        "team_page2": (agent, "/tickets/queues/?page=2", None),
        "team_one_queue": (agent, f"/tickets/queues/?queue={queues[0].pk}", None),
        "team_one_queue_p1": (agent, f"/tickets/queues/?queue={queues[0].pk}&priority=1", None),
        "team_search": (agent, f"/tickets/queues/?q={number}", None),
        "board": (supervisor, "/tickets/board/", None),
        "board_refresh": (supervisor, "/tickets/board/", {"HX-Request": "true"}),
        "board_cell": (supervisor, f"/tickets/board/cell/?queue={queues[0].pk}&status=new", None),
    }
    # Each request opens its user's scope itself, as on a server (the middleware refuses one already open).
    queries = {name: _count_queries(user, url, headers) for name, (user, url, headers) in cases.items()}
    with tenant_scope(organization):
        miss = _board_miss(queues)
    cookies = {agent.pk: _session_cookie(agent), supervisor.pk: _session_cookie(supervisor)}

    static_root = tempfile.mkdtemp(prefix="scrm-bench-static-")
    env = {"SECRET_KEY": secret_key, "STATIC_ROOT": static_root}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=PROJECT_ROOT,
                   env={**os.environ, "PUBLIC_BASE_URL": SERVER_ENV["PUBLIC_BASE_URL"], **env, "DEBUG": "False"},
                   check=True)
    results = {}
    with gunicorn_server(**server_options(args), env=env) as server:
        print(f"gunicorn pid {server.pid} on {server.base_url}", file=sys.stderr)
        for name, (user, url, headers) in cases.items():
            results[name] = {**_measure(server, cookies[user.pk], url, args.requests, headers),
                             "queries": queries[name]}
            print(f"{name}: {results[name]}", file=sys.stderr)
    return {
        "tickets": args.tickets, "active_share": 0.2, "other_orgs": args.other_orgs, "other_size": args.other_size,
        "agent_active_tickets": mine, "requests_per_case": args.requests, **server_report(args),
        "goal_p95_ms": 150, "p95_max_ms": max(r["p95_ms"] for r in results.values()), **results,
        "board_counts_cache_seconds": BOARD_COUNTS_CACHE_SECONDS, "board_counts_miss": miss,
    }


def _board_miss(queues, runs=20):
    """What the board costs when its cached counts have expired: the grouped count of every active ticket of the
    supervisor's queues, in-process (one query)."""
    from tickets.selectors import board_counts_uncached

    latencies = []
    for _ in range(runs):
        started = time.perf_counter()
        board_counts_uncached(queue_ids=[q.pk for q in queues])
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {"p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1)}
