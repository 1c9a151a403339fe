"""django-filter filtersets of the core app (customers have theirs in scrm.customers.filters).

A filter on a foreign key to a tenant model must take its choices from a callable (`queryset=lambda request: ...`)
or filter by id: django-filter builds its default choices when the class is created, outside any tenant scope,
where the scoped manager raises.
"""

from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from scrm.errors import MSG_REGION_FILTER_OUT_OF_REACH
from scrm.forms import ISO_DATE
from scrm.models import Region


class DateRangeInput(django_filters.widgets.DateRangeWidget):
    """A from/to range of two date pickers (<input type="date">) instead of two text boxes where one had to guess the
    format. Their value is always ISO (2026-11-30), the only one a date input takes in any language; the field
    parses it in Chinese as in English."""

    def __init__(self, attrs=None):
        boxes = [forms.DateInput(attrs={"type": "date"}, format=ISO_DATE) for _box in range(2)]
        forms.MultiWidget.__init__(self, boxes, attrs)  # not RangeWidget's: it would put two text boxes back


def date_range(label, **kwargs):
    """A DateFromToRangeFilter with date pickers (every list's date range: customers, settlement's lists)."""
    return django_filters.DateFromToRangeFilter(label=label, widget=DateRangeInput(), **kwargs)


class MomentFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 moment sent to the database in UTC: Python accepts offsets PostgreSQL refuses (past ±15:59), and a
    moment that cannot be told in UTC (before year 1) matches nothing rather than failing the request."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                return qs.none()
        return super().filter(qs, value)


class _OfferedRegionField(forms.ModelChoiceField):
    """A region of those offered; any other value (a region out of the user's reach typed into the address, a stale
    link) is no filter, as on the board (`tickets.views._board_region`): it could only show an empty list under a
    drop-down that cannot say why."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            return None


class OfferedRegionFilter(django_filters.ModelChoiceFilter):
    """A list's region filter offering only the regions given by its `queryset` callable (the user's reach)."""

    field_class = _OfferedRegionField


class ReachRegionFilter(django_filters.ModelChoiceFilter):
    """An API's region filter: a region outside its `queryset` callable (the user's reach), an unknown id or not an
    id at all answers 400 naming the parameter. The pages' OfferedRegionFilter drops such a value, their drop-down
    never offers it; an API client would take the unfiltered list it got for a filtered one."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": MSG_REGION_FILTER_OUT_OF_REACH})
        super().__init__(*args, **kwargs)


class RegionFilter(django_filters.FilterSet):
    parent = django_filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = Region
        fields = ["level", "code", "parent"]
