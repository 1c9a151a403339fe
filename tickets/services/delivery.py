"""What a channel tells the ticket about its outbound messages (a reply that could not be delivered), and an agent
sending a failed reply again."""

from django.db import transaction

from scrm.platform.tenancy import tenant_scope
from tickets.errors import MSG_RETRY_NOT_FAILED, TicketError
from tickets.models import Comment, TicketEvent
from tickets.outbound import delivery_retry
from tickets.services._core import event_write, ticket_lock


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
