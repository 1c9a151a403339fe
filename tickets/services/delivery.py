"""What a channel tells the ticket about its outbound messages (a reply that could not be delivered), an agent
sending a failed reply again, and an SMS to the customer when the chat channel no longer accepts a reply."""

from functools import partial

from django.db import transaction
from django.utils import timezone

from notifications.models import Notification, NotificationDelivery
from notifications.senders import SMS_TEXT_LIMIT, sms_settings
from notifications.services import notification_deliveries_publish, notification_delivery_replay
from scrm.customers.phones import national_mobile
from scrm.platform.tenancy import tenant_scope
from tickets.errors import (
    MSG_EMPTY_BODY,
    MSG_REPLY_CLOSED,
    MSG_RETRY_NOT_FAILED,
    MSG_SMS_NO_MOBILE,
    MSG_SMS_TOO_LONG,
    MSG_SMS_UNAVAILABLE,
    MSG_TEMPLATE_NEEDS_TEXT,
    MSG_TEMPLATE_UNKNOWN,
    TicketError,
)
from tickets.models import Comment, Ticket, TicketEvent
from tickets.outbound import Delivery, delivery_retry, template_prepare, templates_for
from tickets.services._core import customer_required, event_write, ticket_lock

# An SMS comment's channel message id: "sms:<NotificationDelivery id>", how its delivery state is found again.
SMS_PREFIX = "sms:"


@transaction.atomic
def ticket_note_delivery_failed(*, ticket, comment, errcode, message):
    """An internal note from the system on the ticket, saying which reply did not reach the customer and why, so
    the agent sees it beside the reply (and can call the customer instead). Written on any status, closed too."""
    with tenant_scope(ticket.organization_id):
        ticket = ticket_lock(ticket)
        note = Comment.objects.create(organization_id=ticket.organization_id, ticket=ticket, is_public=False,
                                      body=message)
        event_write(ticket, TicketEvent.Kind.COMMENT, comment=note, after={
            "comment": note.pk, "public": False, "delivery_failed": comment.pk, "errcode": errcode})
        return note


@transaction.atomic
def ticket_reply_retry(*, ticket, comment_id, actor):
    """An agent sends a public reply whose delivery failed for good through its channel again (a fresh attempt
    budget in the channel's outbox), audited on the ticket. Refused for a reply of another ticket or one whose
    delivery has not failed. The ticket's change stamp moves so every open page shows the new state."""
    with tenant_scope(ticket.organization_id):
        ticket = ticket_lock(ticket)
        comment = Comment.objects.filter(ticket=ticket, pk=comment_id, is_public=True,
                                         customer__isnull=True).first()
        if comment is None or not delivery_retry(comment.pk, organization_id=ticket.organization_id):
            raise TicketError(MSG_RETRY_NOT_FAILED)
        event_write(ticket, TicketEvent.Kind.COMMENT, actor=actor, comment=comment,
                    after={"comment": comment.pk, "public": True, "delivery_retry": True})
        ticket.save(update_fields=["updated_at"])
        return comment


def sms_available(ticket):
    """An SMS can go to the ticket's customer: an SMS account is configured and the customer has a mobile."""
    return bool(ticket.customer_id and sms_settings(ticket.organization_id).provider and ticket.customer.mobile)


