"""The queue pages' table: columns, ordering and pagination (django-tables2). templates/tickets/_table.html writes
the rows out, as the customer list does, to keep a page fast."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket

# The empty queue's sentence: "take the next one" only to who can (the 领取下一个 button's rule, may_take_next).
EMPTY_TEXT_TAKE_NEXT = _("No ticket here. Change the filters, or take the next one.")
EMPTY_TEXT = _("No ticket here. Change the filters.")
# An agent no queue has as a member yet: no ticket can reach them, and only ops can change that.
EMPTY_TEXT_NO_QUEUE = _("No ticket here: you are not a member of any queue yet, so no ticket can reach you. Ask your "
                        "administrator to add you to a queue (Settings → Queues).")


class TicketTable(tables.Table):
    select = tables.CheckBoxColumn(accessor="pk")
    number = tables.Column(verbose_name=_("Number"))
    subject = tables.Column(verbose_name=_("Subject"), orderable=False)
    customer = tables.Column(verbose_name=_("Customer"), orderable=False)
    status = tables.Column(verbose_name=_("Status"))
    priority = tables.Column(verbose_name=_("Priority"), order_by=("priority", "created_at", "pk"))
    sla = tables.Column(verbose_name=_("SLA"), accessor="sla_state", orderable=False)
    queue = tables.Column(verbose_name=_("Queue"), orderable=False)
    assignee = tables.Column(verbose_name=_("Assignee"), orderable=False)
    type = tables.Column(verbose_name=_("Type"), orderable=False)
    created_at = tables.Column(verbose_name=_("Created"), order_by=("created_at", "pk"))

    class Meta:
        model = Ticket
        fields = ("select", "number", "subject", "customer", "status", "priority", "sla", "queue", "assignee",
                  "type", "created_at")
        empty_text = EMPTY_TEXT
