"""`/api/v1/statements/`: statement imports of the caller's organization: list (filter by channel code, status,
statement day), detail (with the refusal and its line), and upload (multipart `channel` = code, `file`), which
answers 201 with the import queued (poll its detail for `status`), or 409 with a link to the first import when the
same file was imported already, or 400 with the reason. Reading needs `view_statementimport`, uploading
`add_statementimport` (finance)."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from scrm.api import ModelPermissions, TenantScopedAPIMixin
from settlement.errors import MSG_NO_PAYMENT_CHANNEL
from settlement.models import PaymentChannel, StatementImport
from settlement.statements import selectors
from settlement.statements.messages import StatementRefused
from settlement.statements.services import payment_channels_ensure, statement_import, statement_import_progress

# An upload naming a channel code the organization does not have (the upload page offers only its own).
MSG_NO_CHANNEL = MSG_NO_PAYMENT_CHANNEL


class StatementSerializer(serializers.ModelSerializer):
    channel = serializers.CharField(source="channel.code", read_only=True)
    progress = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)

    class Meta:
        model = StatementImport
        fields = ["id", "channel", "file_name", "file_sha256", "file_size", "source", "layout", "status",
                  "period_start", "period_end", "line_count", "payment_count", "refund_count", "gross_total",
                  "fee_total", "progress", "errors", "created_by", "created_at", "finished_at"]

    def get_progress(self, row) -> int:
        return statement_import_progress(row)["percent"]

    def get_errors(self, row) -> list:
        return selectors.statement_errors(row)


class StatementUploadSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="the payment channel's code")
    file = serializers.FileField()


class StatementAPIFilter(django_filters.FilterSet):
    channel = django_filters.CharFilter(field_name="channel__code")
    status = django_filters.MultipleChoiceFilter(choices=StatementImport.Status.choices)
    day_from = django_filters.DateFilter(field_name="period_end", lookup_expr="gte")
    day_to = django_filters.DateFilter(field_name="period_start", lookup_expr="lte")

    class Meta:
        model = StatementImport
        fields = ["channel", "status", "day_from", "day_to"]


class StatementViewSet(TenantScopedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ModelPermissions]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = StatementAPIFilter
    ordering_fields = ["created_at", "period_start"]
    serializer_class = StatementSerializer
    parser_classes = [MultiPartParser, FormParser]
    queryset = StatementImport.objects.none()  # for the permission class: the model

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StatementImport.objects.none()
        return selectors.statement_list().defer(None)

    @extend_schema(request=StatementUploadSerializer, responses={201: StatementSerializer})
    def create(self, request, *args, **kwargs):
        params = StatementUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        organization = request.user.organization
        payment_channels_ensure(organization=organization)
        channel = PaymentChannel.objects.filter(code=params.validated_data["channel"]).first()
        if channel is None:
            return Response({"channel": [str(MSG_NO_CHANNEL % {"code": params.validated_data["channel"]})]},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            row = statement_import(organization=organization, channel=channel, file=params.validated_data["file"],
                                   user=request.user, source=StatementImport.Source.API)
        except StatementRefused as refused:
            first = getattr(refused, "first_import", None)
            body = {"code": refused.code, "detail": str(refused.message)}
            if first is not None:
                body["first_import"] = request.build_absolute_uri(f"/api/v1/statements/{first.pk}/")
                return Response(body, status=status.HTTP_409_CONFLICT)
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        row = selectors.statement_get(pk=row.pk)
        return Response(StatementSerializer(row).data, status=status.HTTP_201_CREATED)
