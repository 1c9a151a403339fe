"""`/api/v1/orders/`, `/api/v1/refunds/` and `/api/v1/aftersales/`: the orders ledger, read only (the stores'
events write it), filtered like the orders list. Who sees which rows and whether amounts and addresses show:
`settlement.selectors` (`order_visible_q`, `aftersale_visible_q`, `ledger_masks_amounts`, `ledger_masks_address`);
masked values read AMOUNT_MASK."""

import django_filters

from scrm.api import TenantReadOnlyViewSet
from scrm.filters import MomentFilter, ReachRegionFilter
from scrm.models import Channel, Region
from settlement import selectors
from settlement.models import AfterSale, Order, Refund
from settlement.serializers import AfterSaleSerializer, OrderSerializer, RefundSerializer


def _ledger_regions(request):
    """The regions an order filter may name: every region of the organization, the ledger's reach for who reads it
    by role (finance, ops); a custom role's data scope is not a set of regions (as on the customers' filter)."""
    return Region.objects.order_by("path")


class OrderAPIFilter(django_filters.FilterSet):
    store = django_filters.NumberFilter(field_name="store_id")
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    status = django_filters.MultipleChoiceFilter(choices=Order.Status.choices)
    customer = django_filters.NumberFilter(field_name="customer_id")
    region = ReachRegionFilter(queryset=_ledger_regions, field_name="region")
    number = django_filters.CharFilter(field_name="external_number")
    placed_after = MomentFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = MomentFilter(field_name="placed_at", lookup_expr="lt")
    updated_after = MomentFilter(field_name="updated_at", lookup_expr="gte")
    amount_min = django_filters.NumberFilter(field_name="paid_amount", lookup_expr="gte")
    amount_max = django_filters.NumberFilter(field_name="paid_amount", lookup_expr="lte")

    class Meta:
        model = Order
        fields = ["store", "channel", "status", "customer", "region", "number", "placed_after", "placed_before",
                  "updated_after", "amount_min", "amount_max"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and selectors.ledger_masks_amounts(request.user):
            for name in ("amount_min", "amount_max"):  # filtering by a masked amount would tell it
                del self.filters[name]


class RefundAPIFilter(django_filters.FilterSet):
    store = django_filters.NumberFilter(field_name="store_id")
    status = django_filters.MultipleChoiceFilter(choices=Refund.Status.choices)
    order = django_filters.NumberFilter(field_name="order_id")
    order_number = django_filters.CharFilter()
    customer = django_filters.NumberFilter(field_name="customer_id")
    waiting_for_order = django_filters.BooleanFilter(field_name="order", lookup_expr="isnull")

    class Meta:
        model = Refund
        fields = ["store", "status", "order", "order_number", "customer", "waiting_for_order"]


class AfterSaleAPIFilter(django_filters.FilterSet):
    store = django_filters.NumberFilter(field_name="store_id")
    kind = django_filters.MultipleChoiceFilter(choices=AfterSale.Kind.choices)
    status = django_filters.MultipleChoiceFilter(choices=AfterSale.Status.choices)
    order = django_filters.NumberFilter(field_name="order_id")
    order_number = django_filters.CharFilter()
    customer = django_filters.NumberFilter(field_name="customer_id")
    waiting_for_order = django_filters.BooleanFilter(field_name="order", lookup_expr="isnull")
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AfterSale
        fields = ["store", "kind", "status", "order", "order_number", "customer", "waiting_for_order",
                  "created_after", "created_before"]


class OrderViewSet(TenantReadOnlyViewSet):
    model = Order
    serializer_class = OrderSerializer
    filterset_class = OrderAPIFilter

    def scoped_queryset(self):
        return selectors.order_list_api(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **_masks(self.request)}


class RefundViewSet(TenantReadOnlyViewSet):
    model = Refund
    serializer_class = RefundSerializer
    filterset_class = RefundAPIFilter

    def scoped_queryset(self):
        return selectors.refund_list(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **_masks(self.request)}


class AfterSaleViewSet(TenantReadOnlyViewSet):
    """Returns, exchanges and complaints (bad reviews): who reads them is `selectors.aftersale_visible_q`."""

    model = AfterSale
    serializer_class = AfterSaleSerializer
    filterset_class = AfterSaleAPIFilter

    def scoped_queryset(self):
        return selectors.aftersale_list(user=self.request.user)


def _masks(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"mask_amounts": selectors.ledger_masks_amounts(user), "mask_address": selectors.ledger_masks_address(user)}
