"""A ticket's life: opening (routing, numbering, assignment), inbound messages, replies, status moves, priority,
transfer, merge and split."""

import logging
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Left, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification
from notifications.senders import sms_settings
from notifications.services import notify
from scrm.customers.services import customer_touch, customers_touch
from scrm.platform.coded import coded, coded_messages_register
from scrm.platform.tenancy import tenant_scope, tenant_sql
from tickets.errors import (
    MSG_CLOSED,
    MSG_EMPTY_BODY,
    MSG_INTERNAL_NEEDS_QUEUE,
    MSG_MERGE_CLOSED,
    MSG_MERGE_OTHER_CUSTOMER,
    MSG_MERGE_SELF,
    MSG_NO_CUSTOMER,
    MSG_OTHER_ORGANIZATION,
    MSG_REPLY_CLOSED,
    MSG_REPLY_WINDOW_CLOSED,
    MSG_REPLY_WINDOW_CLOSED_SMS,
    MSG_REPLY_WINDOW_CLOSED_TEMPLATE,
    MSG_SAME_PRIORITY,
    MSG_SPLIT_FOREIGN_COMMENT,
    MSG_SPLIT_SUBJECT,
    MSG_TRANSFER_OTHER_ORG,
    MSG_TRANSFER_REASON,
    MSG_TRANSFER_SAME_QUEUE,
    TicketError,
)
from tickets.hooks import sla_on_customer_message, sla_on_public_reply, sla_on_status, sla_recompute
from tickets.models import ACTIVE_STATUSES, Comment, Queue, Ticket, TicketEvent, TicketTag, TicketWatcher
from tickets.outbound import reply_senders_for, templates_for
from tickets.routing import RoutingSample, routing_evaluate
from tickets.selectors import reply_window, routing_rules_active
from tickets.services._core import (
    assignee_apply,
    event_build,
    event_write,
    number_next,
    ref,
    status_apply,
    status_check,
    ticket_lock,
    ticket_qs_select_for_update,
    tickets_lock,
)
from tickets.services.alerts import ticket_alert_waiting
from tickets.services.assignment import assign_by_strategy, region_ancestor_paths
from tickets.services.attachments import attachments_check, attachments_store
from tickets.services.mentions import mentions_resolve
from tickets.services.satisfaction import survey_create

logger = logging.getLogger(__name__)

MENTION_TITLE = _("%(actor)s mentioned you on ticket %(number)s")
MENTION_SOMEONE = _("Someone")
# A mention's notification, worded in its reader's language (notifications store codes, scrm.platform.coded).
coded_messages_register({"tickets.mention_title": MENTION_TITLE, "tickets.someone": MENTION_SOMEONE})

Status = Ticket.Status
Kind = TicketEvent.Kind

SUBJECT_FROM_MESSAGE_LENGTH = 60
# The longest reason of a transfer (the ticket page's form, the API, this service): one validator, one message.
TRANSFER_REASON_MAX_LENGTH = 500
transfer_reason_validator = MaxLengthValidator(TRANSFER_REASON_MAX_LENGTH)


def _same_organization(organization_id, *objects):
    for obj in objects:
        if obj is not None and obj.organization_id != organization_id:
            raise TicketError(MSG_OTHER_ORGANIZATION)


def _queue_for(ticket_type, region):
    """The queue of a ticket no rule routed: a queue serving its type in its region (the deepest region wins),
    else the type's default queue, else a queue serving the type everywhere; None leaves it unrouted."""
    if ticket_type is None:
        return None
    if region is not None:
        regional = (
            Queue.objects.filter(ticket_types=ticket_type, regions__path__in=region_ancestor_paths(region.path))
            .select_related("team").order_by("-regions__path", "pk").first()
        )
        if regional is not None:
            return regional
    if ticket_type.default_queue_id:
        return ticket_type.default_queue
    return (Queue.objects.filter(ticket_types=ticket_type, regions__isnull=True).select_related("team")
            .order_by("pk").first())


