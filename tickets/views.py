from django.utils.translation import gettext_lazy as _

from scrm.views import ModulePendingView


class TicketsIndexView(ModulePendingView):
    module = "tickets"
    title = _("Tickets")
    description = _("Queues, assignment, SLA timers and the agent workspace.")
