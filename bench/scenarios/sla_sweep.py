"""SLA sweep: 1,000,000 open tickets under an SLA, 10,000 of them due; the sweep escalates the due ones (goal
< 2 s) and an empty sweep over the same data stays cheap (goal < 50 ms): its cost follows the tickets due, not the
tickets open.

Builds a fresh organization (its slug carries the run's time) with a 7×24 calendar, a policy whose ladder's first
step (75% of the first response) notifies the assignee, one agent, and --tickets open tickets generated in one
INSERT ... SELECT: --due of them opened 100 minutes ago (their 75% step is past), the rest opened now (their next
step is 90 minutes away, so they sit in the sweep's partial index too, the worst case for it). Then it runs the
real service (`sla.services.sla_sweep`) with --workers concurrent sweepers (processes, each its own
connection, SKIP LOCKED sharing the work), then an empty sweep, and checks from the database that every due ticket
was escalated exactly once. The organization is deleted afterwards (--keep keeps it).

Besides the wall time it reports `sweep_cpu_seconds`, the CPU the sweeping processes used, and
`sweep_db_cpu_seconds`, the CPU of their PostgreSQL backends (read from /proc when the server runs on the same
machine, else null): on a shared machine the wall time moves with the neighbours, the CPU much less.

    createdb -h 127.0.0.1 -U postgres scrm_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench .venv/bin/python -m bench sla_sweep
"""

import multiprocessing
import os
import statistics
import sys
import time
from datetime import UTC, datetime

from bench.django_setup import organization_delete, setup_django

# A run of seconds: what the tests run (python -m bench sla_sweep --tiny).
TINY = ("--tickets", "2000", "--due", "100", "--workers", "2", "--batch-size", "20", "--empty-runs", "3")


def add_arguments(parser):
    parser.add_argument("--tickets", type=int, default=1_000_000, help="open tickets (default 1,000,000)")
    parser.add_argument("--due", type=int, default=10_000, help="of which due now (default 10,000)")
    parser.add_argument("--workers", type=int, default=1, help="concurrent sweeps (processes, default 1)")
    parser.add_argument("--batch-size", type=int, default=500, help="rows per locked batch (default 500)")
    parser.add_argument("--empty-runs", type=int, default=20, help="empty sweeps timed (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the generated organization afterwards")



def _build(args):
    from django.db import connection, transaction

    from bench.rows import default_columns
    from scrm.models import AgentProfile, Customer, Organization, User
    from sla.models import PRESET_24X7, BusinessCalendar, EscalationStep, SLAPolicy, SLATarget
    from sla.services import sla_policy_save
    from tickets.models import Ticket

    slug = f"bench-sla-{datetime.now(UTC):%Y%m%d%H%M%S}"
    with transaction.atomic():
        organization = Organization.objects.create(slug=slug, name=slug)
        agent = User.objects.create(username=f"{slug}-agent", organization=organization, password="!")  # noqa: S106
        AgentProfile.objects.create(organization=organization, user=agent, status=AgentProfile.Status.ONLINE)
        customer = Customer.objects.create(organization=organization, display_name="基准客户")
        calendar = BusinessCalendar.objects.create(organization=organization, name="7×24", weekly_hours=PRESET_24X7,
                                                   preset=BusinessCalendar.Preset.H24X7,
                                                   follows_china_holidays=False)
        policy = sla_policy_save(
            policy=SLAPolicy(organization=organization, name="bench", calendar=calendar),
            targets=[SLATarget(priority=3, first_response_minutes=120, next_response_minutes=None,
                               resolution_minutes=960)],
            steps=[EscalationStep(metric="first_response", trigger="percent", trigger_value=75,
                                  notify_assignee=True),
                   EscalationStep(metric="first_response", trigger="breach", notify_supervisor=True)],
        )
        columns = ("organization_id", "number", "subject", "customer_id", "channel", "source_ref", "priority",
                   "status", "assignee_id", "created_at", "assigned_at", "sla_policy_id", "first_response_due_at",
                   "resolution_due_at", "sla_warn_at", "next_escalation_at")
        other_columns, other_values = default_columns(Ticket, columns)
        with connection.cursor() as cursor:
            # Due: opened 100 minutes ago, first response due in 20 minutes, the 75% step 10 minutes ago.
            # Not due: opened now, the 75% step in 90 minutes.
            cursor.execute(
                f"""
                INSERT INTO tickets_ticket ({", ".join(columns)}{other_columns})
                SELECT %(org)s, 'T20260101-' || lpad(g::text, 7, '0'), '工单 ' || g, %(customer)s, 'wechat_oa',
                       'conv-' || g, 3, 'open', %(agent)s, t.opened, t.opened, %(policy)s,
                       t.opened + interval '120 minutes', t.opened + interval '960 minutes',
                       t.opened + interval '90 minutes', t.opened + interval '90 minutes'{other_values}
                FROM generate_series(1, %(tickets)s) AS g,
                     LATERAL (SELECT CASE WHEN g %% %(every)s = 0 THEN now() - interval '100 minutes'
                                          ELSE now() END AS opened) AS t
                """,  # noqa: S608 - names and defaults from the models
                {"org": organization.pk, "customer": customer.pk, "agent": agent.pk, "policy": policy.pk,
                 "tickets": args.tickets, "every": max(args.tickets // args.due, 1)},
            )
    with connection.cursor() as cursor:
        # Vacuumed, as a live table is: the sweep's first reader of freshly generated rows would otherwise pay
        # for marking them committed (a write of every page it touches), beside the autovacuum they call for.
        cursor.execute("VACUUM ANALYZE tickets_ticket")
        cursor.execute("SELECT count(*) FROM tickets_ticket WHERE organization_id = %s AND next_escalation_at <= now()",
                       [organization.pk])
        due = cursor.fetchone()[0]
    return organization, due


def _backend_cpu():
    """CPU seconds of this connection's PostgreSQL backend so far, from /proc (None when the server runs
    elsewhere): the database's share of a sweep, which the sweeping process's own CPU does not include."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sweep_process(now, batch_size, start_barrier, results):
    from django.db import connection

    from sla.services import sla_sweep

    connection.ensure_connection()
    db_cpu = _backend_cpu()
    start_barrier.wait()
    began, cpu = time.perf_counter(), time.process_time()
    count = sla_sweep(now=now, batch_size=batch_size)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    db_after = _backend_cpu()
    results.put((count, seconds, cpu, None if db_cpu is None or db_after is None else db_after - db_cpu))
    connection.close()


def _sweep(args, now):
    from django.db import connections
    from django.urls import get_resolver

    # What a worker process has loaded after its first task: the URLconf (a notification stores its ticket's
    # link), about a second to import. Loaded here, before the sweeps fork, so the figure is the sweep's own.
    get_resolver().reverse_dict  # noqa: B018 - evaluated for its side effect
    if args.workers == 1:
        from sla.services import sla_sweep

        db_cpu = _backend_cpu()
        began, cpu = time.perf_counter(), time.process_time()
        count = sla_sweep(now=now, batch_size=args.batch_size)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        db_after = _backend_cpu()
        return count, seconds, cpu, None if db_cpu is None or db_after is None else db_after - db_cpu
    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(args.workers + 1), context.Queue()
    processes = [context.Process(target=_sweep_process, args=(now, args.batch_size, barrier, results))
                 for _ in range(args.workers)]
    for process in processes:
        process.start()
    barrier.wait()
    began = time.perf_counter()
    counts = [results.get() for _ in processes]
    seconds = time.perf_counter() - began
    for process in processes:
        process.join()
    db_cpus = [db_cpu for _count, _seconds, _cpu, db_cpu in counts]
    return (sum(count for count, *_rest in counts), seconds, sum(cpu for _count, _seconds, cpu, _db in counts),
            None if None in db_cpus else sum(db_cpus))


def _verify(organization, due):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n > 1)
            FROM (SELECT ticket_id, count(*) AS n FROM tickets_ticketevent
                  WHERE organization_id = %s AND kind = 'escalated' GROUP BY ticket_id) AS e
            """,
            [organization.pk],
        )
        once, more = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM notifications_notification WHERE organization_id = %s", [organization.pk])
        notifications = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM tickets_ticket WHERE organization_id = %s AND escalation_level = 1",
                       [organization.pk])
        level_one = cursor.fetchone()[0]
    return {"escalated_once": once, "escalated_more_than_once": more, "notifications": notifications,
            "exactly_once": once == due == notifications == level_one and more == 0}


