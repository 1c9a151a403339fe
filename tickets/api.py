"""`/api/v1/tickets/`: the tickets the caller may see (the workspace's selector: organization, role, regions),
filtered like the workspace lists; create, read, edit, and one endpoint per action. Every write goes through a
tickets service; a broken rule answers 400 with the service's message."""

import django_filters
from django.db.models import Prefetch, Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from forms_builder.errors import FormError
from scrm.api import ModelPermissions, TenantScopedAPIMixin
from scrm.customers.selectors import customer_list
from scrm.models import Channel, Customer, User
from tickets import selectors, services
from tickets.errors import (
    MSG_ASSIGN_TO_ME_NOT_AGENT,
    MSG_ASSIGNEE_NOT_AGENT,
    MSG_ASSIGNEE_NOT_FOUND,
    MSG_CUSTOMER_NOT_VISIBLE,
    TicketError,
)
from tickets.models import Ticket, TicketFieldAnswers
from tickets.permissions import may_assign, may_reply, may_work
from tickets.serializers import (
    CommentSerializer,
    TicketAssignedSerializer,
    TicketAssignSerializer,
    TicketCreateSerializer,
    TicketEventSerializer,
    TicketReplySerializer,
    TicketSerializer,
    TicketStatusSerializer,
    TicketTransferSerializer,
    TicketUpdateSerializer,
)
from tickets.services.forms import ticket_log_with_fields


class TicketAPIFilter(django_filters.FilterSet):
    """The workspace's filters, as query parameters: several values of one filter are ORed (`?status=new&status=
    open`); `assignee` takes a user id, `me` or `none`; `q` finds a number, a subject or a customer name."""

    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Ticket.Priority.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    queue = django_filters.NumberFilter(field_name="queue_id")
    type = django_filters.NumberFilter(field_name="type_id")
    customer_level = django_filters.MultipleChoiceFilter(field_name="customer__level", choices=Customer.Level.choices)
    assignee = django_filters.CharFilter(method="filter_assignee")
    q = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Ticket
        fields = ["status", "priority", "channel", "queue", "type", "customer_level", "assignee", "q"]

    def filter_assignee(self, queryset, name, value):
        value = value.strip().lower()
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset.none()

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("T") and value[1:9].isdigit():
            return queryset.filter(number=value.upper())
        return queryset.filter(Q(subject__icontains=value) | Q(customer__display_name__icontains=value))


def _with_shown(tickets):
    """Tickets with what the API shows of each prefetched: team, tags and the current custom-field answers."""
    return tickets.select_related("team").prefetch_related("tags", Prefetch(
        "field_answers", to_attr="current_field_answers",
        queryset=TicketFieldAnswers.objects.filter(is_current=True).select_related("submission__version")))


