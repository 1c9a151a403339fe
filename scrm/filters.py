"""django-filter filtersets of the core app (customers have theirs in scrm.customers.filters).

A filter on a foreign key to a tenant model must take its choices from a callable (`queryset=lambda request: ...`)
or filter by id: django-filter builds its default choices when the class is created, outside any tenant scope,
where the scoped manager raises.
"""

from datetime import UTC

import django_filters

from scrm.models import Region


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


class RegionFilter(django_filters.FilterSet):
    parent = django_filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = Region
        fields = ["level", "code", "parent"]
