"""Who gets a ticket: the queue's strategy (round robin or least loaded among eligible members), a manual
assignment, or an agent taking the next ticket from their queues.

Eligible: a member of the queue, online, active, under their open-ticket cap, holding every skill the queue and
the ticket type require, and serving the ticket's region or one above it (an agent with no regions serves all).
Nobody eligible: the ticket waits unassigned in the queue's pool.
"""

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from scrm.models import AgentProfile
from scrm.platform.tenancy import tenant_scope
from tickets.errors import (
    MSG_ASSIGNEE_OTHER_ORG,
    MSG_AT_CAPACITY,
    MSG_CLOSED,
    MSG_NOT_AN_AGENT,
    TicketError,
)
from tickets.models import ACTIVE_STATUSES, POOL_STATUSES, AgentLoad, Queue, QueueMembership, Ticket, TicketType
from tickets.services._core import assignee_apply, load_reserve, ticket_lock

# How many eligible members an automatic assignment tries before leaving the ticket in the pool (each try is one
# conditional UPDATE; a member fails only when another transaction just filled their last slot).
_CANDIDATES = 10


def region_ancestor_paths(path):
    """"/EAST/JS/NJ/" → ["/EAST/", "/EAST/JS/", "/EAST/JS/NJ/"]: the region and every region above it."""
    codes = [code for code in path.split("/") if code]
    return ["/" + "/".join(codes[: n + 1]) + "/" for n in range(len(codes))]


def _required_skill_ids(ticket, queue):
    required = set(queue.required_skills.values_list("pk", flat=True))
    if ticket.type_id:
        required |= set(ticket.type.required_skills.values_list("pk", flat=True))
    return required


def eligible_members(ticket, queue):
    """The queue's memberships that may get this ticket now, in the order the queue's strategy prefers."""
    load = AgentLoad.objects.filter(user_id=OuterRef("agent__user_id"))
    members = (
        QueueMembership.objects.filter(queue=queue, agent__status=AgentProfile.Status.ONLINE,
                                       agent__user__is_active=True)
        .select_related("agent__user")
        .annotate(load=Coalesce(Subquery(load.values("open_tickets")[:1]), 0),
                  agent_last_assigned_at=Subquery(load.values("last_assigned_at")[:1]))
        .filter(load__lt=F("agent__max_open_tickets"))
    )
    skills = AgentProfile.skills.through.objects
    for skill_id in sorted(_required_skill_ids(ticket, queue)):
        members = members.filter(Exists(skills.filter(agentprofile_id=OuterRef("agent_id"), skill_id=skill_id)))
    if ticket.region_id:
        regions = AgentProfile.regions.through.objects
        serves = Exists(regions.filter(agentprofile_id=OuterRef("agent_id"),
                                       region__path__in=region_ancestor_paths(ticket.region.path)))
        members = members.filter(serves | ~Exists(regions.filter(agentprofile_id=OuterRef("agent_id"))))
    if queue.strategy == Queue.Strategy.LEAST_LOADED:
        order = ["load", F("agent_last_assigned_at").asc(nulls_first=True), "pk"]
    else:
        order = [F("last_assigned_at").asc(nulls_first=True), "pk"]
    return members.order_by(*order)


def assign_by_strategy(ticket, *, actor=None):
    """Give a locked, unassigned ticket to an eligible member of its queue; None when nobody is (it stays in
    the pool). Runs inside the caller's transaction."""
    queue = ticket.queue
    if queue is None or not queue.auto_assign or not ticket.is_active:
        return None
    now = timezone.now()
    for membership in eligible_members(ticket, queue)[:_CANDIDATES]:
        agent = membership.agent
        if load_reserve(ticket.organization_id, agent.user_id, agent.max_open_tickets, now):
            QueueMembership.objects.filter(pk=membership.pk).update(last_assigned_at=now)
            assignee_apply(ticket, agent.user, actor=actor, via=queue.strategy, reserved=True)
            return agent.user
    return None


@transaction.atomic
def ticket_assign(*, ticket, assignee, actor):
    """Give the ticket to someone of its organization (None: back to the queue's pool).

    A supervisor's decision: the agent's cap and presence are not checked, only counted.
    """
    if assignee is not None and assignee.organization_id != ticket.organization_id:
        raise TicketError(MSG_ASSIGNEE_OTHER_ORG)
    with tenant_scope(ticket.organization_id):
        ticket = ticket_lock(ticket)
        if ticket.status == Ticket.Status.CLOSED:
            raise TicketError(MSG_CLOSED % {"number": ticket.number})
        if ticket.assignee_id == (assignee.pk if assignee else None):
            return ticket
        assignee_apply(ticket, assignee, actor=actor, via="manual")
        return ticket


