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
