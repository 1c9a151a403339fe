from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormsBuilderConfig(AppConfig):
    name = "forms_builder"
    verbose_name = _("Forms")

    def ready(self):
        # The core app imports nothing of ours: we hand it our role permissions here.
        from scrm.models import Role
        from scrm.platform.roles import CRUD, register_role_permissions

        register_role_permissions("forms_builder", {
            Role.OPS_ADMIN: {"form": CRUD, "formversion": ("view", "add"), "formsubmission": ("view", "add", "change"),
                             "formfile": ("view",)},
            Role.SUPERVISOR: {"form": ("view",), "formversion": ("view",), "formsubmission": ("view",),
                              "formfile": ("view",)},
            Role.AGENT: {"form": ("view",), "formversion": ("view",), "formsubmission": ("view", "add"),
                         "formfile": ("view",)},
            Role.FINANCE: {},
            Role.VIEWER: {"form": ("view",), "formversion": ("view",), "formsubmission": ("view",),
                          "formfile": ("view",)},
        })
        self._register_navigation()

    @staticmethod
    def _register_navigation():
        from forms_builder.permissions import may_edit_forms
        from scrm.platform.navigation import NavChild, register_nav_children

        # The forms module's own entry, and its place among the settings pages ops open.
        register_nav_children("settings", [
            NavChild("forms", _("Forms"), "forms_builder:index", "bi-ui-checks", may_edit_forms),
        ])
