"""`/api/v1/settlements/` (list, retrieve, approve, mark paid) and `/api/v1/service-jobs/` (list, retrieve,
complete, confirm): finance's statements and the service jobs, with the same permissions and services as the
pages."""


import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from scrm.api import TenantReadOnlyViewSet
from settlement import partner_selectors as selectors
from settlement import partner_services as services
from settlement.errors import SettlementError
from settlement.models import (
    Partner,
    ServiceItem,
    ServiceJob,
    ServiceJobLine,
    SettlementStatement,
    SettlementStatementLine,
)
from settlement.partner_errors import MSG_JOB_NO_PARTNER
from settlement.partner_forms import MSG_UNKNOWN_ITEM


class PartnerStatementLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = SettlementStatementLine
        fields = ["position", "kind", "description", "count", "source_currency", "source_amount", "rate", "amount"]


class PartnerStatementSerializer(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    lines = PartnerStatementLineSerializer(many=True, read_only=True)

    class Meta:
        model = SettlementStatement
        fields = ["id", "partner", "partner_name", "period_start", "period_end", "currency", "status", "sales",
                  "refunds", "channel_fees", "commission", "rebates", "service_income", "materials",
                  "technician_payouts", "adjustments", "subtotal", "tax", "tax_included", "payable",
                  "below_minimum", "order_count", "job_count", "payment_reference", "generated_at", "reviewed_at",
                  "approved_at", "paid_at", "lines"]


class MarkPaidSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=services.PAYMENT_REFERENCE_MAX_LENGTH)


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
    serializer_class = PartnerStatementSerializer
    filterset_class = StatementAPIFilter

    def scoped_queryset(self):
        return selectors.statement_list().prefetch_related("lines")

    def handle_exception(self, exc):
        if isinstance(exc, SettlementError):
            exc = ValidationError({"detail": str(exc)})
        return super().handle_exception(exc)

    def _statement(self, request):
        """The statement to act on, for who may change statements (the statement page's rule,
        StatementActionView.permission); checked before it is looked up. The actions are POSTs on a statement, not
        creations: the model permissions of POST (add_settlementstatement, generating) do not decide them."""
        if not request.user.has_perm("settlement.change_settlementstatement"):
            raise PermissionDenied
        return self.get_object()

    def _answer(self, statement):
        return Response(PartnerStatementSerializer(self.get_queryset().get(pk=statement.pk)).data,
                        status=status.HTTP_200_OK)

    @extend_schema(request=None, responses=PartnerStatementSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def approve(self, request, pk=None):
        """Approve (and lock) a reviewed statement; refused when its lines do not add up to its totals."""
        return self._answer(services.statement_approve(statement=self._statement(request), actor=request.user))

    @extend_schema(request=MarkPaidSerializer, responses=PartnerStatementSerializer)
    @action(detail=True, methods=["post"], url_path="mark-paid", permission_classes=[IsAuthenticated])
    def mark_paid(self, request, pk=None):
        """Record the payment of an approved statement with the bank's reference."""
        statement = self._statement(request)
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


class JobItemSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=32, help_text="A service item's code.")
    # The jobs page's bounds (partner_services._job_quantity checks them again for every caller).
    quantity = serializers.DecimalField(max_digits=7, decimal_places=services.JOB_QUANTITY_PLACES,
                                        min_value=services.JOB_QUANTITY_MIN, max_value=services.JOB_QUANTITY_MAX)


class JobCompleteSerializer(serializers.Serializer):
    partner = serializers.CharField(max_length=32, help_text="The code of the partner who did the job.")
    technician = serializers.CharField(max_length=50, required=False, allow_blank=True)
    items = JobItemSerializer(many=True, allow_empty=False)


class ServiceJobViewSet(TenantReadOnlyViewSet):
    model = ServiceJob
    serializer_class = ServiceJobSerializer
    filterset_class = ServiceJobAPIFilter

    def scoped_queryset(self):
        return selectors.service_job_list()

    def handle_exception(self, exc):
        if isinstance(exc, SettlementError):
            exc = ValidationError({"detail": str(exc)})
        return super().handle_exception(exc)

    def _job(self, request):
        """The job to act on, for who may change jobs (the pages' rule); checked before the job is looked up."""
        if not request.user.has_perm("settlement.change_servicejob"):
            raise PermissionDenied
        return self.get_object()

    def _answer(self, job):
        return Response(ServiceJobSerializer(self.get_queryset().get(pk=job.pk)).data, status=status.HTTP_200_OK)

    @extend_schema(request=JobCompleteSerializer, responses=ServiceJobSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def complete(self, request, pk=None):
        """Record what was done (items by catalogue code and quantity, priced for the job's city tier), the partner
        (by code) and the technician; refused with nothing written when an item has no price."""
        job = self._job(request)
        params = JobCompleteSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        partner = Partner.objects.filter(code=data["partner"], active=True).first()
        if partner is None:
            raise ValidationError({"partner": [str(MSG_JOB_NO_PARTNER)]})
        codes = [row["item"] for row in data["items"]]
        items = {item.code: item for item in ServiceItem.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in items]
        if unknown:
            raise ValidationError({"items": [str(MSG_UNKNOWN_ITEM % {"code": unknown[0]})]})
        return self._answer(services.service_job_complete(
            job=job, partner=partner, technician=data.get("technician", ""),
            items=[(items[row["item"]], row["quantity"]) for row in data["items"]]))

    @extend_schema(request=None, responses=ServiceJobSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def confirm(self, request, pk=None):
        """The customer confirmed a completed job: its money goes into its partner's statement."""
        return self._answer(services.service_job_confirm(job=self._job(request)))
