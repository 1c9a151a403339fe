"""Read queries of the tickets app, shaped for the workspace, the API and the rule tester. Tenant models are
scoped by the open scope; lists for a user are also limited to the regions their role may see."""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone

from scrm.models import AgentProfile, ChannelIdentity, Role, Tag, Team, User
from scrm.platform.access import user_custom_roles, user_has_role, user_roles
from scrm.platform.tenancy import current_organization_id
from scrm.selectors import ALL_ROWS, combine_scopes, custom_scope_q, region_scope_q
from tickets.hooks import sla_state_annotate
from tickets.models import (
    ACTIVE_STATUSES,
    POOL_STATUSES,
    Attachment,
    CannedResponse,
    Comment,
    Queue,
    QueueMembership,
    RoutingRule,
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


def customer_tickets(*, customer, before=None, limit=20):
    """The customer's tickets, newest first, one query (the customer timeline)."""
    tickets = Ticket.objects.filter(customer=customer).only(
        "id", "number", "subject", "status", "priority", "created_at", "organization_id", "customer_id")
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
# Subqueries, not id lists: the scope costs no query of its own beyond region_scope_q's.

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
    return (mine & region_scope_q(user=user)) | Q(assignee=user)


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


def _list_row(queryset):
    # What a queue row shows; `only` keeps the rows narrow on a list of a million tickets. The SLA state and its
    # nearest due time are computed by the database from the ticket's own columns.
    return sla_state_annotate(queryset).select_related("customer", "assignee", "queue", "type").only(
        "id", "organization_id", "number", "subject", "status", "priority", "channel", "created_at", "updated_at",
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
        regions = region_scope_q(user=user)
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
        regions = region_scope_q(user=user)
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
