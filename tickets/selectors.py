"""Read queries of the tickets app, shaped for the workspace, the API and the rule tester. Tenant models are
scoped by the open scope; lists for a user are also limited to the regions their role may see."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import (
    Aggregate,
    Avg,
    BooleanField,
    Case,
    Count,
    DurationField,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from scrm.models import AgentProfile, ChannelIdentity, Region, Role, Tag, Team, User
from scrm.platform.access import user_custom_roles, user_has_role, user_roles
from scrm.platform.tenancy import current_organization_id
from scrm.selectors import ALL_ROWS, combine_scopes, custom_scope_q, queue_region_q, regions_in_reach
from tickets.errors import MSG_ASSIGNED_NOT_ONLINE, MSG_ASSIGNED_OVER_CAPACITY
from tickets.hooks import sla_state_annotate
from tickets.models import (
    ACTIVE_STATUSES,
    POOL_STATUSES,
    AgentLoad,
    Attachment,
    CannedResponse,
    Comment,
    Queue,
    QueueMembership,
    RoutingRule,
    SatisfactionSurvey,
    Ticket,
    TicketEvent,
)
from tickets.outbound import reply_window_for


def routing_rules_active():
    """Active rules in evaluation order, with what `routing_evaluate` looks at loaded (two queries)."""
    return list(
        RoutingRule.objects.filter(is_active=True)
        .select_related("region", "set_queue__team", "set_type__default_queue__team")
        .prefetch_related(Prefetch("add_tags", queryset=Tag.objects.only("id", "name")))
        .order_by("position", "pk")
    )


def ticket_list(*, user):
    """Tickets the user may see (the workspace's rule, `ticket_visible_q`), with what a list row shows."""
    return (
        Ticket.objects.filter(ticket_visible_q(user=user))
        .select_related("customer", "assignee", "queue", "type", "region")
        .order_by("-created_at")
    )


def ticket_list_mine(*, user):
    """The user's open tickets, most urgent first, oldest first (index ticket_assignee_open_idx)."""
    return (
        Ticket.objects.filter(assignee=user, status__in=ACTIVE_STATUSES)
        .select_related("customer", "queue", "type")
        .order_by("priority", "created_at", "pk")
    )


def queue_pool(*, queue):
    """A queue's unassigned tickets in take-next order (index ticket_queue_pool_idx)."""
    return (
        Ticket.objects.filter(queue=queue, assignee__isnull=True, status__in=POOL_STATUSES)
        .select_related("customer", "type")
        .order_by("priority", "created_at", "pk")
    )


def queue_list_for_agent(*, user):
    return Queue.objects.filter(memberships__agent__user=user).select_related("team").order_by("name")


def ticket_detail(*, pk):
    return (
        Ticket.objects.select_related("customer", "assignee", "queue", "team", "type", "region", "parent",
                                      "merged_into")
        .prefetch_related("tags", "watchers", "children")
        .get(pk=pk)
    )


def ticket_comments(*, ticket, include_internal=True):
    comments = (Comment.objects.filter(ticket=ticket).select_related("author", "customer")
                .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))))
    if not include_internal:
        comments = comments.filter(is_public=True)
    return comments.order_by("created_at", "pk")


def ticket_events(*, ticket):
    """The ticket's timeline and audit trail, oldest first."""
    return TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("created_at", "pk")


def customer_tickets(*, customer, before=None, limit=20, user=None):
    """The customer's tickets, newest first, one query (the customer timeline). Given the reader, each carries
    `may_open`: whether `user` may open it (an agent sees the customer's other tickets, but not every one opens)."""
    tickets = Ticket.objects.filter(customer=customer).only(
        "id", "number", "subject", "status", "priority", "created_at", "organization_id", "customer_id")
    visible = ticket_visible_q(user=user) if user is not None else Q()
    if visible:  # an empty Q: the reader sees every ticket
        tickets = tickets.annotate(may_open=Case(When(visible, then=Value(True)), default=Value(False),
                                                 output_field=BooleanField()))
    if before is not None:
        tickets = tickets.filter(created_at__lt=before)
    return tickets.order_by("-created_at", "-pk")[:limit]


