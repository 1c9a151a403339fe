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
        ledger = {"store": read, "order": read, "orderline": read, "refund": read, "orderreport": read}
        # Finance imports statements, reconciles and works the discrepancies; ops configure the channels and read.
        finance = {**ledger,
                   "paymentchannel": read, "statementimport": ("view", "add"), "statementline": read,
                   "reconciliationrun": ("view", "add", "change"), "discrepancy": ("view", "change"),
                   "discrepancyaction": ("view", "add")}
        ops = {**ledger,
               "paymentchannel": ("view", "add", "change"), "statementimport": read, "statementline": read,
               "reconciliationrun": read, "discrepancy": read, "discrepancyaction": read}
        register_role_permissions("settlement", {
            Role.FINANCE: finance,
            Role.OPS_ADMIN: ops,
            Role.SUPERVISOR: {},
            Role.AGENT: {},
            Role.VIEWER: {},
        })
        from scrm.platform.timeline import register_timeline_provider
        from settlement.timeline import order_entries, refund_entries

        register_timeline_provider("settlement.orders")(order_entries)
        register_timeline_provider("settlement.refunds")(refund_entries)
        self._register_navigation()
        # Registers the outbox kind of the reconciliation runs a worker does.
        from settlement.reconciliation import jobs  # noqa: F401

    @staticmethod
    def _register_navigation():
        from scrm.platform.navigation import NavChild, register_nav_children

        register_nav_children("settlement", [
            NavChild("orders", _("Orders"), "settlement:order-list", "bi-receipt",
                     lambda user: user.has_perm("settlement.view_order")),
            NavChild("reconciliation", _("Reconciliation"), "settlement:reconciliation", "bi-check2-square",
                     lambda user: user.has_perm("settlement.view_reconciliationrun")),
            NavChild("discrepancies", _("Discrepancies"), "settlement:discrepancy-list", "bi-exclamation-diamond",
                     lambda user: user.has_perm("settlement.view_discrepancy")),
        ])