def _tags_add(ticket, tags):
    TicketTag.objects.bulk_create(
        [TicketTag(organization_id=ticket.organization_id, ticket=ticket, tag=tag) for tag in tags],
        ignore_conflicts=True,
    )


@transaction.atomic
def ticket_open(*, organization, customer, subject, description, channel, source_ref="", type=None,
                priority=None, actor=None, order_number="", tags=(), queue=None, parent=None, auto_assign=True):
    """Open a ticket: the routing rules decide queue, priority, type and tags (explicit arguments win over a
    rule, a rule over the type's defaults), then the queue's strategy assigns it, or it waits in the pool.
    `auto_assign=False`: the caller assigns it itself (an agent logging a ticket for themselves, `ticket_log`), so
    the strategy never hands it to someone else first.
    `parent`: the ticket this one follows up (a QA review of a low rating). `customer=None`: an internal ticket
    (one team asks another to fix something no customer raised), which needs its `queue` and should carry its
    subject's reference in `source_ref`; no satisfaction survey follows its resolution."""
    _same_organization(organization.pk, customer, type, actor, queue, parent, *tags)
    if customer is None and queue is None:
        raise TicketError(MSG_INTERNAL_NEEDS_QUEUE)
    with tenant_scope(organization):
        region = customer.region if customer is not None else None
        decision = routing_evaluate(routing_rules_active(), RoutingSample(
            subject=subject, description=description, channel=channel, type_id=type.pk if type else None,
            customer_level=customer.level if customer is not None else "", region_path=region.path if region else "",
        ))
        if type is None and decision is not None:
            type = decision.type
        if priority is None:
            priority = (decision.priority if decision else None) or (
                type.default_priority if type else Ticket.Priority.P3)
        queue = queue or (decision.queue if decision else None) or _queue_for(type, region)
        now = timezone.now()
        ticket = Ticket.objects.create(
            organization=organization, number=number_next(organization.pk, now), subject=subject[:200],
            description=description, customer=customer, channel=channel, source_ref=source_ref, type=type,
            priority=priority, queue=queue, team=queue.team if queue else None, region=region,
            order_number=order_number, parent=parent, created_at=now,
        )
        all_tags = {tag.pk: tag for tag in [*tags, *(decision.tags if decision else ())]}
        _tags_add(ticket, all_tags.values())
        after = {"number": ticket.number, "status": ticket.status, "priority": ticket.priority,
                 "type": ref(type), "queue": ref(queue), "channel": channel, "source_ref": source_ref,
                 "tags": [tag.name for tag in all_tags.values()]}
        if parent is not None:
            after["parent"] = ref(parent)
        if decision is not None:
            after["rule"] = ref(decision.rule)
            after["keyword"] = decision.keyword
        event_write(ticket, Kind.CREATED, actor=actor, after=after)
        if auto_assign:
            assign_by_strategy(ticket)
        sla_recompute(ticket, actor=actor, reason="opened")
        ticket_alert_waiting(ticket, actor=actor)
        return ticket


def _subject_from(body):
    line = next((line.strip() for line in body.splitlines() if line.strip()), "") or "…"
    if len(line) > SUBJECT_FROM_MESSAGE_LENGTH:
        line = line[: SUBJECT_FROM_MESSAGE_LENGTH - 1] + "…"
    return line


def _conversation_ticket(*, customer, channel, source_ref):
    """The live ticket of this conversation, locked: the oldest active one with this channel and reference (a
    split-off child is younger, so the conversation stays with the original), or the ticket a closed duplicate
    of the conversation was merged into, if that one is still active."""
    same = Ticket.objects.filter(customer=customer, channel=channel, source_ref=source_ref)
    ticket = (ticket_qs_select_for_update().filter(pk__in=same.filter(status__in=ACTIVE_STATUSES).values("pk"))
              .order_by("created_at", "pk").first())
    if ticket is not None:
        return ticket
    merged = same.filter(merged_into__isnull=False).order_by("-created_at").first()
    seen = set()
    while merged is not None and merged.merged_into_id and merged.pk not in seen:
        seen.add(merged.pk)
        merged = ticket_qs_select_for_update().get(pk=merged.merged_into_id)
    if merged is not None and merged.is_active:
        return merged
    return None