# --- the agent workspace ------------------------------------------------------------------------------------------
#
# Who sees which tickets (every workspace page goes through `ticket_visible`):
# - ops admins and viewers: every ticket of the organization (viewers read only);
# - supervisors: the tickets of their teams (teams they lead, their own team, their agents' teams) and of the
#   queues they are a member of, within their regions;
# - agents: the tickets of the queues they are a member of, within the regions they serve;
# - everyone: the tickets assigned to them;
# - custom roles granting "tickets.view_ticket": their data scope (scrm.selectors.custom_scope_q: own = assigned,
#   team = the ticket's team or its queue's team is the user's); the scopes of all roles held add up.
# Subqueries, not id lists: the scope costs no query of its own beyond queue_region_q's.

_SEE_ALL_ROLES = (Role.OPS_ADMIN, Role.VIEWER)


def user_sees_all_tickets(user):
    return (user.is_superuser or user_has_role(user, *_SEE_ALL_ROLES)
            or _custom_ticket_scope(user) is ALL_ROWS)


def _custom_ticket_scope(user):
    return custom_scope_q(user=user, permission="tickets.view_ticket", own=Q(assignee=user),
                          team=lambda teams: Q(team__in=teams) | Q(queue__team__in=teams))


def _supervised_team_ids(user):
    return Team.objects.filter(
        Q(leader=user) | Q(agents__user=user) | Q(agents__supervisor=user)
    ).values("pk")


def _member_queue_ids(user):
    return QueueMembership.objects.filter(agent__user=user).values("queue_id")


def ticket_visible_q(*, user):
    """A Q of the tickets the user may open (see above)."""
    if user_sees_all_tickets(user):
        return Q()
    return combine_scopes(_preset_ticket_scope(user), _custom_ticket_scope(user))


def _scoped_by_custom_roles(user):
    """Pages with a faster restatement of the preset rule (queues, board) use `ticket_visible_q` itself for a user
    holding a custom role (or no preset role)."""
    return bool(user_custom_roles(user)) or not user_roles(user)


def _preset_ticket_scope(user):
    if user_has_role(user, Role.SUPERVISOR):
        teams = _supervised_team_ids(user)
        mine = (Q(team__in=teams) | Q(queue__in=Queue.objects.filter(team__in=teams).values("pk"))
                | Q(queue__in=_member_queue_ids(user)))
    elif user_has_role(user, Role.AGENT):
        mine = Q(queue__in=_member_queue_ids(user))
    else:
        return None
    return (mine & queue_region_q(user=user)) | Q(assignee=user)


def customers_of_visible_tickets_q(user):
    """The customers of the tickets a supervisor's or agent's preset role shows them (their queues and teams, and
    their own tickets): they may open the customer of a ticket they work, whatever the customer's region.
    Registered as a customer scope (`scrm.platform.access.register_customer_scope`)."""
    scope = _preset_ticket_scope(user)
    if scope is None:
        return Q(pk__in=[])
    return Q(pk__in=Ticket.objects.filter(scope).values("customer_id"))


def ticket_visible(*, user):
    return Ticket.objects.filter(ticket_visible_q(user=user))


def queue_list_for_user(*, user):
    """The queues a user works in or watches: all for ops and viewers, their teams' and their own for
    supervisors, their own for agents."""
    queues = Queue.objects.select_related("team").order_by("name")
    if user_sees_all_tickets(user):
        return queues
    condition = Q(pk__in=_member_queue_ids(user))
    if user_has_role(user, Role.SUPERVISOR):
        condition |= Q(team__in=_supervised_team_ids(user))
    if user_custom_roles(user):
        # A custom role's scope is not a set of queues: offer every queue holding a ticket the user may see.
        condition |= Q(pk__in=Ticket.objects.filter(ticket_visible_q(user=user)).values("queue_id"))
    return queues.filter(condition)


def queue_has_agent(*, queue, user):
    """Whether `user` is an agent of `queue` (a member, through their agent profile)."""
    return QueueMembership.objects.filter(queue=queue, agent__user=user).exists()


def queue_ids_of_agent(*, user):
    """The ids of the queues `user` is an agent of."""
    return list(QueueMembership.objects.filter(agent__user=user).values_list("queue_id", flat=True))


def user_takes_from_queues(*, user):
    """Whether "take next" can give the user a ticket: it needs their agent profile (queues, skills, cap) in at least
    one queue. A supervisor without one works tickets but takes none from a queue."""
    return QueueMembership.objects.filter(agent__user=user).exists()


