"""django-filter filtersets of the core app (customers have theirs in scrm.customers.filters).

A filter on a foreign key to a tenant model must take its choices from a callable (`queryset=lambda request: ...`)
or filter by id: django-filter builds its default choices when the class is created, outside any tenant scope,
where the scoped manager raises.
"""

import django_filters

from scrm.models import Region


class RegionFilter(django_filters.FilterSet):
    parent = django_filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = Region
        fields = ["level", "code", "parent"]
