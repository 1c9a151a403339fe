"""The queue pages' filters (django-filter). Choices of tenant models come from callables, built per request in
its scope (see scrm/filters.py)."""

import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from scrm.filters import OfferedRegionFilter
from scrm.models import Channel, Customer, Region
from tickets.models import Ticket, TicketType
from tickets.selectors import assignable_users, board_regions, queue_list_for_user

_NUMBER = re.compile(r"^T\d{8}-\d{1,6}$", re.IGNORECASE)

# --- hook for the SLA state filter --------------------------------------------------------------------------------
# The SLA module (another branch) registers its states and how to filter by them from its AppConfig.ready():
#     register_sla_state_filter(choices=[("breached", _("Breached")), ...], apply=lambda qs, value: qs.filter(...))
# Until then the filter offers nothing and the queue pages do not show it.
_sla_state_filter = {"choices": [], "apply": None}


def register_sla_state_filter(*, choices, apply):
    _sla_state_filter["choices"] = list(choices)
    _sla_state_filter["apply"] = apply


def sla_state_choices():
    return list(_sla_state_filter["choices"])


def _queues(request):
    return queue_list_for_user(user=request.user)


def _types(request):
    return TicketType.objects.order_by("sort_order", "name")


def _assignees(request):
    return assignable_users()


def _regions(request):
    """The regions whose tickets the user can see, as the board offers them (a region-scoped agent picking another
    region got an empty list)."""
    user = getattr(request, "user", None)
    if user is None:
        return Region.objects.order_by("path")
    return board_regions(user=user)


class TicketFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=Ticket.Status.choices)
    priority = django_filters.TypedMultipleChoiceFilter(label=_("Priority"), choices=Ticket.Priority.choices,
                                                        coerce=int)
    queue = django_filters.ModelChoiceFilter(empty_label=_("All"), label=_("Queue"), queryset=_queues,
                                             widget=forms.Select(attrs={"class": "form-select"}))
    # A supervisor looking at one agent's tickets (from the board: the agent went offline, or is full).
    assignee = django_filters.ModelChoiceFilter(empty_label=_("All"), label=_("Assignee"), queryset=_assignees,
                                                widget=forms.Select(attrs={"class": "form-select"}))
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    type = django_filters.ModelChoiceFilter(empty_label=_("All"), label=_("Type"), queryset=_types,
                                            widget=forms.Select(attrs={"class": "form-select"}))
    level = django_filters.ChoiceFilter(label=_("Customer level"), choices=Customer.Level.choices,
                                        field_name="customer__level")
    sla = django_filters.ChoiceFilter(label=_("SLA"), choices=sla_state_choices, method="filter_sla_state")
    region = OfferedRegionFilter(empty_label=_("All"), label=_("Region"), queryset=_regions, method="filter_region",
                                 widget=forms.Select(attrs={"class": "form-select"}))

    class Meta:
        model = Ticket
        fields = ["q", "status", "priority", "queue", "assignee", "channel", "type", "level", "sla", "region"]

    def filter_region(self, queryset, name, value):
        """The region and every region below it (a province's filter shows its cities' tickets)."""
        return queryset.filter(region__path__startswith=value.path) if value else queryset

    def filter_search(self, queryset, name, value):
        """A ticket number (exact, any case), or a piece of the subject."""
        value = value.strip()
        if not value:
            return queryset
        if _NUMBER.match(value):
            return queryset.filter(number=value.upper())
        return queryset.filter(subject__icontains=value)

    def filter_sla_state(self, queryset, name, value):
        apply = _sla_state_filter["apply"]
        if not value or apply is None:
            return queryset
        return apply(queryset, value)
