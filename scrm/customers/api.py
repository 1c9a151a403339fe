"""The customers REST endpoints (/api/v1/customers/)."""

from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from scrm.api import ModelPermissions, TenantScopedAPIMixin
from scrm.customers import exports, selectors, services
from scrm.customers.filters import CustomerAPIFilter
from scrm.customers.serializers import CustomerResolveSerializer, CustomerSerializer
from scrm.customers.services import CUSTOMER_EDITABLE
from scrm.errors import ScrmError
from scrm.models import Channel, Customer
from scrm.platform.access import user_revealable_fields


class CustomerViewSet(TenantScopedAPIMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                      viewsets.ReadOnlyModelViewSet):
    """Customers: list with the list page's filters, retrieve, create, update; `resolve/` maps a channel user to
    one customer. Mobile and real name are masked unless the caller may reveal them; every unmasked answer is
    logged as a reveal."""

    permission_classes = [IsAuthenticated, ModelPermissions]
    filter_backends = [DjangoFilterBackend]
    filterset_class = CustomerAPIFilter
    serializer_class = CustomerSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Customer.objects.none()
        return selectors.customer_list(user=self.request.user).order_by("-created_at")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["revealed_fields"] = user_revealable_fields(self.request.user)
        return context

    def _log_reveals(self, customers):
        fields = user_revealable_fields(self.request.user)
        if fields:
            services.customers_log_reveal(customers=customers, user=self.request.user, fields=fields)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        ids = [row["id"] for row in response.data.get("results", [])]
        self._log_reveals(Customer.objects.filter(pk__in=ids))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self._log_reveals([self.get_object()])
        return response

    def perform_create(self, serializer):
        # Through the service, as the create page does; the serializer only parses.
        data = {name: value for name, value in serializer.validated_data.items() if name in CUSTOMER_EDITABLE}
        try:
            serializer.instance = services.customer_create(organization=self.request.user.organization,
                                                           source_channel=Channel.MANUAL, **data)
        except ScrmError as exc:
            raise ValidationError({"detail": str(exc)}) from exc

    def perform_update(self, serializer):
        data = {name: value for name, value in serializer.validated_data.items() if name in CUSTOMER_EDITABLE}
        try:
            serializer.instance, _changed = services.customer_update(customer=serializer.instance, **data)
        except ScrmError as exc:
            raise ValidationError({"detail": str(exc)}) from exc

    @extend_schema(request=None, responses={(200, "text/csv"): bytes})
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The customers of the list's filters as CSV (the export page's file: masked unless the caller may see
        personal data, `pii=masked` to ask for a masked file; every unmasked row logged as a reveal). For holders of
        the export permission only, as the export page; up to the export page's in-request limit (larger exports
        run in the background from the page)."""
        if not request.user.has_perm(exports.EXPORT_PERMISSION):
            raise PermissionDenied
        params = request.GET.copy()
        masked = params.pop("pii", [""])[-1] == "masked"
        try:
            customers = exports.customer_export_queryset(user=request.user, query=params.urlencode())
        except ScrmError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        if customers.count() > exports.SYNC_EXPORT_ROWS:
            raise ValidationError({"detail": str(exports.MSG_API_TOO_MANY % {"limit": exports.SYNC_EXPORT_ROWS})})
        response = StreamingHttpResponse(
            exports.customer_export_csv(queryset=customers, user=request.user,
                                        reveal=exports.customer_export_reveals(request.user, masked=masked)),
            content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exports.customer_export_filename("csv")}"'
        return response

    @extend_schema(request=CustomerResolveSerializer, responses=CustomerSerializer)
    @action(detail=False, methods=["post"])
    def resolve(self, request):
        """Find or create the customer behind a channel identity (identity, then union id, then mobile)."""
        if not request.user.has_perm("scrm.add_customer"):
            raise PermissionDenied
        params = CustomerResolveSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        customer = services.customer_resolve(organization=request.user.organization, **params.validated_data)
        customer = selectors.customer_list(include_merged=True).get(pk=customer.pk)
        self._log_reveals([customer])
        return Response(self.get_serializer(customer).data)