@transaction.atomic
def conversations_rename(*, organization, channel, old_prefix, new_prefix):
    """A channel renamed the reference its conversations start with (a WeChat account's slug changed): its
    tickets follow, so the next message lands on the same ticket and replies find their way back. Returns how many
    tickets were renamed. No event: the conversation is the same one."""
    if not old_prefix or old_prefix == new_prefix:
        return 0
    with tenant_scope(organization):
        return Ticket.objects.filter(channel=channel, source_ref__startswith=old_prefix).update(
            source_ref=Left(Concat(Value(new_prefix), Substr("source_ref", len(old_prefix) + 1)),
                            Ticket._meta.get_field("source_ref").max_length))


def _existing_message(channel, message_id):
    return Comment.objects.select_related("ticket").filter(channel=channel, message_id=message_id).first()


@transaction.atomic(savepoint=False)
def ticket_add_message(*, organization, customer, channel, source_ref, body, message_id=None):
    """Record a customer's inbound message and return its Comment: on the open conversation ticket (same
    channel and reference; a pending one reopens), else on a new ticket.

    A message the channel delivers twice (same message id) is recorded once: the unique constraint decides,
    and the second delivery returns the first one's comment with nothing written.
    """
    _same_organization(organization.pk, customer)
    message_id = message_id or ""
    with tenant_scope(organization):
        # Locked first: a concurrent delivery of the same message waits here, and then finds the first one's comment.
        ticket = _conversation_ticket(customer=customer, channel=channel, source_ref=source_ref)
        if message_id:
            existing = _existing_message(channel, message_id)
            if existing is not None:
                return existing
        if ticket is not None:
            return _add_message(ticket, customer=customer, channel=channel, body=body, message_id=message_id)
        try:
            # No ticket to queue on: concurrent deliveries each open one, the unique message id keeps the first;
            # the others' openings are undone (and their numbers given back) with this savepoint.
            with transaction.atomic():
                ticket = ticket_open(organization=organization, customer=customer, subject=_subject_from(body),
                                     description=body, channel=channel, source_ref=source_ref)
                return _add_message(ticket, customer=customer, channel=channel, body=body, message_id=message_id)
        except IntegrityError:
            existing = _existing_message(channel, message_id) if message_id else None
            if existing is None:
                raise
            return existing


@dataclass(frozen=True)
class InboundMessage:
    """One customer message for `ticket_add_messages` (the arguments of `ticket_add_message` but the
    organization)."""

    customer: object
    channel: str
    source_ref: str
    body: str
    message_id: str = ""


