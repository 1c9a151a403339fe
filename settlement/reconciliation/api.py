"""`/api/v1/reconciliation-runs/` and `/api/v1/discrepancies/`: the runs with their summary object and the
discrepancies with both sides and their reason, one organization; finance and ops read them (the `view_`
permissions). Writes go through the same services and the same permission rule as the pages: POST a run (it runs
on a worker, through the outbox), and on a discrepancy annotate, resolve (a reason code), write off (above the
channel's limit it waits for a second person's approve-write-off), reject-write-off, open-ticket. A refusal is a
400 with the service's message; who may not act gets 403 before anything is looked up."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from scrm.api import TenantReadOnlyViewSet
from settlement.errors import SettlementError
from settlement.models import Discrepancy, MatchClass, PaymentChannel, ReconciliationRun
from settlement.reconciliation import selectors, services
from settlement.reconciliation.errors import MSG_BAD_CODE, MSG_BAD_PERIOD
from settlement.reconciliation.web import MSG_TOO_LONG, no_statement_refusal
from tickets.models import Queue


class ReconciliationRunSerializer(serializers.ModelSerializer):
    channel_code = serializers.CharField(source="channel.code")

    class Meta:
        model = ReconciliationRun
        fields = ["id", "channel", "channel_code", "period_start", "period_end", "status", "summary", "figures",
                  "tolerances", "run_count", "started_at", "finished_at"]


class DiscrepancySerializer(serializers.ModelSerializer):
    channel_code = serializers.CharField(source="channel.code")
    ticket_number = serializers.CharField(source="ticket.number", default=None, read_only=True)

    class Meta:
        model = Discrepancy
        fields = ["id", "run", "channel", "channel_code", "key", "kind", "status", "bill_date", "store", "order",
                  "refund", "statement_line", "order_number", "transaction_id", "currency", "statement_amount",
                  "ledger_amount", "difference", "statement_fee", "expected_fee", "reason", "resolution_code", "note",
                  "ticket", "ticket_number", "first_seen_at", "last_seen_at", "resolved_by", "resolved_at"]


class RunRequestSerializer(serializers.Serializer):
    channel = serializers.SlugRelatedField(slug_field="code", queryset=PaymentChannel.objects,
                                           help_text="The payment channel's code (wechatpay, alipay, ...).")
    date = serializers.DateField(help_text="The statement day (the first one of the period).")
    period_end = serializers.DateField(required=False, allow_null=True,
                                       help_text="The last statement day; the same day when left out.")

    def validate_channel(self, channel):
        if not channel.active:
            raise ValidationError(str(serializers.SlugRelatedField.default_error_messages["does_not_exist"]
                                      .format(slug_name="code", value=channel.code)))
        return channel

    def validate(self, data):
        first, last = data["date"], data.get("period_end") or data["date"]
        if last < first:
            raise ValidationError({"period_end": [str(MSG_BAD_PERIOD)]})
        if (last - first).days > services.MAX_RUN_DAYS:
            raise ValidationError({"period_end": [str(MSG_TOO_LONG % {"days": services.MAX_RUN_DAYS})]})
        refusal = no_statement_refusal(channel=data["channel"], first=first, last=last)
        if refusal:
            raise ValidationError({"date": [str(refusal)]})
        return {**data, "period_end": last}


class NoteSerializer(serializers.Serializer):
    # The workbench's limit and words (services.note_validator).
    note = serializers.CharField(required=False, allow_blank=True, default="", validators=[services.note_validator])


class AnnotateSerializer(NoteSerializer):
    """The note is required, but a blank or missing one is left to the service (discrepancy_annotate), so the API
    refuses it in the workbench's words (MSG_NOTE_REQUIRED), not DRF's "may not be blank"."""


class ResolveSerializer(NoteSerializer):
    code = serializers.CharField(max_length=32,
                                 help_text="Why it is closed: " + ", ".join(services.RESOLUTION_CODES) + ".")

    def validate_code(self, value):
        if value not in services.RESOLUTION_CODES:
            raise ValidationError(str(MSG_BAD_CODE % {"code": value}))
        return value


class TicketRequestSerializer(NoteSerializer):
    queue = serializers.PrimaryKeyRelatedField(
        queryset=Queue.objects, required=False, allow_null=True, default=None,
        help_text="The queue of the team that must fix it: required when no customer is behind the discrepancy.")


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


class _Refusals:
    """A service's refusal (SettlementError) is a 400 with its message."""

    def handle_exception(self, exc):
        if isinstance(exc, SettlementError):
            exc = ValidationError({"detail": str(exc)})
        return super().handle_exception(exc)


