"""Read queries of the tickets app, shaped for the workspace, the API and the rule tester. Tenant models are
scoped by the open scope; lists for a user are also limited to the regions their role may see."""

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q

from scrm.models import Tag
from scrm.selectors import region_scope_q
from tickets.models import (
    ACTIVE_STATUSES,
    POOL_STATUSES,
    Attachment,
    Comment,
    Notification,
    Queue,
    RoutingRule,
    Ticket,
    TicketEvent,
)


def routing_rules_active():
    """Active rules in evaluation order, with what `routing_evaluate` looks at loaded (two queries)."""
    return list(
        RoutingRule.objects.filter(is_active=True)
        .select_related("region", "set_queue__team", "set_type__default_queue__team")
        .prefetch_related(Prefetch("add_tags", queryset=Tag.objects.only("id", "name")))
        .order_by("position", "pk")
    )


def ticket_list(*, user):
    """Tickets the user may see (their role's regions), with what a list row shows."""
    return (
        Ticket.objects.filter(region_scope_q(user=user))
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
    comments = Comment.objects.filter(ticket=ticket).select_related("author", "customer")
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



# --- notifications --------------------------------------------------------------------------------------------------

NOTIFICATION_BELL_CAP = 99


def notification_list(*, user):
    """The user's notifications, unread first, each part newest first."""
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return (
        Notification.objects.filter(recipient=user)
        .select_related("ticket", "actor")
        .order_by(unread.desc(), "-created_at", "-pk")
    )


def notification_unread_count(*, user, cap=NOTIFICATION_BELL_CAP):
    """How many unread notifications the user has, counting no further than cap + 1 (the bell shows "99+")."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).order_by()[: cap + 1].count()


# --- attachments ----------------------------------------------------------------------------------------------------

def attachment_for_download(*, pk, user):
    """The attachment if the user may see its ticket (the ticket lists' region scope), else None."""
    return (
        Attachment.objects.filter(pk=pk, comment__ticket__in=ticket_list(user=user).order_by().values("pk"))
        .only("id", "organization_id", "file", "original_name", "content_type").first()
    )
