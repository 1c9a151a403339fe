"""Take next under contention: 50 agents drain 10,000 unassigned tickets at once; tickets/second, no double assignment.

Builds a fresh organization (its slug carries the run's time) with --tickets unassigned tickets spread over --queues
queues, generated in one INSERT ... SELECT (mixed priorities and ages), and --agents online agents who are members
of every queue with a cap above the pool. Then every agent, each in its own process (or thread, --workers threads)
with its own database connection, presses "take next" (`tickets.services.ticket_take_next`, the real service:
SELECT ... FOR UPDATE SKIP LOCKED, load counter, events) until it gets nothing, all starting at one barrier.

It reports the drain rate and the latency of one take, then proves from the database that no ticket went to two
agents: every ticket is assigned, each has exactly one "assigned" TicketEvent, the tickets the agents were handed
are all different, and the agents' load counters add up. The organization is deleted afterwards (--keep keeps it).
Needs PostgreSQL:

    createdb -h 127.0.0.1 -U postgres scrm_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scrm_bench .venv/bin/python -m bench take_next
"""

import statistics
import sys
import threading
import time
from datetime import UTC, datetime

from bench.django_setup import organization_delete, setup_django
from bench.load import percentile

# A run of seconds: what the tests run (python -m bench take_next --tiny).
TINY = ("--tickets", "200", "--agents", "4")


def add_arguments(parser):
    parser.add_argument("--tickets", type=int, default=10_000, help="unassigned tickets to drain (default 10,000)")
    parser.add_argument("--agents", type=int, default=50, help="agents pressing take-next at once (default 50)")
    parser.add_argument("--queues", type=int, default=1, help="queues the tickets are spread over; every agent "
                                                             "is a member of all of them (default 1)")
    parser.add_argument("--workers", choices=("threads", "processes"), default="processes",
                        help="run each agent in a forked process (default: like web workers, no shared GIL) or a "
                             "thread")
    parser.add_argument("--keep", action="store_true", help="keep the generated organization afterwards")