class TicketViewSet(TenantScopedAPIMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                    viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated, ModelPermissions]
    filter_backends = [DjangoFilterBackend]
    filterset_class = TicketAPIFilter
    serializer_class = TicketSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        return _with_shown(selectors.ticket_list(user=self.request.user))

    def handle_exception(self, exc):
        if isinstance(exc, TicketError):
            exc = ValidationError({"detail": str(exc)})
        elif isinstance(exc, FormError):
            # The custom fields the engine refused, by field key, as 新建工单 lists them beside each field.
            exc = ValidationError({"detail": str(exc), "fields": exc.problems or {}})
        return super().handle_exception(exc)

    def _require(self, rule):
        """The workspace's rule for the action (tickets.permissions), checked before the ticket is looked up. The
        actions are POSTs on a ticket, not creations: `ModelPermissions` (POST = add_ticket) does not decide them."""
        if not rule(self.request.user):
            raise PermissionDenied

    def _answer(self, ticket, code=status.HTTP_200_OK, serializer_class=TicketSerializer, **context):
        """The ticket as written. The write may have taken it out of the caller's view (transferred to a queue they do
        not work, or routed there when logged): it is done all the same, so the answer says so, once; a 500 after
        the write made a retry log a second ticket. Later reads of it answer 404, as its page does."""
        row = self.get_queryset().filter(pk=ticket.pk).first()
        if row is None:
            row = _with_shown(Ticket.objects.all()).get(pk=ticket.pk)
        return Response(serializer_class(row, context={**self.get_serializer_context(), **context}).data,
                        status=code)

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request, *args, **kwargs):
        params = TicketCreateSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        if not customer_list(user=request.user).filter(pk=data["customer"].pk).exists():
            raise ValidationError({"customer": [str(MSG_CUSTOMER_NOT_VISIBLE)]})
        fields_data = data.pop("fields")
        if data["assign_to_me"] and not may_work(request.user):
            raise ValidationError({"assign_to_me": [str(MSG_ASSIGN_TO_ME_NOT_AGENT)]})
        # The 新建工单 page's service: same routing, and a ticket routed to no queue stays with whoever logged it.
        ticket = ticket_log_with_fields(organization=request.user.organization, actor=request.user,
                                        fields_data=fields_data, **data)
        return self._answer(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=TicketUpdateSerializer, responses=TicketSerializer)
    def partial_update(self, request, *args, **kwargs):
        ticket = self.get_object()
        params = TicketUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        ticket = services.ticket_update_details(ticket=ticket, actor=request.user, **params.validated_data)
        return self._answer(ticket)

    @extend_schema(request=TicketAssignSerializer, responses=TicketAssignedSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def assign(self, request, pk=None):
        """Give the ticket to a colleague (supervisors), or take it yourself; `null` puts it back in the pool
        (supervisors, or the agent holding it). The same rule as the workspace (tickets.permissions.may_assign).
        An assignee who is not online or now holds more open tickets than their limit still gets the ticket; the
        answer's `warnings` say so, as the ticket page does."""
        self._require(may_work)
        ticket = self.get_object()
        params = TicketAssignSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        assignee_id = params.validated_data["assignee"]
        assignee = None
        if assignee_id is not None:
            # Whom the ticket page's 指派 offers (agents with a profile), not any user of the organization.
            assignee = selectors.assignable_users().filter(pk=assignee_id).first()
            if assignee is None:
                known = User.objects.filter(is_active=True, pk=assignee_id).exists()
                raise ValidationError({"assignee": [str(MSG_ASSIGNEE_NOT_AGENT if known else MSG_ASSIGNEE_NOT_FOUND)]})
        if not may_assign(request.user, ticket=ticket, assignee=assignee):
            raise PermissionDenied
        ticket = services.ticket_assign(ticket=ticket, assignee=assignee, actor=request.user)
        warnings = selectors.assignee_workload_warnings(assignee=assignee) if assignee is not None else []
        return self._answer(ticket, serializer_class=TicketAssignedSerializer, warnings=warnings)

    @extend_schema(request=TicketTransferSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def transfer(self, request, pk=None):
        """Move the ticket to another queue (and its team), with a reason."""
        self._require(may_work)
        ticket = self.get_object()
        params = TicketTransferSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        return self._answer(services.ticket_transfer(ticket=ticket, actor=request.user, **params.validated_data))

    @extend_schema(request=TicketReplySerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def reply(self, request, pk=None):
        """A public reply to the customer or (`public: false`) an internal note; files as multipart
        `attachments`. @mentions notify colleagues."""
        self._require(may_reply)
        ticket = self.get_object()
        params = TicketReplySerializer(data=request.data)
        params.is_valid(raise_exception=True)
        comment = services.ticket_reply(ticket=ticket, author=request.user, **params.validated_data)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TicketSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def resolve(self, request, pk=None):
        """Resolve the ticket; the customer is sent a satisfaction rating link."""
        self._require(may_work)
        ticket = services.ticket_change_status(ticket=self.get_object(), status=Ticket.Status.RESOLVED,
                                               actor=request.user)
        return self._answer(ticket)

    @extend_schema(request=TicketStatusSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], url_path="status", permission_classes=[IsAuthenticated])
    def change_status(self, request, pk=None):
        """Move the ticket to another status (only the moves the lifecycle allows)."""
        self._require(may_work)
        ticket = self.get_object()
        params = TicketStatusSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        ticket = services.ticket_change_status(ticket=ticket, status=params.validated_data["status"],
                                               actor=request.user)
        return self._answer(ticket)

    @extend_schema(responses=TicketEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """The ticket's timeline and audit trail, oldest first."""
        if not request.user.has_perm("tickets.view_ticketevent"):
            raise PermissionDenied
        events = selectors.ticket_events(ticket=self.get_object())
        page = self.paginate_queryset(events)
        return self.get_paginated_response(TicketEventSerializer(page, many=True).data)
