import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scrm.filters import date_range
from scrm.models import Region
from settlement.models import CityTier, Partner, SettlementStatement


def _regions(request):
    return Region.objects.all()


def _partners(request):
    return Partner.objects.order_by("name", "pk")


class StatementFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=SettlementStatement.Status.choices)
    partner = django_filters.ModelChoiceFilter(label=_("Partner"), queryset=_partners)
    region = django_filters.ModelChoiceFilter(label=_("Region"), queryset=_regions, method="filter_region")
    period = date_range(_("Period starting"), field_name="period_start")

    class Meta:
        model = SettlementStatement
        fields = ["status", "partner", "region", "period"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(partner__region__path__startswith=value.path) if value else queryset


class PartnerFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Partner.Kind.choices)
    region = django_filters.ModelChoiceFilter(label=_("Region"), queryset=_regions, method="filter_region")
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")

    class Meta:
        model = Partner
        fields = ["kind", "region", "name"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=value.path) if value else queryset


class CityTierFilter(django_filters.FilterSet):
    """The city-tier page's filters: a name or code, the region level, the tier (or none set)."""

    q = django_filters.CharFilter(label=_("Name or code"), method="filter_q")
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Region.Level.choices)
    tier = django_filters.ChoiceFilter(label=_("City tier"), method="filter_tier",
                                       choices=[*CityTier.choices, ("none", _("Not set"))])

    class Meta:
        model = Region
        fields = ["q", "level", "tier"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__iexact=value)) if value else queryset

    def filter_tier(self, queryset, name, value):
        if value == "none":
            return queryset.filter(tier__isnull=True)
        return queryset.filter(tier=int(value)) if value else queryset