def _build(args):
    """The organization, its queues, agents and pool. Returns (organization, agents)."""
    from django.db import connection, transaction

    from bench.rows import default_columns
    from scrm.models import AgentProfile, Customer, Organization, User
    from scrm.platform.tenancy import tenant_scope
    from tickets.models import AgentLoad, Queue, QueueMembership, Ticket

    slug = f"bench-take-next-{datetime.now(UTC):%Y%m%d%H%M%S}"
    with transaction.atomic():
        organization = Organization.objects.create(slug=slug, name=slug)
        with tenant_scope(organization):
            queues = [Queue.objects.create(organization=organization, name=f"队列{n}", code=f"q{n}",
                                           auto_assign=False) for n in range(args.queues)]
            users = User.objects.bulk_create([
                User(username=f"{slug}-agent{n}", organization=organization, password="!")  # noqa: S106 - unusable
                for n in range(args.agents)
            ])
            profiles = AgentProfile.objects.bulk_create([
                AgentProfile(organization=organization, user=user, status=AgentProfile.Status.ONLINE,
                             max_open_tickets=args.tickets + 1) for user in users
            ])
            QueueMembership.objects.bulk_create([
                QueueMembership(organization=organization, queue=queue, agent=profile)
                for queue in queues for profile in profiles
            ])
            AgentLoad.objects.bulk_create([AgentLoad(organization=organization, user=user) for user in users])
            customer = Customer.objects.create(organization=organization, display_name="基准客户")
        columns = ("organization_id", "number", "subject", "customer_id", "channel", "source_ref", "priority",
                   "status", "queue_id", "created_at")
        other_columns, other_values = default_columns(Ticket, columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO tickets_ticket ({", ".join(columns)}{other_columns})
                SELECT %s, 'T20260101-' || lpad(g::text, 6, '0'), '工单 ' || g, %s, 'wechat_oa', 'conv-' || g,
                       1 + (g * 7) %% 4, 'new', (%s::bigint[])[1 + g %% %s],
                       now() - (g * 37 %% 86400) * interval '1 second'{other_values}
                FROM generate_series(1, %s) AS g
                """,  # noqa: S608 - names and defaults from the models
                [organization.pk, customer.pk, [q.pk for q in queues], len(queues), args.tickets],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket; ANALYZE tickets_ticketevent; ANALYZE tickets_agentload;")
    return organization, users


def _drain(agent, start):
    """One agent pressing take-next until the pool is empty: [(ticket id, seconds of the call)]."""
    from django.db import connection

    from tickets.services import ticket_take_next

    taken = []
    try:
        start()
        while True:
            began = time.perf_counter()
            ticket = ticket_take_next(agent=agent)
            elapsed = time.perf_counter() - began
            if ticket is None:
                return taken
            taken.append((ticket.pk, elapsed))
    finally:
        connection.close()


def _run_threads(agents):
    barrier = threading.Barrier(len(agents))
    results, errors = {}, []

    def work(agent):
        try:
            results[agent.pk] = _drain(agent, lambda: barrier.wait(timeout=120))
        except Exception as exc:  # noqa: BLE001 - reported below, the run fails
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return results, errors, started


def _process_main(agent, barrier, queue):
    try:
        queue.put((agent.pk, _drain(agent, lambda: barrier.wait(timeout=120)), None))
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        queue.put((agent.pk, [], repr(exc)))


def _run_processes(agents):
    import multiprocessing

    from django.db import connections

    connections.close_all()  # a forked child must open its own connection, never share the parent's socket
    context = multiprocessing.get_context("fork")
    barrier, queue = context.Barrier(len(agents)), context.Queue()
    processes = [context.Process(target=_process_main, args=(agent, barrier, queue)) for agent in agents]
    for process in processes:
        process.start()
    started = time.perf_counter()
    results, errors = {}, []
    for _ in processes:
        agent_id, taken, error = queue.get()
        results[agent_id] = taken
        if error:
            errors.append(error)
    for process in processes:
        process.join()
    return results, errors, started


def _verify(organization):
    """What the database says about the drain: each figure must be as stated for the run to count."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE assignee_id IS NOT NULL),
                   count(*) FILTER (WHERE assignee_id IS NULL)
            FROM tickets_ticket WHERE organization_id = %s
            """, [organization.pk])
        assigned, unassigned = cursor.fetchone()
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE n > 1), coalesce(sum(n), 0)::bigint
            FROM (SELECT ticket_id, count(*) AS n FROM tickets_ticketevent
                  WHERE organization_id = %s AND kind = 'assigned' GROUP BY ticket_id) AS per_ticket
            """, [organization.pk])
        tickets_with_event, double_assigned, assignment_events = cursor.fetchone()
        cursor.execute(
            """
            SELECT count(*) FROM tickets_ticket t
            WHERE t.organization_id = %s AND t.assignee_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM tickets_ticketevent e WHERE e.ticket_id = t.id AND e.kind = 'assigned'
                  AND (e.after -> 'assignee' ->> 'id')::bigint = t.assignee_id)
            """, [organization.pk])
        assignee_differs_from_event = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(sum(open_tickets), 0)::bigint FROM tickets_agentload "
                       "WHERE organization_id = %s", [organization.pk])
        load_total = cursor.fetchone()[0]
    return {
        "assigned": assigned, "left_unassigned": unassigned, "tickets_with_assignment_event": tickets_with_event,
        "assignment_events": assignment_events, "double_assigned": double_assigned,
        "assignee_differs_from_event": assignee_differs_from_event, "load_counters_total": load_total,
    }



def run(args):
    setup_django()

    from scrm.platform.tenancy import platform_scope

    with platform_scope():
        built = time.perf_counter()
        organization, agents = _build(args)
        print(f"built {args.tickets} tickets and {args.agents} agents in {time.perf_counter() - built:.1f}s",
              file=sys.stderr)
        runner = _run_processes if args.workers == "processes" else _run_threads
        results, errors, started = runner(agents)
        seconds = time.perf_counter() - started
        if errors:
            sys.exit(f"{len(errors)} agents failed, e.g. {errors[0]}")
        taken = [ticket_id for calls in results.values() for ticket_id, _elapsed in calls]
        latencies = sorted(elapsed * 1000 for calls in results.values() for _ticket_id, elapsed in calls)
        per_agent = sorted(len(calls) for calls in results.values())
        proof = _verify(organization)
        if not args.keep:
            organization_delete(organization)
    proof["handed_out"] = len(taken)
    proof["handed_out_distinct"] = len(set(taken))
    proof["no_double_assignment"] = (
        proof["double_assigned"] == 0 and proof["handed_out"] == proof["handed_out_distinct"] == proof["assigned"]
        == proof["assignment_events"] == proof["load_counters_total"] == args.tickets
        and proof["left_unassigned"] == 0 and proof["assignee_differs_from_event"] == 0
    )
    return {
        "tickets": args.tickets, "agents": args.agents, "queues": args.queues, "workers": args.workers,
        "seconds": round(seconds, 2), "tickets_per_second": round(len(taken) / seconds, 1),
        "take_p50_ms": round(percentile(latencies, 50), 1), "take_p95_ms": round(percentile(latencies, 95), 1),
        "take_p99_ms": round(percentile(latencies, 99), 1), "take_mean_ms": round(statistics.fmean(latencies), 1),
        "per_agent_min": per_agent[0], "per_agent_max": per_agent[-1], **proof,
    }