def user_in_no_queue(*, user):
    """An agent profile that no queue has as a member yet: nothing can reach them until ops add them to one."""
    return AgentProfile.objects.filter(user=user, queue_memberships__isnull=True).exists()


# The ticket columns the SLA badge reads (sla.state.sla_targets_of).
SLA_BADGE_COLUMNS = ("sla_policy_id", "first_response_at", "resolved_at", "first_response_due_at",
                     "next_response_due_at", "resolution_due_at", "sla_warn_at", "paused_since", "sla_breached")


def _list_row(queryset):
    # What a queue row shows; `only` keeps the rows narrow on a list of a million tickets. The SLA state and its
    # nearest due time are computed by the database from the ticket's own columns; the badge names each target
    # from the SLA columns loaded here (no query per row).
    return sla_state_annotate(queryset).select_related("customer", "assignee", "queue", "type").only(
        "id", "organization_id", "number", "subject", "status", "priority", "channel", "created_at", "updated_at",
        *SLA_BADGE_COLUMNS,
        "customer__id", "customer__display_name", "customer__level", "assignee__id", "assignee__username",
        "assignee__display_name", "assignee__first_name", "assignee__last_name", "queue__id", "queue__name",
        "type__id", "type__name",
    )


def ticket_queue_mine(*, user):
    """'My tickets': the user's active tickets, most urgent first, oldest first (ticket_assignee_open_idx)."""
    return _list_row(Ticket.objects.filter(assignee=user, status__in=ACTIVE_STATUSES)).order_by(
        "priority", "created_at", "pk")


def ticket_queue_team(*, user, pool_only=False, take_next_order=True):
    """'Team queues': the active tickets of the user's queues (all of them for those who see everything);
    `pool_only`: just the unassigned ones.

    `take_next_order` (most urgent, then oldest) is for one queue at a time: ticket_queue_active_idx then reads the
    page straight off the index. Over several queues PostgreSQL would have to sort every active ticket of them
    (about a second for 20,000 rows on a busy box), so the pages that show many queues ask for newest first
    instead, which ticket_org_created_idx answers by reading a few rows per page."""
    tickets = Ticket.objects.filter(status__in=POOL_STATUSES if pool_only else ACTIVE_STATUSES)
    if pool_only:
        tickets = tickets.filter(assignee__isnull=True)
    if not user_sees_all_tickets(user) and _scoped_by_custom_roles(user):
        tickets = tickets.filter(ticket_visible_q(user=user))  # a custom role's scope: the rule itself
    elif not user_sees_all_tickets(user):
        # The queue ids as a list, not a subquery: the planner then knows how many queues it is looking at and
        # picks the index that answers the page (one query more, on a small table). Within these queues
        # `ticket_visible_q` comes down to the user's regions, or the ticket being theirs.
        queue_ids = list(queue_list_for_user(user=user).values_list("pk", flat=True))
        tickets = tickets.filter(queue_id__in=queue_ids)
        regions = queue_region_q(user=user)
        if regions:
            tickets = tickets.filter(regions | Q(assignee=user))
    if take_next_order:
        return _list_row(tickets).order_by("priority", "created_at", "pk")
    return _list_row(tickets).order_by("-created_at", "-pk")


def ticket_for_user(*, user, pk):
    """The ticket page's ticket, if the user may see it (Ticket.DoesNotExist otherwise)."""
    return (
        ticket_visible(user=user)
        .select_related("customer__region", "customer__owner", "assignee", "queue", "team", "type", "region",
                        "parent", "merged_into")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.only("id", "name", "color")),
            Prefetch("children", queryset=Ticket.objects.only("id", "number", "parent_id", "organization_id")),
            Prefetch("customer__tags", queryset=Tag.objects.select_related("group")),
            Prefetch("customer__identities", queryset=ChannelIdentity.objects.order_by("created_at")),
        )
        .get(pk=pk)
    )


def ticket_stamp(*, user, pk):
    """The ticket's updated_at, one indexed query: the conversation's poll compares it before rendering."""
    return ticket_visible(user=user).filter(pk=pk).values_list("updated_at", flat=True).first()


