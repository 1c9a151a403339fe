"""django-filter filtersets of customers (see scrm/filters.py on choices from callables)."""

import django_filters
from django import forms
from django.db.models import Q
from django.db.models.functions import Right
from django.utils.translation import gettext_lazy as _

from scrm.customers.phones import InvalidMobile, normalize_mobile
from scrm.filters import OfferedRegionFilter, ReachRegionFilter, date_range
from scrm.models import Channel, ChannelIdentity, Customer, CustomerTag, Region, Tag, User
from scrm.selectors import customer_filter_regions


def _tags(request):
    return Tag.objects.select_related("group")


def _regions(request):
    """The regions in the user's reach (a region-scoped agent sees no customer of another; picking one showed an
    empty list); every region when the filter reads a saved query with no user."""
    user = getattr(request, "user", None)
    if user is None:
        return Region.objects.order_by("path")
    return customer_filter_regions(user=user)


def _owners(request):
    return User.objects.filter(is_active=True)


class CustomerFilter(django_filters.FilterSet):
    """The customer list's filters; the same query string drives the list, segments, bulk actions and exports."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    tag = django_filters.ModelMultipleChoiceFilter(label=_("Tags"), queryset=_tags, field_name="tags",
                                                   conjoined=False, distinct=False, method="filter_tags")
    level = django_filters.MultipleChoiceFilter(label=_("Level"), choices=Customer.Level.choices)
    region = OfferedRegionFilter(empty_label=_("All"), label=_("Region"), queryset=_regions, method="filter_region",
                                 widget=forms.Select(attrs={"class": "form-select"}))
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, method="filter_channel")
    owner = django_filters.ModelChoiceFilter(empty_label=_("All"), label=_("Owner"), queryset=_owners)
    created = date_range(_("Created"), field_name="created_at__date")

    class Meta:
        model = Customer
        fields = ["q", "tag", "level", "region", "channel", "owner", "created"]

    def filter_search(self, queryset, name, value):
        """Exact mobile (any way it is typed), its last four digits, exact external id (openid, buyer id), or a
        name fragment."""
        value = value.strip()
        if not value:
            return queryset
        if len(value) == 4 and value.isdigit():
            by_identity = ChannelIdentity.objects.filter(external_id=value).values("customer_id")
            return queryset.alias(mobile_last4=Right("mobile", 4)).filter(
                Q(mobile_last4=value) | Q(pk__in=by_identity) | Q(display_name__icontains=value))
        try:
            mobile = normalize_mobile(value)
        except InvalidMobile:
            mobile = ""
        if mobile:
            return queryset.filter(mobile=mobile)
        by_identity = ChannelIdentity.objects.filter(external_id=value).values("customer_id")
        return queryset.filter(
            Q(pk__in=by_identity) | Q(display_name__icontains=value) | Q(real_name__icontains=value)
        )

    def filter_tags(self, queryset, name, value):
        if not value:
            return queryset
        # A semi-join: no duplicate rows and no DISTINCT over the whole list.
        return queryset.filter(pk__in=CustomerTag.objects.filter(tag__in=value).values("customer_id"))

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=value.path) if value else queryset

    def filter_channel(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Q(source_channel=value) | Q(pk__in=ChannelIdentity.objects.filter(channel=value).values("customer_id"))
        )


class CustomerAPIFilter(CustomerFilter):
    """The list page's filters for `/api/v1/customers/`, but a region out of the caller's reach answers 400 (the
    page ignores it: its drop-down never offers one)."""

    region = ReachRegionFilter(queryset=_regions, method="filter_region")
