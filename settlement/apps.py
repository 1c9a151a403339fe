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
        ledger = {"store": read, "order": read, "orderline": read, "refund": read, "orderreport": read,
                  "aftersale": read}
        # Finance imports statements, reconciles and works the discrepancies; ops configure the channels and read.
        # The currencies the ledger accepts: finance and ops both keep them (settlement/views.py).
        ledger["ledgersettings"] = ("view", "change")
        finance = {**ledger,
                   "paymentchannel": read, "statementimport": ("view", "add"), "statementline": read,
                   "statementlinematch": read,
                   "reconciliationrun": ("view", "add", "change"), "discrepancy": ("view", "change"),
                   "discrepancyaction": ("view", "add")}
        ops = {**ledger,
               "paymentchannel": ("view", "add", "change"), "statementimport": read, "statementline": read,
               "statementlinematch": read,
               "reconciliationrun": read, "discrepancy": read, "discrepancyaction": read}
        # Partner settlement: finance keeps the rules, rates, partners and catalogue and works the statements; ops
        # configure the settlement rules too (DESIGN.md: ops configure regions, ..., settlement rules), regions'
        # tiers and the catalogue, and read the rest. Neither approves alone: the two-person rule is the statements'.
        crud = ("view", "add", "change", "delete")
        finance.update({
            "settlementrule": ("view", "add", "change"), "exchangerate": crud, "partner": ("view", "add", "change"),
            "partnerstore": crud, "regioncitytier": read, "serviceitem": read, "serviceprice": read,
            "servicejob": ("view", "change"), "servicejobline": read,
            "settlementstatement": ("view", "add", "change"), "settlementstatementline": read,
            "settlementadjustment": ("view", "add"), "settlementstatementevent": read, "settlementrun": ("view", "add"),
            "regionalert": read,
        })
        ops.update({
            "settlementrule": ("view", "add", "change"), "exchangerate": read, "partner": read, "partnerstore": read,
            "regioncitytier": crud, "serviceitem": crud, "serviceprice": crud, "servicejob": ("view", "change"),
            "servicejobline": read, "regionalert": read,
        })
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
        from scrm.platform.panels import register_panel
        from settlement.panels import ticket_orders_panel

        register_panel("ticket", "settlement.orders", ticket_orders_panel)
        # Statement imports: the outbox kind of their reading, and the channels every new organization starts with.
        import settlement.statements.jobs  # noqa: F401
        from scrm.platform.onboarding import register_organization_setup
        from settlement.statements.services import payment_channels_ensure

        register_organization_setup("settlement-payment-channels", payment_channels_ensure)
        # A resolved installation or repair ticket becomes a service job (tickets never imports settlement).
        from settlement.partner_services import service_job_from_ticket
        from tickets.hooks import register_status_listener

        register_status_listener(service_job_from_ticket)
        import settlement.partner_tasks  # noqa: F401 - registers beat's task (autodiscovery reads tasks.py only)
        self._register_navigation()
        # Registers the outbox kind of the reconciliation runs a worker does.
        import settlement.reconciliation.jobs  # noqa: F401

    @staticmethod
    def _register_navigation():
        from scrm.platform.navigation import NavChild, NavGroup, register_nav_children

        # Finance's reports are listed with the others under Reports.
        register_nav_children("reports", [
            NavChild("reconciliation-report", _("Reconciliation"), "settlement:reconciliation", "bi-check2-square",
                     lambda user: user.has_perm("settlement.view_reconciliationrun"),
                     description=_("Each payment channel's reconciliation per day: match rate, discrepancies by "
                                   "class, fees charged against expected, the 30-day trend.")),
            NavChild("finance-dashboard", _("Finance dashboard"), "settlement:dashboard", "bi-graph-up",
                     lambda user: user.has_perm("settlement.view_settlementstatement"),
                     description=_("Revenue, fees and partner payouts by month, region and channel, with the "
                                   "month to date and region alerts.")),
        ])
        # Grouped by what finance does: the day's work first, then the partners, the reports and the configuration.
        daily = NavGroup("daily", _("Daily work"))
        partners = NavGroup("partners", _("Partner settlement"))
        reports = NavGroup("reports", _("Reports"))
        configuration = NavGroup("configuration", _("Configuration"))
        register_nav_children("settlement", [
            NavChild("statements", _("Statements"), "settlement:statement-list", "bi-file-earmark-spreadsheet",
                     lambda user: user.has_perm("settlement.view_statementimport"), group=daily),
            NavChild("reconciliation", _("Reconciliation"), "settlement:reconciliation", "bi-check2-square",
                     lambda user: user.has_perm("settlement.view_reconciliationrun"), group=daily),
            NavChild("discrepancies", _("Discrepancies"), "settlement:discrepancy-list", "bi-exclamation-diamond",
                     lambda user: user.has_perm("settlement.view_discrepancy"), group=daily),
            NavChild("partner-statements", _("Partner statements"), "settlement:settlement-list", "bi-journal-text",
                     lambda user: user.has_perm("settlement.view_settlementstatement"), group=partners),
            NavChild("service-jobs", _("Service jobs"), "settlement:service-jobs", "bi-wrench",
                     lambda user: user.has_perm("settlement.view_servicejob"), group=partners),
            NavChild("partners", _("Partners"), "settlement:partner-list", "bi-people",
                     lambda user: user.has_perm("settlement.view_partner"), group=partners),
            NavChild("finance-dashboard", _("Finance dashboard"), "settlement:dashboard", "bi-graph-up",
                     lambda user: user.has_perm("settlement.view_settlementstatement"), group=reports),
            NavChild("orders", _("Orders"), "settlement:order-list", "bi-receipt",
                     lambda user: user.has_perm("settlement.view_order"), group=reports),
            NavChild("payment-channels", _("Payment channels"), "settlement:channel-list", "bi-credit-card",
                     lambda user: user.has_perm("settlement.view_paymentchannel"), group=configuration),
            NavChild("currencies", _("Accepted currencies"), "settlement:currencies", "bi-currency-exchange",
                     lambda user: user.has_perm("settlement.view_ledgersettings"), group=configuration),
            NavChild("rules", _("Settlement rules"), "settlement:rule-list", "bi-sliders",
                     lambda user: user.has_perm("settlement.view_settlementrule"), group=configuration),
            NavChild("catalogue", _("Service catalogue"), "settlement:catalogue", "bi-tools",
                     lambda user: user.has_perm("settlement.view_serviceprice"), group=configuration),
            NavChild("city-tiers", _("City tiers"), "settlement:city-tiers", "bi-buildings",
                     lambda user: user.has_perm("settlement.view_regioncitytier"), group=configuration),
            NavChild("settings-changes", _("Configuration changes"), "settlement:settings-changes",
                     "bi-clock-history", lambda user: user.has_perm("settlement.view_settlementrule"),
                     group=configuration),
        ])