def ticket_conversation(*, ticket, include_internal=True):
    """Comments and events of the ticket interleaved, oldest first (newest last), as (kind, at, object) rows.
    Comment events are folded into their comment. Two queries."""
    comments = list(ticket_comments(ticket=ticket, include_internal=include_internal))
    events = [event for event in ticket_events(ticket=ticket) if event.kind != TicketEvent.Kind.COMMENT]
    rows = [("comment", c.created_at, c) for c in comments] + [("event", e.created_at, e) for e in events]
    rows.sort(key=lambda row: (row[1], 0 if row[0] == "event" else 1, row[2].pk))
    return rows


@dataclass(frozen=True)
class ReplyWindow:
    """The channel's reply window on a ticket: since when the customer last wrote, and until when a reply goes."""

    last_inbound_at: object
    closes_at: object
    hours: int

    @property
    def closed(self):
        return self.closes_at <= timezone.now()


def reply_window(*, ticket):
    """The reply window of the ticket's channel (WeChat's 48 hours), or None when its channel has none. The
    customer's last message is the newest on any ticket of the same conversation (a resolved ticket's successor
    reopens the window); a conversation with no message yet counts from the ticket's opening. One query."""
    window = reply_window_for(ticket.channel)
    if window is None:
        return None
    inbound = Comment.objects.filter(customer__isnull=False, ticket__channel=ticket.channel)
    inbound = (inbound.filter(ticket__source_ref=ticket.source_ref) if ticket.source_ref
               else inbound.filter(ticket=ticket))
    last = inbound.aggregate(last=Max("created_at"))["last"] or ticket.created_at
    return ReplyWindow(last_inbound_at=last, closes_at=last + window, hours=int(window.total_seconds() // 3600))


def canned_responses_for(*, ticket):
    """Active canned responses offered on this ticket: its queue's and the general ones."""
    return CannedResponse.objects.filter(Q(queue__isnull=True) | Q(queue_id=ticket.queue_id), is_active=True).only(
        "id", "title", "organization_id").order_by("title")


def assignable_users():
    """Agents of the open scope's organization a ticket may be given to (active users with an agent profile)."""
    return (User.objects.filter(is_active=True,
                                pk__in=AgentProfile.objects.values("user_id"))
            .order_by("username"))


def agent_workload(*, user):
    """(presence, open tickets held, cap) of an agent, or None for a user with no agent profile: what a supervisor
    is told after giving them a ticket (one query).

    The tickets held are the agent's load counter (AgentLoad), the figure the router (`eligible_members`,
    `load_reserve`) and take next hold against the cap, so the warning and the router agree on who is full."""
    held = AgentLoad.objects.filter(user_id=OuterRef("user_id")).values("open_tickets")[:1]
    profile = (AgentProfile.objects.filter(user=user).annotate(held=Subquery(held))
               .only("status", "max_open_tickets", "organization_id", "user_id").first())
    if profile is None:
        return None
    return profile.status, profile.held or 0, profile.max_open_tickets


def assignee_workload_warnings(*, assignee):
    """What whoever just gave `assignee` a ticket is told about their workload: not online, over their cap (the
    supervisor's call stands; they are told, to look twice). [] for an agent online with room, or a user with no
    agent profile. The workspace shows them as warnings, the API answers them as `warnings`."""
    workload = agent_workload(user=assignee)
    if workload is None:
        return []
    status, held, cap = workload
    warnings = []
    if status != AgentProfile.Status.ONLINE:
        warnings.append(MSG_ASSIGNED_NOT_ONLINE % {"user": assignee, "status": AgentProfile.Status(status).label})
    if held > cap:
        warnings.append(MSG_ASSIGNED_OVER_CAPACITY % {"user": assignee, "held": held, "cap": cap})
    return warnings


# The board's counts are shared for a few seconds by everyone looking at the same queues: counting 200,000 open
# tickets takes 60-250 ms even from the index alone, and a team's supervisors all refresh the same board.
BOARD_COUNTS_CACHE_SECONDS = 10


def _board_grouped(queryset):
    counts = {}
    for row in queryset.values("queue_id", "status").annotate(n=Count("*")).order_by():
        counts.setdefault(row["queue_id"], {})[row["status"]] = row["n"]
    return counts


def board_counts_uncached(*, queue_ids, regions=None, region_path=""):
    """{queue_id: {status: n}} of the active tickets of `queue_ids` (None: every queue), limited to `regions` (a Q)
    and to one region's subtree. Counted from ticket_queue_active_idx alone (status is included in it)."""
    tickets = Ticket.objects.filter(status__in=ACTIVE_STATUSES)
    if queue_ids is not None:
        tickets = tickets.filter(queue_id__in=queue_ids)
    if regions:
        tickets = tickets.filter(regions)
    if region_path:
        tickets = tickets.filter(region__path__startswith=region_path)
    return _board_grouped(tickets)


def board_counts(*, user, region=None):
    """Open tickets per queue and status for the board: [(queue or None, {status: n})] and the column totals.

    The user's queues (every queue for those who see everything) within their regions, plus tickets assigned to
    them elsewhere (counted afresh). The queues' counts are cached for BOARD_COUNTS_CACHE_SECONDS under a key of
    what they depend on, so supervisors of one team share them."""
    queues = list(queue_list_for_user(user=user))
    sees_all = user_sees_all_tickets(user)
    queue_ids = None if sees_all else sorted(queue.pk for queue in queues)
    if sees_all:
        regions = None
    elif _scoped_by_custom_roles(user):
        regions = ticket_visible_q(user=user)
    else:
        regions = queue_region_q(user=user)
    region_path = region.path if region is not None else ""
    scope = "all" if sees_all else ",".join(map(str, queue_ids))
    if regions:
        scope += f":u{user.pk}"  # their regions: their own entry
    # The roles are part of the key, so a change of role is counted afresh on the next request.
    scope += "|" + ",".join(f"{r.pk}:{r.data_scope}:{r.updated_at.timestamp()}" for r in user_custom_roles(user))
    key = "tickets:board:" + hashlib.sha256(
        f"{current_organization_id()}|{scope}|{region_path}".encode()).hexdigest()[:32]
    counts = cache.get(key)
    if counts is None:
        counts = board_counts_uncached(queue_ids=queue_ids, regions=(regions | Q(assignee=user)) if regions else None,
                                       region_path=region_path)
        cache.set(key, counts, BOARD_COUNTS_CACHE_SECONDS)
    counts = {queue_id: dict(per) for queue_id, per in counts.items()}
    if not sees_all:
        elsewhere = Ticket.objects.filter(assignee=user, status__in=ACTIVE_STATUSES).exclude(queue_id__in=queue_ids)
        if region_path:
            elsewhere = elsewhere.filter(region__path__startswith=region_path)
        for queue_id, per in _board_grouped(elsewhere).items():
            for status, n in per.items():
                counts.setdefault(queue_id, {})[status] = counts.get(queue_id, {}).get(status, 0) + n
    rows = [(queue, counts.pop(queue.pk, {})) for queue in queues]
    if None in counts:
        rows.append((None, counts.pop(None)))
    if counts:
        rows.extend((queue, counts[queue.pk]) for queue in Queue.objects.filter(pk__in=list(counts)).order_by("name"))
    totals = {status: sum(c.get(status, 0) for _q, c in rows) for status in ACTIVE_STATUSES}
    return rows, totals


def board_regions(*, user):
    """The regions the board's filter (and the ticket lists') offers, in path order: those its figures can count
    for the user (the regions `queue_region_q` keeps a supervisor or agent to, and the subtrees below them). Every
    region for those who see every ticket, and for a custom role's scope, which is not a set of regions."""
    if user_sees_all_tickets(user) or _scoped_by_custom_roles(user):
        return Region.objects.order_by("path")
    return regions_in_reach(user=user)


def board_cell(*, user, queue_id, status, region=None, limit=50):
    """The tickets under one count of the board, most urgent and oldest first, at most `limit`."""
    tickets = ticket_visible(user=user).filter(status=status)
    tickets = tickets.filter(queue__isnull=True) if queue_id is None else tickets.filter(queue_id=queue_id)
    if region is not None:
        tickets = tickets.filter(region__path__startswith=region.path)
    return list(_list_row(tickets).order_by("priority", "created_at", "pk")[:limit])


def board_cell_ticket(*, user, pk):
    """One row of a board list, after a change (None when the user may no longer see it)."""
    return _list_row(ticket_visible(user=user).filter(pk=pk)).first()


# --- the board's live figures -------------------------------------------------------------------------------------
#
# One query per block whatever the number of agents, queues and tickets: the queues, the agents, the agents' loads,
# the queues' figures, today's figures, today's ratings, the queue memberships and the at-risk list. A supervisor
# sees the queues and agents of their teams (and queues they are a member of), ops and viewers-of-all the whole
# organization.

# The SLA states of `sla_state_annotate` (sla.state.SLAState; tickets does not import sla).
SLA_AT_RISK, SLA_BREACHED = "at_risk", "breached"
BOARD_AT_RISK_LIMIT = 20
# A rating of 4 or 5 counts as satisfied.
SATISFIED_RATING = 4


class _Median(Aggregate):
    """PostgreSQL's median of an interval (PERCENTILE_CONT is an ordered-set aggregate)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


@dataclass
class BoardAgent:
    profile: AgentProfile
    load: int = 0
    oldest_waiting_at: datetime | None = None
    queue_ids: set = field(default_factory=set)

    @property
    def user(self):
        return self.profile.user

    @property
    def capacity(self):
        return self.profile.max_open_tickets

    @property
    def load_percent(self):
        return min(100, round(100 * self.load / self.capacity)) if self.capacity else 100

    @property
    def has_room(self):
        return self.load < self.capacity


@dataclass
class BoardQueue:
    queue: Queue | None
    waiting: int = 0
    longest_waiting_since: datetime | None = None
    at_risk: int = 0
    breached: int = 0


@dataclass
class BoardToday:
    start: datetime
    created: int = 0
    solved: int = 0
    first_response_median: timedelta | None = None
    ratings: int = 0
    satisfied: int = 0
    rating_average: float | None = None

    @property
    def satisfaction_percent(self):
        return round(100 * self.satisfied / self.ratings) if self.ratings else None


@dataclass
class BoardLive:
    now: datetime
    agents: list
    queues: list
    today: BoardToday
    at_risk: list


def board_agents_q(*, user, queue_ids):
    """The agents a supervisor looks after: of their teams, supervised by them, or members of their queues."""
    return (Q(team__in=_supervised_team_ids(user)) | Q(supervisor=user)
            | Q(pk__in=QueueMembership.objects.filter(queue_id__in=queue_ids).values("agent_id")))


def board_live(*, user, now=None, region=None):
    """The board's live figures for `user` (see above): per agent presence, load against capacity and oldest ticket
    waiting on them; per queue the unassigned tickets waiting, the longest wait, at risk and breached; today's
    (Asia/Shanghai) created, solved, first-response median and satisfaction; the at-risk and breached open tickets,
    most urgent first.

    `region` (the board's filter) narrows the ticket figures to its subtree, as it narrows the counts below them; an
    agent's load stays their whole load (their load counter), since their capacity is counted against all of it."""
    now = now or timezone.now()
    queues = list(queue_list_for_user(user=user))
    sees_all = user_sees_all_tickets(user)
    queue_ids = [queue.pk for queue in queues]
    # The tickets the counts below count (board_counts): a supervisor's queues within the regions they serve or
    # manage (an at-risk ticket of another region was listed, its number a link to "not found").
    if sees_all:
        in_scope = Q()
    elif _scoped_by_custom_roles(user):
        in_scope = Q(queue_id__in=queue_ids) & ticket_visible_q(user=user)
    else:
        in_scope = Q(queue_id__in=queue_ids) & queue_region_q(user=user)
    if region is not None:
        in_scope &= Q(region__path__startswith=region.path)

    # An agent's load is their load counter (AgentLoad), the figure the router and take next hold against the cap,
    # so "has room" and the one-click assign's suggestion agree with who the router still gives tickets to.
    held = AgentLoad.objects.filter(user_id=OuterRef("user_id")).values("open_tickets")[:1]
    profiles = (AgentProfile.objects.select_related("user", "team").annotate(held=Subquery(held))
                .order_by("user__username"))
    if not sees_all:
        profiles = profiles.filter(board_agents_q(user=user, queue_ids=queue_ids))
    agents = {profile.user_id: BoardAgent(profile=profile, load=profile.held or 0) for profile in profiles}
    if agents:
        waiting_on = (Ticket.objects.filter(assignee_id__in=list(agents), status__in=POOL_STATUSES)
                      .values("assignee_id").annotate(oldest=Min("created_at")).order_by())
        for row in waiting_on:
            agents[row["assignee_id"]].oldest_waiting_at = row["oldest"]
        by_profile = {agent.profile.pk: agent for agent in agents.values()}
        for agent_id, queue_id in QueueMembership.objects.filter(agent_id__in=list(by_profile)).values_list(
                "agent_id", "queue_id"):
            by_profile[agent_id].queue_ids.add(queue_id)

    waiting = Q(assignee__isnull=True, status__in=POOL_STATUSES)
    per_queue = {row["queue_id"]: row for row in (
        sla_state_annotate(Ticket.objects.filter(in_scope, status__in=ACTIVE_STATUSES), now=now)
        .values("queue_id")
        .annotate(waiting=Count("pk", filter=waiting), longest=Min("created_at", filter=waiting),
                  at_risk=Count("pk", filter=Q(sla_state=SLA_AT_RISK)),
                  breached=Count("pk", filter=Q(sla_state=SLA_BREACHED)))
        .order_by())}
    board_queues = []
    for queue in [*queues, None]:
        row = per_queue.get(queue.pk if queue else None)
        if row is None:
            if queue is not None:
                board_queues.append(BoardQueue(queue=queue))
            continue
        board_queues.append(BoardQueue(queue=queue, waiting=row["waiting"], longest_waiting_since=row["longest"],
                                       at_risk=row["at_risk"], breached=row["breached"]))

    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    figures = Ticket.objects.filter(in_scope).aggregate(
        created=Count("pk", filter=Q(created_at__gte=start)),
        solved=Count("pk", filter=Q(resolved_at__gte=start)),
        median=_Median(F("first_response_at") - F("created_at"), filter=Q(first_response_at__gte=start)),
    )
    ratings = SatisfactionSurvey.objects.filter(answered_at__gte=start, rating__isnull=False)
    if not sees_all:
        ratings = ratings.filter(ticket__in=Ticket.objects.filter(in_scope).values("pk"))
    elif region is not None:
        ratings = ratings.filter(ticket__region__path__startswith=region.path)
    rated = ratings.aggregate(n=Count("pk"), satisfied=Count("pk", filter=Q(rating__gte=SATISFIED_RATING)),
                              average=Avg("rating"))
    today = BoardToday(start=start, created=figures["created"], solved=figures["solved"],
                       first_response_median=figures["median"], ratings=rated["n"], satisfied=rated["satisfied"],
                       rating_average=rated["average"])

    at_risk = list(
        _list_row(Ticket.objects.filter(in_scope, status__in=ACTIVE_STATUSES))
        .filter(sla_state__in=(SLA_AT_RISK, SLA_BREACHED))
        .order_by("sla_due", "priority", "pk")[:BOARD_AT_RISK_LIMIT]
    )
    return BoardLive(now=now, agents=list(agents.values()), queues=board_queues, today=today, at_risk=at_risk)


def board_suggested_assignee(*, ticket, agents):
    """Who the one-click assign offers for a ticket: the online member of its queue with room and the least load,
    else any online agent with room (None when nobody is free). Never the agent who holds it already: the ticket
    is at risk in their hands, and "assigning" it to them changed nothing."""
    free = sorted((a for a in agents if a.profile.status == AgentProfile.Status.ONLINE and a.has_room
                   and a.user.pk != ticket.assignee_id),
                  key=lambda a: (a.load, a.user.username))
    members = [a for a in free if ticket.queue_id in a.queue_ids]
    chosen = (members or free or [None])[0]
    return chosen.user if chosen else None


def routing_rules_all():
    """Every rule, active or not, in evaluation order, for the settings page (two queries)."""
    return list(
        RoutingRule.objects.select_related("region", "ticket_type", "set_queue", "set_type")
        .prefetch_related(Prefetch("add_tags", queryset=Tag.objects.only("id", "name")))
        .order_by("position", "pk")
    )


# --- attachments ----------------------------------------------------------------------------------------------------

def attachment_for_download(*, pk, user):
    """The attachment if the user may see its ticket (the ticket lists' region scope), else None."""
    return (
        Attachment.objects.filter(pk=pk, comment__ticket__in=ticket_list(user=user).order_by().values("pk"))
        .only("id", "organization_id", "file", "original_name", "content_type").first()
    )
