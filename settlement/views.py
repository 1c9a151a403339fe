from django.utils.translation import gettext_lazy as _

from scrm.views import ModulePendingView


class SettlementIndexView(ModulePendingView):
    module = "settlement"
    title = _("Settlement")
    description = _("Statement import, reconciliation, partner settlement and revenue.")