def _allowed(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


class ReconciliationRunViewSet(_Refusals, mixins.CreateModelMixin, TenantReadOnlyViewSet):
    model = ReconciliationRun
    serializer_class = ReconciliationRunSerializer
    filterset_class = RunAPIFilter

    def scoped_queryset(self):
        return selectors.run_list()

    @extend_schema(request=RunRequestSerializer, responses={202: ReconciliationRunSerializer})
    def create(self, request, *args, **kwargs):
        """Reconcile a channel's statement day (or period, up to a month) on a worker: answers 202 with the run,
        `queued` until it is done (then GET it for its summary). Asking again while it waits changes nothing."""
        _allowed(request, services.RUN_PERMISSION)
        params = RunRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        run = services.reconciliation_run_queue(channel=data["channel"], period_start=data["date"],
                                                period_end=data["period_end"], by=request.user)
        return Response(ReconciliationRunSerializer(self.get_queryset().get(pk=run.pk)).data,
                        status=status.HTTP_202_ACCEPTED)


class DiscrepancyViewSet(_Refusals, TenantReadOnlyViewSet):
    model = Discrepancy
    serializer_class = DiscrepancySerializer
    filterset_class = DiscrepancyAPIFilter

    def scoped_queryset(self):
        return selectors.discrepancy_list().defer(None)

    def _act(self, request, params_class, service, **fixed):
        """Check the workers' permission first, then find the discrepancy (404 outside the organization), read the
        parameters (400 naming the field), call the service, answer the discrepancy as it now is."""
        _allowed(request, services.WORK_PERMISSION)
        discrepancy = self.get_object()
        params = params_class(data=request.data)
        params.is_valid(raise_exception=True)
        done = service(discrepancy=discrepancy, by=request.user, **params.validated_data, **fixed)
        return Response(DiscrepancySerializer(self.get_queryset().get(pk=done.pk)).data, status=status.HTTP_200_OK)

    @extend_schema(request=AnnotateSerializer, responses=DiscrepancySerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def annotate(self, request, pk=None):
        """A note on the discrepancy (any status); the latest shows on the list."""
        return self._act(request, AnnotateSerializer, services.discrepancy_annotate)

    @extend_schema(request=ResolveSerializer, responses=DiscrepancySerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def resolve(self, request, pk=None):
        """Close an open discrepancy with a reason code."""
        return self._act(request, ResolveSerializer, services.discrepancy_resolve)

    @extend_schema(request=NoteSerializer, responses=DiscrepancySerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated], url_path="write-off")
    def write_off(self, request, pk=None):
        """Write the difference off: at once up to the channel's write-off limit; above it the discrepancy waits
        (`write_off_requested`) for another person's approve-write-off."""
        return self._act(request, NoteSerializer, services.discrepancy_write_off)

    @extend_schema(request=NoteSerializer, responses=DiscrepancySerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated], url_path="approve-write-off")
    def approve_write_off(self, request, pk=None):
        """The second approver of a write-off above the limit: refused for the person who asked for it."""
        return self._act(request, NoteSerializer, services.discrepancy_write_off_approve)

    @extend_schema(request=NoteSerializer, responses=DiscrepancySerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated], url_path="reject-write-off")
    def reject_write_off(self, request, pk=None):
        """Send a write-off waiting for approval back to open."""
        return self._act(request, NoteSerializer, services.discrepancy_write_off_reject)

    @extend_schema(request=TicketRequestSerializer, responses=DiscrepancySerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated], url_path="open-ticket")
    def open_ticket(self, request, pk=None):
        """Open a ticket for the team that must fix it: the order's customer's (routed by the rules, or into
        `queue`), or, with no customer behind it, an internal ticket in `queue` (then required)."""
        return self._act(request, TicketRequestSerializer, services.discrepancy_open_ticket)
