from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("SLA")

    def ready(self):
        # The core app and tickets import nothing of ours: we hand them our role permissions, the new organization's
        # calendars, the report's menu entry, and what the ticket lifecycle and pages need to know of SLA.
        from scrm.models import Role
        from scrm.platform.onboarding import register_organization_setup
        from scrm.platform.roles import CRUD, register_role_permissions
        from sla import services
        from sla.filters import sla_state_filter_apply
        from sla.state import SLAState, sla_state_annotate
        from tickets.filters import register_sla_state_filter
        from tickets.hooks import register_sla_hooks

        report = "view_sla_report"  # the SLA compliance report (sla.report.user_reads_sla_reports)
        models = ("businesscalendar", "calendarday", "slapolicy", "slatarget", "escalationstep")
        register_role_permissions("sla", {
            Role.OPS_ADMIN: {**dict.fromkeys(models, CRUD), "slapolicy": (*CRUD, report)},
            Role.SUPERVISOR: {**dict.fromkeys(models, ("view",)), "slapolicy": ("view", report)},
            Role.AGENT: {},
            Role.FINANCE: {},
            Role.VIEWER: {"slapolicy": (report,)},
        })
        # A new organization starts with the preset calendars, China holidays and 调休 days seeded.
        register_organization_setup("sla-calendars", services.calendars_ensure_defaults)
        register_sla_hooks(recompute=services.sla_recompute, on_status=services.sla_on_status,
                           on_customer_message=services.sla_on_customer_message,
                           on_public_reply=services.sla_on_public_reply, state_annotate=sla_state_annotate)
        # The workspace's queue filter takes the SLA states through this hook of tickets.filters.
        register_sla_state_filter(choices=SLAState.choices, apply=sla_state_filter_apply)
        self._register_navigation()

    @staticmethod
    def _register_navigation():
        from scrm.platform.navigation import NavChild, register_nav_children
        from sla.report import user_reads_sla_reports
        from sla.views_settings import user_configures_sla

        register_nav_children("settings", [
            NavChild("sla-policies", _("SLA policies"), "sla:policy-list", "bi-stopwatch", user_configures_sla),
            NavChild("sla-calendars", _("Business calendars"), "sla:calendar-list", "bi-calendar-week",
                     user_configures_sla),
        ])
        from scrm.platform.onboarding import OnboardingStep, register_onboarding_step
        from sla.models import SLAPolicy

        register_onboarding_step(OnboardingStep(
            "sla-policies", 50, _("SLA policies"),
            _("First response and resolution targets on a business calendar; without one tickets have no due time."),
            "sla:policy-list", lambda: SLAPolicy.objects.exists(), user_configures_sla))
        register_nav_children("reports", [
            NavChild("sla-report", _("SLA compliance"), "sla:report", "bi-speedometer2", user_reads_sla_reports,
                     description=_("First-response and resolution compliance by queue, team, agent, priority or "
                                   "region, with response times and breaches; Excel download.")),
        ])
