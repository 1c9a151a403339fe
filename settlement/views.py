"""Finance and ops read the orders ledger: the list with its filters and one order's page. Read only: the ledger is
written by the stores' events."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views.generic import TemplateView

from scrm.paginators import TableRequestConfig
from scrm.platform.access import ModuleRequiredMixin
from scrm.platform.navigation import nav_children_for
from settlement import selectors
from settlement.filters import OrderFilter
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
        for field in filterset.form.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")
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