@transaction.atomic(savepoint=False)
def ticket_add_messages(*, organization, messages):
    """Several inbound messages at once (a worker's batch), with the outcome of `ticket_add_message` for each
    message that lands on its conversation's open ticket, in a few statements for the whole batch. The caller holds
    the conversations' locks. Returns a list aligned with `messages`: the Comment, or None for a message left to
    `ticket_add_message` (call it after this transaction, in order): every message of a conversation that has no
    active ticket (one is opened), a pending ticket (it reopens), or a message id recorded before or given twice.
    A conversation's messages are all recorded here or all left, so they keep their order.
    """
    for message in messages:
        _same_organization(organization.pk, message.customer)
    with tenant_scope(organization):
        conversations = {}
        for index, message in enumerate(messages):
            key = (message.customer.pk, message.channel, message.source_ref)
            conversations.setdefault(key, []).append(index)
        _leave_repeated_messages(messages, conversations)
        tickets = _conversation_tickets(organization, conversations)
        comments = [None] * len(messages)
        # Round r records the r-th message of every conversation, then the SLA hook sees each ticket as it would
        # after that message alone: the same rows, times and timeline order as one message at a time.
        rounds = max((len(indexes) for indexes in conversations.values()), default=0)
        contacts = {}
        for position in range(rounds):
            batch = [(index, tickets[key]) for key, indexes in conversations.items()
                     if key in tickets and position < len(indexes) for index in (indexes[position],)]
            if not batch:
                break
            created = []
            for index, ticket in batch:
                message = messages[index]
                created.append(Comment(
                    organization_id=ticket.organization_id, ticket=ticket, is_public=True, customer=message.customer,
                    body=message.body, channel=message.channel, message_id=message.message_id or ""))
            Comment.objects.bulk_create(created)
            TicketEvent.objects.bulk_create([
                event_build(ticket, Kind.COMMENT, comment=comment, after={"comment": comment.pk, "from": "customer"})
                for (_index, ticket), comment in zip(batch, created, strict=True)])
            for (index, ticket), comment in zip(batch, created, strict=True):
                comments[index] = comment
                contacts.setdefault(comment.customer_id, []).append(comment.created_at)
                sla_on_customer_message(ticket, at=comment.created_at)
        if contacts:
            customers_touch(organization=organization, contacts=contacts)
            Ticket.objects.filter(pk__in=sorted({t.pk for t in tickets.values()})).update(updated_at=timezone.now())
        return comments


def _leave_repeated_messages(messages, conversations):
    """Drop the conversations with a message id given twice in the batch or recorded before (the one-by-one path
    returns the first comment for those)."""
    seen, repeated = {}, set()
    for key, indexes in conversations.items():
        for index in indexes:
            message_id = messages[index].message_id
            if message_id:
                pair = (messages[index].channel, message_id)
                if pair in seen:
                    repeated.update({key, seen[pair]})
                seen[pair] = key
    if seen:
        channels = {channel for channel, _message_id in seen}
        recorded = Comment.objects.filter(channel__in=channels, message_id__in=[m for _c, m in seen]).values_list(
            "channel", "message_id")
        repeated.update(seen[pair] for pair in recorded if pair in seen)
    for key in repeated:
        conversations.pop(key, None)


def _conversation_tickets(organization, conversations):
    """{conversation: its live ticket, locked} for the conversations whose oldest active ticket is not pending;
    the others are dropped from `conversations`. The tickets are locked in id order (two batches cannot deadlock on
    them)."""
    if not conversations:
        return {}
    table = connection.ops.quote_name(Ticket._meta.db_table)
    found = tenant_sql(
        f"SELECT DISTINCT ON (customer_id, channel, source_ref) id, customer_id, channel, source_ref "  # noqa: S608 - ours
        f"FROM {table} WHERE organization_id = %(organization)s AND status = ANY(%(active)s) "
        "AND (customer_id, channel, source_ref) IN (VALUES %(values)s) "
        "ORDER BY customer_id, channel, source_ref, created_at, id",
        {"active": list(ACTIVE_STATUSES)}, organization=organization, values=list(conversations),
        template="(%s::bigint, %s::varchar, %s::varchar)")
    by_id = {ticket_id: (customer_id, channel, source_ref) for ticket_id, customer_id, channel, source_ref in found}
    locked = (ticket_qs_select_for_update().filter(pk__in=sorted(by_id), status__in=ACTIVE_STATUSES)
              .exclude(status=Status.PENDING).order_by("pk"))
    tickets = {by_id[ticket.pk]: ticket for ticket in locked}
    for key in [key for key in conversations if key not in tickets]:
        conversations.pop(key)
    return tickets


def _add_message(ticket, *, customer, channel, body, message_id):
    comment = Comment.objects.create(
        organization_id=ticket.organization_id, ticket=ticket, is_public=True, customer=customer, body=body,
        channel=channel, message_id=message_id,
    )
    event_write(ticket, Kind.COMMENT, comment=comment, after={"comment": comment.pk, "from": "customer"})
    customer_touch(customer=customer, at=comment.created_at)
    if ticket.status == Status.PENDING:
        status_apply(ticket, Status.OPEN, actor=None, reason="customer_replied")
        sla_on_status(ticket, before=Status.PENDING)
    else:
        ticket.save(update_fields=["updated_at"])
    sla_on_customer_message(ticket, at=comment.created_at)
    return comment


