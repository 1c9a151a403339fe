from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = _("Settlement")

    def ready(self):
        from scrm.models import Role
        from scrm.platform.roles import register_role_permissions

        # The orders ledger is written by the shops' events only: people read it.
        read = ("view",)
        ledger = {"store": read, "order": read, "orderline": read, "refund": read}
        register_role_permissions("settlement", {
            Role.FINANCE: ledger,
            Role.OPS_ADMIN: ledger,
            Role.SUPERVISOR: {},
            Role.AGENT: {},
            Role.VIEWER: {},
        })
