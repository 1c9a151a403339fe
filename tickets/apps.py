from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        # The core app imports nothing of ours: we hand it our role permissions and timeline entries here.
        from scrm.demo import register_demo_seeder
        from scrm.models import Role
        from scrm.roles import CRUD, register_role_permissions
        from scrm.timeline import register_timeline_provider
        from tickets.demo import seed_tickets
        from tickets.sla.demo import seed_sla
        from tickets.timeline import ticket_entries

        work = ("view", "add", "change")
        read = ("view",)
        config = {"queue": read, "tickettype": read, "routingrule": read}
        sla = ("businesscalendar", "calendarday", "slapolicy", "slatarget", "escalationstep")
        sla_crud, sla_read = dict.fromkeys(sla, CRUD), dict.fromkeys(sla, read)
        register_role_permissions("tickets", {
            Role.OPS_ADMIN: {
                "queue": CRUD, "queuemembership": CRUD, "tickettype": CRUD, "routingrule": CRUD,
                "ticket": read, "comment": read, "ticketevent": read, **sla_crud,
            },
            Role.SUPERVISOR: {**config, "queuemembership": read, "ticket": work, "comment": ("view", "add"),
                              "ticketevent": read, **sla_read},
            Role.AGENT: {**config, "ticket": work, "comment": ("view", "add"), "ticketevent": read},
            Role.FINANCE: {},
            Role.VIEWER: {**config, "ticket": read, "comment": read, "ticketevent": read},
        })
        register_timeline_provider("tickets")(ticket_entries)
        register_demo_seeder("tickets", seed_tickets)
        register_demo_seeder("sla", seed_sla)  # after the tickets: it applies the SLA to them
        self._register_sla_filter()

    @staticmethod
    def _register_sla_filter():
        # The workspace's queue filter takes the SLA states through a hook of tickets.filters (built on the
        # workspace branch); until both branches are merged there is nothing to register with.
        try:
            from tickets.filters import register_sla_state_filter
        except ImportError:
            return
        from tickets.sla.filters import sla_state_filter_apply
        from tickets.sla.state import SLAState

        register_sla_state_filter(choices=SLAState.choices, apply=sla_state_filter_apply)
