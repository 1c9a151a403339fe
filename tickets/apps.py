from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        # The core app imports nothing of ours: we hand it our role permissions and timeline entries here.
        from scrm.models import Role
        from scrm.onboarding import register_organization_setup
        from scrm.roles import CRUD, register_role_permissions
        from scrm.timeline import register_timeline_provider
        from tickets.services.sla import calendars_ensure_defaults
        from tickets.timeline import ticket_entries

        work = ("view", "add", "change")
        read = ("view",)
        config = {"queue": read, "tickettype": read, "routingrule": read, "cannedresponse": read}
        sla = ("businesscalendar", "calendarday", "slapolicy", "slatarget", "escalationstep")
        sla_crud, sla_read = dict.fromkeys(sla, CRUD), dict.fromkeys(sla, read)
        register_role_permissions("tickets", {
            Role.OPS_ADMIN: {
                "queue": CRUD, "queuemembership": CRUD, "tickettype": CRUD, "routingrule": CRUD, "cannedresponse": CRUD,
                "ticket": read, "comment": read, "ticketevent": read, **sla_crud,
            },
            Role.SUPERVISOR: {**config, "queuemembership": read, "ticket": work, "comment": ("view", "add"),
                              "ticketevent": read, **sla_read},
            Role.AGENT: {**config, "ticket": work, "comment": ("view", "add"), "ticketevent": read},
            Role.FINANCE: {},
            Role.VIEWER: {**config, "ticket": read, "comment": read, "ticketevent": read},
        })
        register_timeline_provider("tickets")(ticket_entries)
        self._register_navigation()
        # A new organization starts with the preset calendars, China holidays and 调休 days seeded.
        register_organization_setup("sla-calendars", calendars_ensure_defaults)
        self._register_sla_filter()

    @staticmethod
    def _register_sla_filter():
        # The workspace's queue filter takes the SLA states through this hook of tickets.filters.
        from tickets.filters import register_sla_state_filter
        from tickets.sla.filters import sla_state_filter_apply
        from tickets.sla.state import SLAState

        register_sla_state_filter(choices=SLAState.choices, apply=sla_state_filter_apply)

    @staticmethod
    def _register_navigation():
        from scrm.access import user_has_role
        from scrm.models import Role
        from scrm.navigation import NavChild, register_nav_children
        from tickets.sla.report import user_reads_sla_reports

        def works_tickets(user):
            return user.is_superuser or user_has_role(user, Role.AGENT, Role.SUPERVISOR)

        register_nav_children("tickets", [
            NavChild("tickets-mine", _("My tickets"), "tickets:index", "bi-person-check", works_tickets),
            NavChild("tickets-queues", _("Team queues"), "tickets:ticket-queues", "bi-collection"),
            NavChild("tickets-board", _("Board"), "tickets:board", "bi-grid-3x3"),
        ])
        register_nav_children("settings", [
            NavChild("routing-rules", _("Routing rules"), "tickets:rule-tester", "bi-signpost-split"),
        ])
        register_nav_children("reports", [
            NavChild("sla-report", _("SLA compliance"), "sla:report", "bi-speedometer2", user_reads_sla_reports),
        ])
