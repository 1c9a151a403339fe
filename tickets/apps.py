from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        # The core app imports nothing of ours: we hand it our role permissions and timeline entries here.
        from scrm.models import Role
        from scrm.platform.roles import CRUD, register_role_permissions
        from scrm.platform.timeline import register_timeline_provider
        from tickets.timeline import ticket_entries

        work = ("view", "add", "change")
        read = ("view",)
        config = {"queue": read, "tickettype": read, "routingrule": read, "cannedresponse": read}
        register_role_permissions("tickets", {
            Role.OPS_ADMIN: {
                "queue": CRUD, "queuemembership": CRUD, "tickettype": CRUD, "routingrule": CRUD, "cannedresponse": CRUD,
                "ticket": read, "comment": read, "ticketevent": read,
            },
            Role.SUPERVISOR: {**config, "queuemembership": read, "ticket": (*work, "assign_ticket"),
                              "comment": ("view", "add"),
                              "ticketevent": read},
            Role.AGENT: {**config, "ticket": work, "comment": ("view", "add"), "ticketevent": read},
            Role.FINANCE: {},
            Role.VIEWER: {**config, "ticket": read, "comment": read, "ticketevent": read},
        })
        register_timeline_provider("tickets")(ticket_entries)
        self._register_forms()
        from scrm.platform.access import register_customer_scope
        from tickets.selectors import customers_of_visible_tickets_q

        # Supervisors and agents see the customers of the tickets their queues and teams show them.
        register_customer_scope("tickets", customers_of_visible_tickets_q)
        self._register_ticket_access()
        self._register_sms_deliveries()
        self._register_navigation()
        self._register_console()

    @staticmethod
    def _register_ticket_access():
        from scrm.platform.access import register_ticket_access
        from tickets.selectors import ticket_visible

        # A notification about a ticket since moved out of the reader's queues leads to it only while they may see it.
        # So does a submission's ticket number in the forms' tables (`many`: a page of them in one query).
        register_ticket_access(
            lambda user, ticket_id: ticket_visible(user=user).filter(pk=ticket_id).exists(),
            many=lambda user, ids: set(ticket_visible(user=user).filter(pk__in=ids).values_list("pk", flat=True)))

    @staticmethod
    def _register_forms():
        """An intake form's submission opens a routed ticket; a later edit of it is noted on the ticket
        (tickets/services/forms.py)."""
        from forms_builder.hooks import register_edit_listener, register_submission_handler
        from forms_builder.models import Form
        from tickets.services.forms import intake_ticket_open, ticket_submission_edited

        register_submission_handler(Form.Purpose.INTAKE, intake_ticket_open)
        # A customer or staff changing those answers later shows on the ticket's timeline.
        register_edit_listener(ticket_submission_edited)

    @staticmethod
    def _register_sms_deliveries():
        """The SMS agents send from a ticket show their delivery state like any reply."""
        from tickets.outbound import register_delivery_source
        from tickets.services.delivery import sms_delivery_source

        read, retry = sms_delivery_source()
        register_delivery_source(read=read, retry=retry)

    @staticmethod
    def _register_console():
        """The platform console counts the tickets created per day and the bytes of the attachments kept."""
        from scrm.platform.console import register_daily_count, register_stored_files
        from tickets.models import Attachment, Ticket

        register_daily_count("tickets", label=_("Tickets created"), model=Ticket, field="created_at")
        register_stored_files("attachments", label=_("Attachments"), model=Attachment, size_field="size")

    @staticmethod
    def _register_navigation():
        from scrm.platform.navigation import NavChild, register_nav_children
        from tickets.permissions import may_hold_tickets, may_see_board
        from tickets.views_settings import (
            user_configures_canned,
            user_configures_queues,
            user_configures_ticket_types,
        )

        register_nav_children("tickets", [
            NavChild("tickets-mine", _("My tickets"), "tickets:index", "bi-person-check", may_hold_tickets),
            NavChild("tickets-queues", _("Team queues"), "tickets:ticket-queues", "bi-collection"),
            NavChild("tickets-board", _("Board"), "tickets:board", "bi-grid-3x3", may_see_board),
        ])
        register_nav_children("settings", [
            NavChild("routing-rules", _("Routing rules"), "tickets:rule-tester", "bi-signpost-split"),
            NavChild("queues", _("Queues"), "tickets:queue-settings", "bi-collection", user_configures_queues),
            NavChild("ticket-types", _("Ticket types"), "tickets:type-list", "bi-tag", user_configures_ticket_types),
            NavChild("canned-responses", _("Canned responses"), "tickets:canned-list", "bi-chat-square-text",
                     user_configures_canned),
        ])
        from scrm.platform.onboarding import OnboardingStep, register_onboarding_step
        from tickets.models import Queue, RoutingRule, TicketType
        from tickets.views_settings import user_configures_routing

        register_onboarding_step(OnboardingStep(
            "ticket-types", 35, _("Ticket types"),
            _("What your tickets are about (repair, refund, complaint): queues and routing rules pick them by type."),
            "tickets:type-list", lambda: TicketType.objects.exists(), user_configures_ticket_types))
        register_onboarding_step(OnboardingStep(
            "queues", 40, _("Queues"),
            _("Where tickets wait for an agent: a team's members, regions and ticket types."), "tickets:queue-settings",
            lambda: Queue.objects.exists(), user_configures_queues))
        register_onboarding_step(OnboardingStep(
            "routing-rules", 60, _("Routing rules"),
            _("Which queue, type and priority a new ticket gets, by channel, words and region."),
            "tickets:rule-tester", lambda: RoutingRule.objects.exists(), user_configures_routing))
