"""`/api/v1/settlements/` (list, retrieve, approve, mark paid) and `/api/v1/service-jobs/` (list, retrieve):
finance's statements and the service jobs, with the same permissions as the pages."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from scrm.api import TenantReadOnlyViewSet
from settlement import partner_selectors as selectors
from settlement import partner_services as services
from settlement.errors import SettlementError
from settlement.models import ServiceJob, ServiceJobLine, SettlementStatement, SettlementStatementLine


class StatementLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = SettlementStatementLine
        fields = ["position", "kind", "description", "count", "source_currency", "source_amount", "rate", "amount"]


class StatementSerializer(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    lines = StatementLineSerializer(many=True, read_only=True)

    class Meta:
        model = SettlementStatement
        fields = ["id", "partner", "partner_name", "period_start", "period_end", "currency", "status", "sales",
                  "refunds", "channel_fees", "commission", "rebates", "service_income", "materials",
                  "technician_payouts", "adjustments", "subtotal", "tax", "tax_included", "payable",
                  "below_minimum", "order_count", "job_count", "payment_reference", "generated_at", "reviewed_at",
                  "approved_at", "paid_at", "lines"]


class MarkPaidSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=64)


class StatementAPIFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=SettlementStatement.Status.choices)
    partner = django_filters.CharFilter(field_name="partner__code")
    period_start_after = django_filters.DateFilter(field_name="period_start", lookup_expr="gte")
    period_start_before = django_filters.DateFilter(field_name="period_start", lookup_expr="lte")

    class Meta:
        model = SettlementStatement
        fields = ["status", "partner", "period_start_after", "period_start_before"]


class SettlementViewSet(TenantReadOnlyViewSet):
    model = SettlementStatement
    serializer_class = StatementSerializer
    filterset_class = StatementAPIFilter

    def scoped_queryset(self):
        return selectors.statement_list().prefetch_related("lines")

    def handle_exception(self, exc):
        if isinstance(exc, SettlementError):
            exc = ValidationError({"detail": str(exc)})
        return super().handle_exception(exc)

    def _answer(self, statement):
        return Response(StatementSerializer(self.get_queryset().get(pk=statement.pk)).data,
                        status=status.HTTP_200_OK)

    @extend_schema(request=None, responses=StatementSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve (and lock) a reviewed statement; refused when its lines do not add up to its totals."""
        if not request.user.has_perm("settlement.change_settlementstatement"):
            raise PermissionDenied
        return self._answer(services.statement_approve(statement=self.get_object(), actor=request.user))

    @extend_schema(request=MarkPaidSerializer, responses=StatementSerializer)
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        """Record the payment of an approved statement with the bank's reference."""
        if not request.user.has_perm("settlement.change_settlementstatement"):
            raise PermissionDenied
        statement = self.get_object()
        params = MarkPaidSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        return self._answer(services.statement_mark_paid(statement=statement, actor=request.user,
                                                         reference=params.validated_data["reference"]))


class ServiceJobLineSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ServiceJobLine
        fields = ["item", "quantity", "unit_price", "unit_material_cost", "unit_payout"]


class ServiceJobSerializer(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    ticket = serializers.CharField(source="ticket.number", read_only=True, default=None)
    lines = ServiceJobLineSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceJob
        fields = ["id", "number", "kind", "status", "partner", "ticket", "customer", "region", "tier", "technician",
                  "currency", "price_total", "material_total", "payout_total", "completed_at", "confirmed_at",
                  "lines"]


class ServiceJobAPIFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ServiceJob.Status.choices)
    kind = django_filters.MultipleChoiceFilter(choices=ServiceJob._meta.get_field("kind").choices)
    partner = django_filters.CharFilter(field_name="partner__code")
    completed_after = django_filters.IsoDateTimeFilter(field_name="completed_at", lookup_expr="gte")
    completed_before = django_filters.IsoDateTimeFilter(field_name="completed_at", lookup_expr="lt")

    class Meta:
        model = ServiceJob
        fields = ["status", "kind", "partner", "completed_after", "completed_before"]


class ServiceJobViewSet(TenantReadOnlyViewSet):
    model = ServiceJob
    serializer_class = ServiceJobSerializer
    filterset_class = ServiceJobAPIFilter

    def scoped_queryset(self):
        return selectors.service_job_list()
