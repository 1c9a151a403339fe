"""Services the agent workspace needs beside the ticket lifecycle: tagging a ticket and filling in a canned
response."""

import re

from django.db import transaction

from scrm.platform.tenancy import tenant_scope
from tickets.errors import MSG_CLOSED, MSG_OTHER_ORGANIZATION, MSG_TAGS_ALREADY, TicketError
from tickets.models import Ticket, TicketEvent, TicketTag
from tickets.services._core import event_write, ticket_lock

# The variables a canned response may use. Only these names are replaced, by plain text substitution: a body is
# never run through str.format (whose "{customer.__class__}" would reach into objects) or a template engine.
CANNED_VARIABLES = ("customer_name", "ticket_number", "ticket_subject", "agent_name")
_VARIABLE = re.compile(r"\{(" + "|".join(CANNED_VARIABLES) + r")\}")


def canned_response_render(*, canned, ticket, agent):
    """The canned response's body with its variables filled in for this ticket and agent, as plain text (the
    page escapes it like any other text). Unknown names in braces are left as written."""
    if canned.organization_id != ticket.organization_id:
        raise TicketError(MSG_OTHER_ORGANIZATION)
    values = {
        "customer_name": ticket.customer.display_name,
        "ticket_number": ticket.number,
        "ticket_subject": ticket.subject,
        "agent_name": (getattr(agent, "display_name", "") or agent.get_username()),
    }
    return _VARIABLE.sub(lambda match: values[match.group(1)], canned.body)


@transaction.atomic
def ticket_tags_add(*, ticket, tags, actor):
    """Add tags to a ticket (those it already has are skipped) with one "tagged" event; refused on a closed
    ticket, or when the ticket already has every tag."""
    tags = list(tags)
    for tag in tags:
        if tag.organization_id != ticket.organization_id:
            raise TicketError(MSG_OTHER_ORGANIZATION)
    with tenant_scope(ticket.organization_id):
        ticket = ticket_lock(ticket)
        if ticket.status == Ticket.Status.CLOSED:
            raise TicketError(MSG_CLOSED % {"number": ticket.number})
        have = set(TicketTag.objects.filter(ticket=ticket).values_list("tag_id", flat=True))
        new = [tag for tag in tags if tag.pk not in have]
        if not new:
            raise TicketError(MSG_TAGS_ALREADY % {"number": ticket.number})
        TicketTag.objects.bulk_create(
            [TicketTag(organization_id=ticket.organization_id, ticket=ticket, tag=tag) for tag in new],
            ignore_conflicts=True,
        )
        ticket.save(update_fields=["updated_at"])
        event_write(ticket, TicketEvent.Kind.TAGGED, actor=actor, after={"tags": [tag.name for tag in new]})
        return ticket
