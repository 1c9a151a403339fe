from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormsBuilderConfig(AppConfig):
    name = "forms_builder"
    verbose_name = _("Forms")

    def ready(self):
        # The core app imports nothing of ours: we hand it our role permissions here.
        from forms_builder.webhooks import webhook_secrets  # registers the outbox kind "form_webhook"
        from scrm.models import Role
        from scrm.platform.redaction import register_secret_source
        from scrm.platform.roles import CRUD, register_role_permissions

        read = ("view",)
        history = {"formsubmissionchange": read, "formwebhookdelivery": read, "formwebhookattempt": read}
        register_role_permissions("forms_builder", {
            Role.OPS_ADMIN: {"form": CRUD, "formversion": ("view", "add"), "formsubmission": ("view", "add", "change"),
                             "formfile": read, **history},
            Role.SUPERVISOR: {"form": read, "formversion": read, "formsubmission": read, "formfile": read,
                              "formsubmissionchange": read},
            Role.AGENT: {"form": read, "formversion": read, "formsubmission": ("view", "add"), "formfile": read,
                         "formsubmissionchange": read},
            Role.FINANCE: {},
            Role.VIEWER: {"form": read, "formversion": read, "formsubmission": read, "formfile": read,
                          "formsubmissionchange": read},
        })
        # A webhook's secret never reaches a stored error or a log line.
        register_secret_source(webhook_secrets)
        from forms_builder.timeline import submission_entries
        from scrm.platform.timeline import register_timeline_provider

        # The customer's submissions and the changes to them, on the customer's timeline.
        register_timeline_provider("forms_builder")(submission_entries)
        self._register_navigation()

    @staticmethod
    def _register_navigation():
        from forms_builder.permissions import may_edit_forms
        from scrm.platform.navigation import NavChild, register_nav_children

        # The forms module's own entry, and its place among the settings pages ops open.
        register_nav_children("settings", [
            NavChild("forms", _("Forms"), "forms_builder:index", "bi-ui-checks", may_edit_forms),
        ])
        from forms_builder.models import Form
        from scrm.platform.onboarding import OnboardingStep, register_onboarding_step

        register_onboarding_step(OnboardingStep(
            "forms", 80, _("Forms"), _("A public form whose submissions open tickets, or a survey."),
            "forms_builder:index", lambda: Form.objects.exists(), may_edit_forms))
