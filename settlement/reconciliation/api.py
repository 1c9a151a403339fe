"""`/api/v1/reconciliation-runs/` and `/api/v1/discrepancies/`: the runs with their summary object and the
discrepancies with both sides and their reason, read only, one organization; finance and ops (the `view_`
permissions). Decisions on discrepancies are taken in the workbench, where the second-approver rule is shown."""

import django_filters
from rest_framework import serializers

from scrm.api import TenantReadOnlyViewSet
from settlement.models import Discrepancy, MatchClass, ReconciliationRun
from settlement.reconciliation import selectors


class ReconciliationRunSerializer(serializers.ModelSerializer):
    channel_code = serializers.CharField(source="channel.code")

    class Meta:
        model = ReconciliationRun
        fields = ["id", "channel", "channel_code", "period_start", "period_end", "status", "summary", "figures",
                  "tolerances", "run_count", "started_at", "finished_at"]


class DiscrepancySerializer(serializers.ModelSerializer):
    channel_code = serializers.CharField(source="channel.code")

    class Meta:
        model = Discrepancy
        fields = ["id", "run", "channel", "channel_code", "key", "kind", "status", "bill_date", "store", "order",
                  "refund", "statement_line", "order_number", "transaction_id", "currency", "statement_amount",
                  "ledger_amount", "difference", "statement_fee", "expected_fee", "reason", "resolution_code", "note",
                  "ticket", "first_seen_at", "last_seen_at", "resolved_by", "resolved_at"]


class RunAPIFilter(django_filters.FilterSet):
    channel = django_filters.NumberFilter(field_name="channel_id")
    channel_code = django_filters.CharFilter(field_name="channel__code")
    day_from = django_filters.DateFilter(field_name="period_start", lookup_expr="gte")
    day_to = django_filters.DateFilter(field_name="period_end", lookup_expr="lte")
    status = django_filters.MultipleChoiceFilter(choices=ReconciliationRun.Status.choices)

    class Meta:
        model = ReconciliationRun
        fields = ["channel", "channel_code", "day_from", "day_to", "status"]


class DiscrepancyAPIFilter(django_filters.FilterSet):
    channel = django_filters.NumberFilter(field_name="channel_id")
    channel_code = django_filters.CharFilter(field_name="channel__code")
    run = django_filters.NumberFilter(field_name="run_id")
    store = django_filters.NumberFilter(field_name="store_id")
    kind = django_filters.MultipleChoiceFilter(choices=MatchClass.choices)
    status = django_filters.MultipleChoiceFilter(choices=Discrepancy.Status.choices)
    day_from = django_filters.DateFilter(field_name="bill_date", lookup_expr="gte")
    day_to = django_filters.DateFilter(field_name="bill_date", lookup_expr="lte")
    order_number = django_filters.CharFilter()

    class Meta:
        model = Discrepancy
        fields = ["channel", "channel_code", "run", "store", "kind", "status", "day_from", "day_to", "order_number"]


class ReconciliationRunViewSet(TenantReadOnlyViewSet):
    model = ReconciliationRun
    serializer_class = ReconciliationRunSerializer
    filterset_class = RunAPIFilter

    def scoped_queryset(self):
        return selectors.run_list()


class DiscrepancyViewSet(TenantReadOnlyViewSet):
    model = Discrepancy
    serializer_class = DiscrepancySerializer
    filterset_class = DiscrepancyAPIFilter

    def scoped_queryset(self):
        return selectors.discrepancy_list().defer(None)
