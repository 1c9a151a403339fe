"""The orders list's filters (django-filter); its date range is scrm.filters.date_range, as on every list."""

import django_filters
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from scrm.filters import date_range
from scrm.models import Channel, Region
from settlement.models import Order, Store
from settlement.selectors import ledger_masks_amounts

# What a finance list that a filter emptied says, instead of its "nothing yet" text: 还没有对账单 under a filter that
# matched nothing read as if the statements were gone.
MSG_NO_MATCH = _("Nothing matches the filter. Clear it to see everything.")


def filter_empty_text(filterset):
    """MSG_NO_MATCH when a filter of the set holds a value, else None (the table's own "nothing yet" text)."""
    form = filterset.form
    return MSG_NO_MATCH if filterset.is_bound and form.is_valid() and any(form.cleaned_data.values()) else None


def _stores(request):
    return Store.objects.order_by("name", "pk")


def _regions(request):
    return Region.objects.all()


class OrderFilter(django_filters.FilterSet):
    store = django_filters.ModelChoiceFilter(label=_("Store"), queryset=_stores)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    status = django_filters.ChoiceFilter(label=_("Status"),
                                         choices=[(value, capfirst(label)) for value, label in Order.Status.choices])
    region = django_filters.ModelChoiceFilter(label=_("Region"), queryset=_regions, method="filter_region")
    placed = date_range(_("Placed"), field_name="placed_at__date")
    amount = django_filters.RangeFilter(label=_("Paid amount"), field_name="paid_amount")
    customer = django_filters.CharFilter(label=_("Customer"), method="filter_customer")
    number = django_filters.CharFilter(label=_("Order number"), field_name="external_number")

    class Meta:
        model = Order
        fields = ["store", "channel", "status", "region", "placed", "amount", "customer", "number"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and ledger_masks_amounts(request.user):
            del self.filters["amount"]  # filtering by a masked amount would tell it

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=value.path) if value else queryset

    def filter_customer(self, queryset, name, value):
        """A fragment of the customer's name (finance never searches by phone: they see it masked)."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(customer__display_name__icontains=value) | Q(customer__real_name__icontains=value))
