"""Finance and ops read the orders ledger: the list with its filters and one order's page. Read only: the ledger is
written by the stores' events."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from scrm.forms import bootstrap
from scrm.paginators import TableRequestConfig
from scrm.platform.access import ModuleRequiredMixin
from scrm.platform.navigation import nav_children_for
from settlement import selectors
from settlement.errors import SettlementError
from settlement.filters import OrderFilter
from settlement.services import ledger_currencies_set
from settlement.tables import OrderTable


class SettlementIndexView(ModuleRequiredMixin, TemplateView):
    """The settlement module's home: a card for each of its pages the user may open (the navigation registry's
    settlement entries, already filtered by permission)."""

    module = "settlement"
    template_name = "settlement/index.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(sections=nav_children_for(self.request.user, "settlement"), **kwargs)


class _LedgerMixin(ModuleRequiredMixin):
    module = "settlement"
    permission = "settlement.view_order"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class OrderListView(_LedgerMixin, TemplateView):
    template_name = "settlement/order_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        filterset = OrderFilter(self.request.GET or None, queryset=selectors.order_list(user=user),
                                request=self.request)
        bootstrap(filterset.form, small=True)
        table = OrderTable(filterset.qs, mask_amounts=selectors.ledger_masks_amounts(user))
        TableRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        return super().get_context_data(filter=filterset, table=table, **kwargs)


class OrderDetailView(_LedgerMixin, TemplateView):
    template_name = "settlement/order_detail.html"

    def get_context_data(self, **kwargs):
        # The scope the middleware opened limits this to the user's organization.
        order = selectors.order_detail(pk=self.kwargs["pk"], user=self.request.user)
        if order is None:
            raise Http404
        if selectors.ledger_masks_amounts(self.request.user):
            selectors.order_mask_amounts(order)
        return super().get_context_data(order=order, tickets=list(selectors.order_tickets(order=order)),
                                        history=list(selectors.order_history(order=order)), **kwargs)


MSG_CURRENCIES_SAVED = _("Accepted currencies saved.")


class AcceptedCurrenciesForm(forms.Form):
    currencies = forms.CharField(
        label=_("Accepted currencies"), required=False, max_length=100,
        help_text=_("ISO 4217 codes separated by commas, e.g. CNY,HKD. Orders and refunds in another currency are "
                    "refused with the reason on their event. Empty: every currency is accepted."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}))


class AcceptedCurrenciesView(ModuleRequiredMixin, TemplateView):
    """The currencies the organization's orders ledger accepts: finance and ops read them (view) and those holding
    `settlement.change_ledgersettings` change them, through `ledger_currencies_set` (audited)."""

    module = "settlement"
    template_name = "settlement/currencies.html"

    def dispatch(self, request, *args, **kwargs):
        permission = ("settlement.change_ledgersettings" if request.method == "POST"
                      else "settlement.view_ledgersettings")
        if request.user.is_authenticated and (not request.user.organization_id
                                              or not request.user.has_perm(permission)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form=None, **kwargs):
        settings = selectors.ledger_settings_get()
        if form is None:
            form = AcceptedCurrenciesForm(initial={"currencies": settings.accepted_currencies if settings else ""})
        return super().get_context_data(
            form=form, settings=settings, changes=list(selectors.ledger_settings_changes()),
            can_change=self.request.user.has_perm("settlement.change_ledgersettings"), **kwargs)

    def post(self, request, *args, **kwargs):
        form = AcceptedCurrenciesForm(request.POST)
        if form.is_valid():
            try:
                ledger_currencies_set(organization=request.user.organization, by=request.user,
                                      currencies=form.cleaned_data["currencies"])
            except SettlementError as error:
                form.add_error("currencies", str(error))
            else:
                messages.success(request, MSG_CURRENCIES_SAVED)
                return redirect("settlement:currencies")
        return self.render_to_response(self.get_context_data(form=form), status=400)