@transaction.atomic
def ticket_take_next(*, agent):
    """Give the agent the most urgent, oldest unassigned ticket of their queues that they may work (skills,
    region), or None when there is none. Refused when the agent already holds their cap of open tickets.

    Concurrent callers skip each other's locked rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so 50 agents
    pressing the button at once get 50 different tickets, without waiting on each other.
    """
    with tenant_scope(agent.organization_id):
        # Few round trips: this runs once per click of every agent of the organization.
        held = AgentLoad.objects.filter(user_id=OuterRef("user_id")).values("open_tickets")[:1]
        profile = AgentProfile.objects.filter(user=agent).annotate(held=Subquery(held)).first()
        if profile is None:
            raise TicketError(MSG_NOT_AN_AGENT % {"user": agent})
        if (profile.held or 0) >= profile.max_open_tickets:
            raise TicketError(MSG_AT_CAPACITY % {"count": profile.held or 0})
        # Queues and types that need a skill the agent lacks are out (explicit EXISTS: cheap to build and run).
        agent_skills = AgentProfile.skills.through.objects.filter(agentprofile_id=profile.pk).values("skill_id")
        queue_lacks = Queue.required_skills.through.objects.filter(queue_id=OuterRef("queue_id")).exclude(
            skill_id__in=agent_skills)
        type_lacks = TicketType.required_skills.through.objects.filter(tickettype_id=OuterRef("type_id")).exclude(
            skill_id__in=agent_skills)
        # Literal queue ids (not a subquery) let the planner walk the pool index in take-next order.
        queue_ids = list(QueueMembership.objects.filter(agent=profile).filter(~Exists(queue_lacks))
                         .values_list("queue_id", flat=True))
        if not queue_ids:
            return None
        pool = Ticket.objects.filter(queue_id__in=queue_ids, assignee__isnull=True, status__in=POOL_STATUSES).filter(
            ~Exists(type_lacks))
        paths = list(AgentProfile.regions.through.objects.filter(agentprofile_id=profile.pk)
                     .values_list("region__path", flat=True))
        if paths:
            served = Q(region__isnull=True)
            for path in paths:
                served |= Q(region__path__startswith=path)
            pool = pool.filter(served)
        ticket = (
            pool.select_for_update(skip_locked=True, of=("self",))
            .order_by("priority", "created_at", "pk").first()
        )
        if ticket is None:
            return None
        if not load_reserve(agent.organization_id, agent.pk, profile.max_open_tickets, timezone.now(),
                            ensure=profile.held is None):
            # The agent took another ticket in another tab meanwhile; rolling back frees this one.
            raise TicketError(MSG_AT_CAPACITY % {"count": profile.max_open_tickets})
        assignee_apply(ticket, agent, actor=agent, via="take_next", reserved=True)
        return ticket


@transaction.atomic
def agent_load_recount(*, organization):
    """Rebuild every agent's load counter of the organization from their tickets (a repair tool; the services
    keep the counters exact). Returns {user_id: open tickets} of the rows it corrected.

    The counters are locked before the tickets are counted: an assignment moves its ticket and its counter in one
    transaction, so it either finished before the count (counted) or waits on the lock and adds its change after
    (counted by its own update); counting first could store a figure that misses it."""
    with tenant_scope(organization):
        holding = Ticket.objects.filter(assignee__isnull=False, status__in=ACTIVE_STATUSES)
        AgentLoad.objects.bulk_create(
            [AgentLoad(organization_id=organization.pk, user_id=user_id)
             for user_id in holding.values_list("assignee", flat=True).distinct()],
            ignore_conflicts=True,
        )
        rows = list(AgentLoad.objects.select_for_update().order_by("user_id"))
        actual = dict(holding.values_list("assignee").annotate(n=Count("pk")).values_list("assignee", "n"))
        corrected = {}
        for row in rows:
            wanted = actual.get(row.user_id, 0)
            if row.open_tickets != wanted:
                AgentLoad.objects.filter(pk=row.pk).update(open_tickets=wanted)
                corrected[row.user_id] = wanted
        return corrected
