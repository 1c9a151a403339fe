"""The queue filter by SLA state, for the workspace's filtersets (django-filter):

    class TicketFilter(SLAStateFilterMixin, django_filters.FilterSet): ...
or
    sla_state = SLAStateFilter()
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from sla.state import SLAState, sla_state_q


class SLAStateFilter(django_filters.MultipleChoiceFilter):
    """Tickets in any of the chosen SLA states (on track, at risk, breached, paused, met)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", SLAState.choices)
        kwargs.setdefault("label", _("SLA"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        condition = None
        for state in value:
            q = sla_state_q(state)
            condition = q if condition is None else condition | q
        return qs.filter(condition)


class SLAStateFilterMixin(django_filters.FilterSet):
    sla_state = SLAStateFilter()


def sla_state_filter_apply(queryset, value):
    """One SLA state (or several, a list) as the workspace's filter hook calls it: `apply(queryset, value)`."""
    values = value if isinstance(value, list | tuple) else [value]
    return SLAStateFilter().filter(queryset, [v for v in values if v])
