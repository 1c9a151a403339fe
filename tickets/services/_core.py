"""What the ticket services share: locking, numbering, events, status changes and the agents' load counters."""

from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify
from scrm.platform.tenancy import tenant_sql
from tickets.errors import MSG_ILLEGAL_STATUS, MSG_NO_CUSTOMER, MSG_SAME_STATUS, TicketError
from tickets.hooks import status_listeners_notify
from tickets.models import ACTIVE_STATUSES, AgentLoad, Ticket, TicketCounter, TicketEvent

Status = Ticket.Status

# Numbers carry the day in China whatever the server's clock zone is.
NUMBER_TZ = ZoneInfo("Asia/Shanghai")

# The moves a user may make (ticket_change_status). Services move along other edges on their own: an assignment
# or the first public reply opens a new ticket, a customer's message reopens a pending one, a merge closes the
# duplicate. Closed is final: a customer who writes again gets a new ticket.
TRANSITIONS = {
    Status.NEW: {Status.OPEN, Status.ON_HOLD, Status.CLOSED},  # closing a new ticket discards spam
    Status.OPEN: {Status.PENDING, Status.ON_HOLD, Status.RESOLVED},
    Status.PENDING: {Status.OPEN, Status.ON_HOLD, Status.RESOLVED},
    Status.ON_HOLD: {Status.OPEN, Status.PENDING, Status.RESOLVED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: set(),
}


def ref(obj):
    """How an event stores a related row: its id and what it was called then (names change, events do not)."""
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def event_build(ticket, kind, *, actor=None, before=None, after=None, comment=None):
    return TicketEvent(
        organization_id=ticket.organization_id, ticket=ticket, kind=kind, actor=actor, before=before or {},
        after=after or {}, comment=comment, created_at=timezone.now(),
    )


def event_write(ticket, kind, **fields):
    event = event_build(ticket, kind, **fields)
    event.save(force_insert=True)
    return event


def customer_required(ticket):
    """Refuse what only goes to a customer (an SMS, a template message, a form link, a reply the channel sends)
    on an internal ticket, which has none."""
    if ticket.customer_id is None:
        raise TicketError(MSG_NO_CUSTOMER % {"number": ticket.number})


def ticket_qs_select_for_update():
    # `of=self`: the nullable joins of a filter (region, type) must not be locked, and PostgreSQL refuses to lock
    # the nullable side of an outer join anyway.
    return Ticket.objects.select_for_update(of=("self",))


def ticket_lock(ticket):
    """The ticket's row, locked for this transaction and read afresh (the caller's copy may be stale)."""
    return ticket_qs_select_for_update().select_related("queue", "type").get(pk=ticket.pk)


def tickets_lock(*tickets):
    """Several tickets locked in id order, so two services locking the same pair cannot deadlock."""
    locked = {t.pk: t for t in ticket_qs_select_for_update().filter(pk__in=[t.pk for t in tickets]).order_by("pk")}
    return [locked[t.pk] for t in tickets]


def number_next(organization_id, at):
    """The next readable number of the organization for the day of `at` in China: "T20261123-000123".

    One upsert: the first ticket of the day inserts the counter row, later ones increment it. Its row lock lasts
    until the caller's transaction ends, so concurrent openings queue here for a moment and a rolled-back opening
    gives its number back (no gaps, no duplicates, no check-then-create).
    """
    day = timezone.localtime(at, NUMBER_TZ).date()
    table = connection.ops.quote_name(TicketCounter._meta.db_table)
    [(sequence,)] = tenant_sql(
        f"INSERT INTO {table} (organization_id, day, last) VALUES (%(organization)s, %(day)s, 1) "  # noqa: S608 - our table name
        f"ON CONFLICT (organization_id, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
        {"day": day}, organization=organization_id,
    )
    return f"T{day:%Y%m%d}-{sequence:06d}"


# --- agents' load -------------------------------------------------------------------------------------------------

def _counts(assignee_id, status):
    return assignee_id is not None and status in ACTIVE_STATUSES


def _load_ensure(organization_id, user_ids):
    AgentLoad.objects.bulk_create(
        [AgentLoad(organization_id=organization_id, user_id=user_id) for user_id in user_ids], ignore_conflicts=True
    )


def load_shift(organization_id, *, before, after, reserved=False):
    """Keep the agents' load counters in step with a change of (assignee_id, status) of one ticket.

    `reserved`: the new assignee's +1 was already taken by `load_reserve`. Rows are updated in user id order.
    """
    deltas = {}
    if _counts(*before):
        deltas[before[0]] = deltas.get(before[0], 0) - 1
    if _counts(*after) and not reserved:
        deltas[after[0]] = deltas.get(after[0], 0) + 1
    changes = {user_id: delta for user_id, delta in deltas.items() if delta}
    if not changes:
        return
    _load_ensure(organization_id, changes)
    for user_id in sorted(changes):
        AgentLoad.objects.filter(user_id=user_id).update(open_tickets=F("open_tickets") + changes[user_id])


def load_reserve(organization_id, user_id, cap, at, *, ensure=True):
    """Count one more ticket for the agent if they are under their cap; False if they are not. The conditional
    UPDATE is atomic and locks the agent's row, so two transactions can never both take the last slot.
    `ensure=False`: the caller saw the agent's row, so it need not be created first."""
    if ensure:
        _load_ensure(organization_id, [user_id])
    return bool(
        AgentLoad.objects.filter(user_id=user_id, open_tickets__lt=cap)
        .update(open_tickets=F("open_tickets") + 1, last_assigned_at=at)
    )


# --- changes shared by several services ---------------------------------------------------------------------------

def status_check(ticket, status):
    if status == ticket.status:
        raise TicketError(MSG_SAME_STATUS % {"status": Status(status).label})
    if status not in TRANSITIONS[ticket.status]:
        raise TicketError(MSG_ILLEGAL_STATUS % {"before": Status(ticket.status).label,
                                                "after": Status(status).label})


def status_apply(ticket, status, *, actor, reason=""):
    """Move a locked ticket to `status` (already checked, or a move a service makes on its own) with its event."""
    before, now = ticket.status, timezone.now()
    ticket.status = status
    fields = ["status", "updated_at"]
    if status == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif before == Status.RESOLVED:
        ticket.resolved_at = None  # reopened
        fields.append("resolved_at")
    ticket.save(update_fields=fields)
    load_shift(ticket.organization_id, before=(ticket.assignee_id, before), after=(ticket.assignee_id, status))
    after = {"status": status}
    if reason:
        after["reason"] = reason
    event_write(ticket, TicketEvent.Kind.STATUS, actor=actor, before={"status": before}, after=after)
    status_listeners_notify(ticket, before=before, actor=actor)


def assignee_apply(ticket, assignee, *, actor, via, reserved=False, event=True):
    """Give a locked ticket to `assignee` (None: back to the pool) with its events; a new ticket becomes open.
    The assignee is notified unless they took it themselves (take next, or assigning themselves).

    `reserved`: the caller already counted the ticket on the assignee's load (`load_reserve`).
    """
    before_user, before_status = ticket.assignee, ticket.status
    now = timezone.now()
    ticket.assignee = assignee
    ticket.assigned_at = now if assignee is not None else None
    fields = ["assignee", "assigned_at", "updated_at"]
    if assignee is not None and ticket.status == Status.NEW:
        ticket.status = Status.OPEN
        fields.append("status")
    ticket.save(update_fields=fields)
    load_shift(ticket.organization_id, before=(before_user.pk if before_user else None, before_status),
               after=(assignee.pk if assignee else None, ticket.status), reserved=reserved)
    events = []
    if event:
        kind = TicketEvent.Kind.ASSIGNED if assignee is not None else TicketEvent.Kind.UNASSIGNED
        events.append(event_build(ticket, kind, actor=actor, before={"assignee": ref(before_user)},
                                  after={"assignee": ref(assignee), "via": via}))
    if ticket.status != before_status:
        events.append(event_build(ticket, TicketEvent.Kind.STATUS, actor=actor, before={"status": before_status},
                                  after={"status": ticket.status, "reason": "assigned"}))
    TicketEvent.objects.bulk_create(events)
    if assignee is not None and via != "take_next":
        notify(recipient=assignee, kind=Notification.Kind.ASSIGNED, ticket=ticket, actor=actor)
