"""The tickets' entries of the customer timeline (registered from TicketsConfig.ready)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scrm.platform.timeline import TimelineEntry
from tickets.selectors import customer_tickets


def ticket_entries(*, customer, before, limit, user=None):
    for ticket in customer_tickets(customer=customer, before=before, limit=limit, user=user):
        yield TimelineEntry(
            at=ticket.created_at, kind="ticket", icon="bi-inbox",
            title=_("Ticket %(number)s: %(subject)s") % {"number": ticket.number, "subject": ticket.subject},
            detail=f"{ticket.get_status_display()} · {ticket.get_priority_display()}",
            # No link to a ticket the reader may not open (another team's queue): it would lead to "not found".
            url=reverse("tickets:ticket-detail", args=[ticket.pk]) if getattr(ticket, "may_open", True) else "",
        )
