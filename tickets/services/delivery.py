"""What a channel tells the ticket about its outbound messages: a reply that could not be delivered."""

from django.db import transaction

from scrm.platform.tenancy import tenant_scope
from tickets.models import Comment, TicketEvent
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