@transaction.atomic
def ticket_change_status(*, ticket, status, actor):
    """Move the ticket along TRANSITIONS; any other move raises TicketError and changes nothing."""
    with tenant_scope(ticket.organization_id):
        ticket = ticket_lock(ticket)
        status_check(ticket, status)
        before = ticket.status
        status_apply(ticket, status, actor=actor)
        sla_on_status(ticket, before=before, actor=actor)
        if status == Status.RESOLVED:
            rating_request = survey_create(ticket=ticket, actor=actor)
            if rating_request is not None:
                transaction.on_commit(partial(_send_reply, rating_request.pk, organization_id=ticket.organization_id,
                                              channel=ticket.channel))
        return ticket


def _send_reply(comment_id, *, organization_id, channel=None):
    """Where a public reply leaves for the customer's channel, after commit: the senders registered for the
    channel (tickets/outbound.py) put it in their outbox. A caller that does not name the ticket's channel has it
    read from the comment, in the organization's scope (after commit no scope is open)."""
    if channel is None:
        with tenant_scope(organization_id):
            channel = Comment.objects.filter(pk=comment_id).values_list("ticket__channel", flat=True).first()
        if channel is None:
            return
    senders = reply_senders_for(channel)
    if not senders:
        logger.debug("ticket reply has no sender for its channel", extra={"comment_id": comment_id})
    for send in senders:
        send(comment_id, organization_id=organization_id, channel=channel)


def reply_window_refusal(ticket, *, window=None):
    """Why a public reply on the ticket cannot go now (its channel would send it, but an internal ticket has no
    customer; or its channel's reply window has closed), or "" when it can. A caller that has read the window
    already passes it."""
    if ticket.customer_id is None and reply_senders_for(ticket.channel):
        return MSG_NO_CUSTOMER % {"number": ticket.number}
    window = window or reply_window(ticket=ticket)
    if window is None or not window.closed:
        return ""
    if templates_for(ticket):
        message = MSG_REPLY_WINDOW_CLOSED_TEMPLATE
    elif sms_settings(ticket.organization_id).provider:
        message = MSG_REPLY_WINDOW_CLOSED_SMS
    else:
        message = MSG_REPLY_WINDOW_CLOSED
    last = timezone.localtime(window.last_inbound_at).strftime("%Y-%m-%d %H:%M")
    return message % {"hours": window.hours, "last": last}


def reply_window_check(ticket):
    refusal = reply_window_refusal(ticket)
    if refusal:
        raise TicketError(refusal)