@transaction.atomic
def ticket_reply_sms(*, ticket, author, body):
    """Send the customer an SMS from the ticket (when WeChat's window has closed): a public comment on the
    ticket, sent through the notification outbox's SMS sender to the customer's mobile, its delivery state shown
    beside it like any reply's. Refused, with nothing written, without an SMS account, a mobile, a text, or with a
    text longer than one SMS carries."""
    body = (body or "").strip()
    if not body:
        raise TicketError(MSG_EMPTY_BODY)
    if len(body) > SMS_TEXT_LIMIT:
        raise TicketError(MSG_SMS_TOO_LONG % {"limit": SMS_TEXT_LIMIT, "count": len(body)})
    with tenant_scope(ticket.organization_id):
        ticket = ticket_lock(ticket)
        if ticket.status == Ticket.Status.CLOSED:
            raise TicketError(MSG_REPLY_CLOSED % {"number": ticket.number})
        customer_required(ticket)
        if not sms_settings(ticket.organization_id).provider:
            raise TicketError(MSG_SMS_UNAVAILABLE)
        mobile = national_mobile(ticket.customer.mobile) if ticket.customer.mobile else ""
        if not mobile:
            raise TicketError(MSG_SMS_NO_MOBILE)
        # The outbox row hangs on a notification: the author's own, read already (it is their sent message).
        notification = Notification.objects.create(
            organization_id=ticket.organization_id, recipient=author, kind=Notification.Kind.CUSTOMER_SMS,
            ticket=ticket, actor=author, title=body, read_at=timezone.now())
        delivery = NotificationDelivery.objects.create(organization_id=ticket.organization_id,
                                                       notification=notification, channel="sms", address=mobile)
        comment = Comment.objects.create(organization_id=ticket.organization_id, ticket=ticket, is_public=True,
                                         author=author, body=body, message_id=f"{SMS_PREFIX}{delivery.pk}")
        event_write(ticket, TicketEvent.Kind.COMMENT, actor=author, comment=comment,
                    after={"comment": comment.pk, "public": True, "sms": True})
        ticket.save(update_fields=["updated_at"])
        transaction.on_commit(partial(notification_deliveries_publish, [delivery.pk]))
        return comment


@transaction.atomic
def ticket_reply_template(*, ticket, author, template, text=""):
    """Send the customer a WeChat template message from the ticket (the way to write first once the 48-hour window
    has closed): a public comment holding the message as the customer reads it, sent through the channel's reply
    outbox like any reply, its delivery state shown beside it. Refused, with nothing written, on a closed ticket,
    for a template the ticket's account does not have, or without the agent's words when the template carries
    them."""
    text = (text or "").strip()
    with tenant_scope(ticket.organization_id):
        ticket = ticket_lock(ticket)
        if ticket.status == Ticket.Status.CLOSED:
            raise TicketError(MSG_REPLY_CLOSED % {"number": ticket.number})
        customer_required(ticket)
        known = {t.key: t for t in templates_for(ticket)}
        if template not in known:
            raise TicketError(MSG_TEMPLATE_UNKNOWN)
        if known[template].uses_text and not text:
            raise TicketError(MSG_TEMPLATE_NEEDS_TEXT)
        body, payload, enqueue = template_prepare(ticket, template, text=text, author=author)
        comment = Comment.objects.create(organization_id=ticket.organization_id, ticket=ticket, is_public=True,
                                         author=author, body=body, channel=ticket.channel)
        event_write(ticket, TicketEvent.Kind.COMMENT, actor=author, comment=comment,
                    after={"comment": comment.pk, "public": True, "template": known[template].name})
        ticket.save(update_fields=["updated_at"])
        transaction.on_commit(partial(enqueue, comment.pk, payload, organization_id=ticket.organization_id))
        return comment


_SMS_STATES = {
    NotificationDelivery.Status.PENDING: Delivery.QUEUED, NotificationDelivery.Status.SENDING: Delivery.SENDING,
    NotificationDelivery.Status.SENT: Delivery.SENT, NotificationDelivery.Status.FAILED: Delivery.RETRYING,
    NotificationDelivery.Status.DEAD: Delivery.FAILED,
}


def _sms_deliveries(comment_ids, *, organization_id):
    with tenant_scope(organization_id):
        by_delivery = {int(message_id.removeprefix(SMS_PREFIX)): pk for pk, message_id in
                       Comment.objects.filter(pk__in=comment_ids, message_id__startswith=SMS_PREFIX)
                       .values_list("pk", "message_id")}
        if not by_delivery:
            return {}
        return {by_delivery[pk]: Delivery(state=_SMS_STATES[status]) for pk, status in
                NotificationDelivery.objects.filter(pk__in=by_delivery).values_list("pk", "status")}


def _sms_retry(comment_id, *, organization_id):
    with tenant_scope(organization_id):
        message_id = Comment.objects.filter(pk=comment_id, message_id__startswith=SMS_PREFIX).values_list(
            "message_id", flat=True).first()
        if message_id is None:
            return False
        delivery = NotificationDelivery.objects.filter(pk=int(message_id.removeprefix(SMS_PREFIX))).first()
        return delivery is not None and notification_delivery_replay(delivery=delivery) is not None


def sms_delivery_source():
    """(read, retry) for tickets.outbound.register_delivery_source: the state of the SMS sent from tickets."""
    return _sms_deliveries, _sms_retry
