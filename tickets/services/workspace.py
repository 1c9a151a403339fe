"""Services the agent workspace needs beside the ticket lifecycle: tagging a ticket and filling in a canned
response."""

import re

from django.db import transaction

from forms_builder.models import Form
from forms_builder.services import customer_form_link
from scrm.platform.tenancy import tenant_scope
from tickets.errors import MSG_CLOSED, MSG_OTHER_ORGANIZATION, MSG_TAGS_ALREADY, TicketError
from tickets.models import Ticket, TicketEvent, TicketTag
from tickets.services._core import customer_required, event_write, ticket_lock

# The variables a canned response may use. Only these names are replaced, by plain text substitution: a body is
# never run through str.format (whose "{customer.__class__}" would reach into objects) or a template engine.
CANNED_VARIABLES = ("customer_name", "ticket_number", "ticket_subject", "agent_name")
_VARIABLE = re.compile(r"\{(" + "|".join(CANNED_VARIABLES) + r")\}")
# {form:<slug>}: the link of a published form of the organization, signed for the ticket's customer, so what they
# submit is linked to them (forms_builder.services.customer_form_link). An unknown slug is left as written.
_FORM_LINK = re.compile(r"\{form:([-a-zA-Z0-9_]{1,50})\}")


def _form_link(match, ticket):
    form = Form.objects.filter(slug=match.group(1), current_version__isnull=False).first()
    if form is None or not form.is_open or form.purpose == Form.Purpose.TICKET_FIELDS:
        return match.group(0)
    customer_required(ticket)  # the link is signed for the customer: an internal ticket has none
    return customer_form_link(form=form, customer=ticket.customer)


def canned_response_render(*, canned, ticket, agent):
    """The canned response's body with its variables filled in for this ticket and agent, as plain text (the
    page escapes it like any other text). Unknown names in braces are left as written."""
    if canned.organization_id != ticket.organization_id:
        raise TicketError(MSG_OTHER_ORGANIZATION)
    values = {
        "customer_name": ticket.customer.display_name if ticket.customer_id else "",
        "ticket_number": ticket.number,
        "ticket_subject": ticket.subject,
        "agent_name": (getattr(agent, "display_name", "") or agent.get_username()),
    }
    body = _VARIABLE.sub(lambda match: values[match.group(1)], canned.body)
    with tenant_scope(ticket.organization_id):
        return _FORM_LINK.sub(lambda match: _form_link(match, ticket), body)


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