@transaction.atomic
def ticket_reply(*, ticket, author, body, public=True, attachments=()):
    """An agent's public reply to the customer or internal note, with optional attachments (uploaded files,
    checked before anything is written; with a file the text may be empty). Refused on a closed ticket. The first
    public reply stamps first_response_at and opens a new ticket. Colleagues @mentioned are notified. A public reply
    outside the channel's reply window (WeChat's 48 hours after the customer's last message) is refused: it could
    never be delivered; an internal note still goes."""
    _same_organization(ticket.organization_id, author)
    checked = attachments_check(attachments)
    if not body.strip() and not checked:
        raise TicketError(MSG_EMPTY_BODY)
    with tenant_scope(ticket.organization_id):
        ticket = ticket_lock(ticket)
        if ticket.status == Status.CLOSED:
            raise TicketError(MSG_REPLY_CLOSED % {"number": ticket.number})
        if public:
            reply_window_check(ticket)
        comment = Comment.objects.create(
            organization_id=ticket.organization_id, ticket=ticket, is_public=public, author=author, body=body,
            channel=ticket.channel if public else "",
        )
        after = {"comment": comment.pk, "public": public}
        if checked:
            stored = attachments_store(comment=comment, checked=checked, uploaded_by=author)
            after["attachments"] = [{"id": a.pk, "name": a.original_name} for a in stored]
        mentioned = mentions_resolve(organization_id=ticket.organization_id, body=body)
        if mentioned:
            after["mentions"] = [ref(user) for user in mentioned]
        event_write(ticket, Kind.COMMENT, actor=author, comment=comment, after=after)
        for user in mentioned:
            notify(recipient=user, kind=Notification.Kind.MENTIONED, ticket=ticket, actor=author,
                   title=coded("tickets.mention_title", number=ticket.number,
                               actor=author if author is not None else coded("tickets.someone")),
                   body=body[:500])
        if public:
            if ticket.first_response_at is None:
                ticket.first_response_at = comment.created_at
                ticket.save(update_fields=["first_response_at", "updated_at"])
            if ticket.status == Status.NEW:
                status_apply(ticket, Status.OPEN, actor=author, reason="replied")
            sla_on_public_reply(ticket, at=comment.created_at)
            transaction.on_commit(partial(_send_reply, comment.pk, organization_id=ticket.organization_id,
                                                 channel=ticket.channel))
        else:
            ticket.save(update_fields=["updated_at"])
        return comment


@transaction.atomic
def ticket_set_priority(*, ticket, priority, actor, kind=Kind.PRIORITY):
    with tenant_scope(ticket.organization_id):
        ticket = ticket_lock(ticket)
        if ticket.status == Status.CLOSED:
            raise TicketError(MSG_CLOSED % {"number": ticket.number})
        if ticket.priority == priority:
            raise TicketError(MSG_SAME_PRIORITY % {"priority": Ticket.Priority(priority).label})
        before = ticket.priority
        ticket.priority = priority
        ticket.save(update_fields=["priority", "updated_at"])
        event_write(ticket, kind, actor=actor, before={"priority": before}, after={"priority": int(priority)})
        sla_recompute(ticket, actor=actor, reason="priority")
        return ticket


@transaction.atomic
def ticket_transfer(*, ticket, queue, reason, actor):
    """Move the ticket to another queue (and its team) with a reason; it leaves its assignee and the new
    queue's strategy assigns it. A queue of another organization is refused."""
    if queue.organization_id != ticket.organization_id:
        raise TicketError(MSG_TRANSFER_OTHER_ORG)
    if not (reason or "").strip():
        raise TicketError(MSG_TRANSFER_REASON)
    try:
        transfer_reason_validator(reason.strip())
    except ValidationError as exc:
        raise TicketError(" ".join(exc.messages)) from None
    with tenant_scope(ticket.organization_id):
        ticket = ticket_lock(ticket)
        if ticket.status == Status.CLOSED:
            raise TicketError(MSG_CLOSED % {"number": ticket.number})
        if ticket.queue_id == queue.pk:
            raise TicketError(MSG_TRANSFER_SAME_QUEUE % {"queue": queue.name})
        before = {"queue": ref(ticket.queue), "team": ref(ticket.team), "assignee": ref(ticket.assignee)}
        if ticket.assignee_id is not None:
            assignee_apply(ticket, None, actor=actor, via="transfer", event=False)
        ticket.queue, ticket.team = queue, queue.team
        ticket.save(update_fields=["queue", "team", "updated_at"])
        event_write(ticket, Kind.TRANSFERRED, actor=actor, before=before,
                    after={"queue": ref(queue), "team": ref(queue.team), "reason": reason.strip()})
        assign_by_strategy(ticket)
        sla_recompute(ticket, actor=actor, reason="queue")
        supervisor = queue.team.leader if queue.team_id else None
        if supervisor is not None:
            notify(recipient=supervisor, kind=Notification.Kind.TRANSFERRED, ticket=ticket, actor=actor,
                   body=reason.strip())
        return ticket


