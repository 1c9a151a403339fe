"""Tickets an agent logs by hand: a phone call, a walk-in, an email, anything that did not arrive through a
connected channel. Routed like every other ticket (`ticket_open`)."""

from django.db import transaction
from django.utils.translation import gettext as _

from scrm.customers.phones import mask_mobile, normalize_mobile
from scrm.customers.services import customer_create
from scrm.models import Customer
from scrm.platform.tenancy import tenant_scope
from tickets.errors import MSG_ASSIGN_TO_ME_NOT_IN_QUEUE, MSG_MOBILE_TAKEN, TicketError
from tickets.selectors import queue_has_agent
from tickets.services.assignment import ticket_assign
from tickets.services.lifecycle import ticket_open, ticket_reply


@transaction.atomic
def ticket_log(*, organization, actor, channel, subject, description, customer=None, new_customer=None,
               type=None, queue=None, priority=None, attachments=(), source_ref="", tags=(), order_number="",
               assign_to_me=False):
    """Open a ticket for `customer`, or for a customer created here from `new_customer` ({"display_name",
    "mobile"}). A new customer whose mobile already belongs to someone is refused (the agent picks that customer
    instead, so one person stays one customer). A ticket the rules route to no queue stays with whoever logged it,
    so it cannot fall between queues. `assign_to_me`: the ticket goes to whoever logged it, never through the
    queue's strategy to someone else; refused when they are not an agent of the queue it lands in (chosen or
    routed). Files go on an internal note of the new ticket. One transaction: a refused file or mobile leaves
    neither ticket nor customer behind. The 新建工单 page and POST /api/v1/tickets/ both log through here, so a
    ticket lands in the same queue, with the same assignee and events, whichever way it came."""
    with tenant_scope(organization):
        if customer is None:
            mobile = normalize_mobile(new_customer.get("mobile") or "")
            holder = Customer.objects.filter(mobile=mobile, merged_into__isnull=True).first() if mobile else None
            if holder is not None:
                raise TicketError(MSG_MOBILE_TAKEN % {"name": holder.display_name, "mobile": mask_mobile(mobile)})
            customer = customer_create(organization=organization, display_name=new_customer["display_name"],
                                       mobile=mobile, source_channel=channel)
        ticket = ticket_open(organization=organization, customer=customer, subject=subject,
                             description=description, channel=channel, type=type, queue=queue, priority=priority,
                             actor=actor, source_ref=source_ref, tags=tags, order_number=order_number,
                             auto_assign=not assign_to_me)
        if assign_to_me and ticket.queue_id is not None and not queue_has_agent(queue=ticket.queue, user=actor):
            raise TicketError(MSG_ASSIGN_TO_ME_NOT_IN_QUEUE % {"queue": ticket.queue.name})
        if (assign_to_me or ticket.queue_id is None) and ticket.assignee_id is None:
            ticket = ticket_assign(ticket=ticket, assignee=actor, actor=actor)
        if attachments:
            ticket_reply(ticket=ticket, author=actor, body=_("Files given when the ticket was opened."),
                         public=False, attachments=attachments)
        return ticket