def _explain(now):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id, organization_id FROM tickets_ticket "
            "WHERE next_escalation_at <= %s ORDER BY next_escalation_at LIMIT 500 FOR UPDATE SKIP LOCKED", [now])
        plan = cursor.fetchone()[0][0]
    node = plan["Plan"]
    while node.get("Plans"):
        node = node["Plans"][0]
    return {"empty_sweep_plan": node.get("Node Type"), "empty_sweep_index": node.get("Index Name")}



def run(args):
    setup_django()
    from django.utils import timezone

    from scrm.platform.tenancy import platform_scope

    with platform_scope():
        began = time.perf_counter()
        organization, due = _build(args)
        print(f"built {args.tickets} tickets ({due} due) in {time.perf_counter() - began:.1f}s", file=sys.stderr)
        now = timezone.now()
        swept, seconds, cpu, db_cpu = _sweep(args, now)
        print(f"swept {swept} in {seconds:.2f}s", file=sys.stderr)
        if swept != due:
            # The sweep is platform-wide: tickets of another organization of this database were due too.
            print(f"warning: {swept - due} tickets of other organizations were swept as well; the figures are "
                  f"not this run's alone (use a database of its own)", file=sys.stderr)
        empty = []
        for _ in range(args.empty_runs):
            began = time.perf_counter()
            left = _sweep(argparse_namespace(args, workers=1), now)[0]
            empty.append((time.perf_counter() - began) * 1000)
        proof = _verify(organization, due)
        plan = _explain(now)
        if not args.keep:
            organization_delete(organization)
    return {
        "tickets": args.tickets, "due": due, "workers": args.workers, "batch_size": args.batch_size,
        "sweep_seconds": round(seconds, 2), "sweep_cpu_seconds": round(cpu, 2),
        "sweep_db_cpu_seconds": None if db_cpu is None else round(db_cpu, 2),
        "tickets_per_second": round(swept / seconds, 1) if seconds else None,
        "swept": swept, "empty_sweep_left": left, "empty_sweep_ms_median": round(statistics.median(empty), 2),
        "empty_sweep_ms_max": round(max(empty), 2), "goal_sweep_under_2s": seconds < 2,
        "goal_empty_under_50ms": statistics.median(empty) < 50, **plan, **proof,
    }


def argparse_namespace(args, **changes):
    import argparse

    return argparse.Namespace(**{**vars(args), **changes})