@transaction.atomic
def ticket_merge(*, primary, duplicate, actor):
    """Merge a duplicate ticket of the same customer into the primary: its comments, tags and watchers move to
    the primary, which takes the more urgent priority; the duplicate is closed and points at the primary."""
    if primary.pk == duplicate.pk:
        raise TicketError(MSG_MERGE_SELF)
    if primary.organization_id != duplicate.organization_id:
        raise TicketError(MSG_OTHER_ORGANIZATION)
    with tenant_scope(primary.organization_id):
        primary, duplicate = tickets_lock(primary, duplicate)
        for ticket in (primary, duplicate):
            if ticket.status == Status.CLOSED:
                raise TicketError(MSG_MERGE_CLOSED % {"number": ticket.number})
        if primary.customer_id != duplicate.customer_id:
            raise TicketError(MSG_MERGE_OTHER_CUSTOMER)
        moved = Comment.objects.filter(ticket=duplicate).update(ticket=primary)
        _tags_add(primary, duplicate.tags.all())
        TicketWatcher.objects.bulk_create(
            [TicketWatcher(organization_id=primary.organization_id, ticket=primary, user_id=user_id)
             for user_id in duplicate.ticket_watchers.values_list("user_id", flat=True)],
            ignore_conflicts=True,
        )
        if duplicate.priority < primary.priority:
            before = primary.priority
            primary.priority = duplicate.priority
            primary.save(update_fields=["priority", "updated_at"])
            event_write(primary, Kind.PRIORITY, actor=actor, before={"priority": before},
                        after={"priority": primary.priority, "reason": "merged"})
        event_write(primary, Kind.MERGED, actor=actor, after={"duplicate": ref(duplicate), "comments": moved})
        duplicate.merged_into = primary
        duplicate.save(update_fields=["merged_into", "updated_at"])
        event_write(duplicate, Kind.MERGED, actor=actor, after={"merged_into": ref(primary)})
        before = duplicate.status
        status_apply(duplicate, Status.CLOSED, actor=actor, reason="merged")
        sla_on_status(duplicate, before=before, actor=actor)
        return primary


@transaction.atomic
def ticket_split(*, ticket, subject, comment_ids, actor):
    """Split some comments off a ticket into a new child ticket of the same customer and conversation; the
    child takes the parent's type, priority, queue and tags, and the queue's strategy assigns it."""
    if not (subject or "").strip():
        raise TicketError(MSG_SPLIT_SUBJECT)
    comment_ids = set(comment_ids)
    with tenant_scope(ticket.organization_id):
        parent = ticket_lock(ticket)
        if parent.status == Status.CLOSED:
            raise TicketError(MSG_CLOSED % {"number": parent.number})
        if Comment.objects.filter(pk__in=comment_ids, ticket=parent).count() != len(comment_ids):
            raise TicketError(MSG_SPLIT_FOREIGN_COMMENT % {"number": parent.number})
        now = timezone.now()
        child = Ticket.objects.create(
            organization_id=parent.organization_id, number=number_next(parent.organization_id, now),
            subject=subject.strip()[:200], customer_id=parent.customer_id, channel=parent.channel,
            source_ref=parent.source_ref, type=parent.type, priority=parent.priority, queue=parent.queue,
            team_id=parent.team_id, region_id=parent.region_id, order_number=parent.order_number, parent=parent,
            created_at=now,
        )
        Comment.objects.filter(pk__in=comment_ids).update(ticket=child)
        _tags_add(child, parent.tags.all())
        event_write(child, Kind.CREATED, actor=actor, after={
            "number": child.number, "status": child.status, "priority": child.priority, "queue": ref(child.queue),
            "split_from": ref(parent),
        })
        event_write(child, Kind.SPLIT, actor=actor, after={"from": ref(parent), "comments": sorted(comment_ids)})
        event_write(parent, Kind.SPLIT, actor=actor, after={"child": ref(child), "comments": sorted(comment_ids)})
        parent.save(update_fields=["updated_at"])
        assign_by_strategy(child)
        sla_recompute(child, actor=actor, reason="opened")
        return child
