"""REST shapes of tickets: what a ticket looks like on the wire, and the input of each action (the services do
the work; these only parse and check shapes). Related ids are looked up in the caller's organization scope."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from forms_builder.permissions import masks_mobiles
from forms_builder.selectors import submission_data
from scrm.models import Channel, Customer, Tag, User
from scrm.serializers import CleanTextMixin
from scrm.text import MSG_UNSTORABLE, clean_tree, is_storable
from tickets.models import Attachment, Comment, Queue, Ticket, TicketEvent, TicketType
from tickets.services.lifecycle import transfer_reason_validator


class _Ref(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class _UserRef(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name"]


class _CustomerRef(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "display_name", "level"]


class TicketSerializer(serializers.ModelSerializer):
    customer = _CustomerRef(read_only=True)
    assignee = _UserRef(read_only=True)
    type = _Ref(read_only=True, allow_null=True)
    queue = _Ref(read_only=True, allow_null=True)
    team = _Ref(read_only=True, allow_null=True)
    region = _Ref(read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    # Not get_fields (a serializer's own method): the method is named.
    fields = serializers.SerializerMethodField(method_name="custom_fields_of", help_text=_(
        "The current custom-field values by field key (answers to mobile fields masked for a role the ticket page "
        "masks them for)."))

    class Meta:
        model = Ticket
        fields = [
            "id", "number", "subject", "description", "status", "priority", "channel", "source_ref", "customer",
            "type", "queue", "team", "region", "assignee", "tags", "parent", "merged_into", "order_number",
            "created_at", "updated_at", "assigned_at", "first_response_at", "resolved_at", "closed_at", "fields",
        ]
        read_only_fields = fields

    def _masked(self):
        # The ticket page's rule (tickets.views_forms: masks_mobiles); masked when nobody is known to ask.
        if "masked" not in self.context:
            request = self.context.get("request")
            self.context["masked"] = masks_mobiles(request.user) if request is not None else True
        return self.context["masked"]

    def custom_fields_of(self, obj) -> dict:
        current = getattr(obj, "current_field_answers", None)
        if current is None:
            current = list(obj.field_answers.filter(is_current=True).select_related("submission__version"))
        return submission_data(current[0].submission, masked=self._masked()) if current else {}


class TicketAssignedSerializer(TicketSerializer):
    """The ticket as assigned, with what the workspace warns the supervisor about the assignee's workload."""

    warnings = serializers.SerializerMethodField(method_name="workload_warnings", help_text=_(
        "What the ticket page warns about the assignee after an assignment (not online, over their limit of open "
        "tickets), in the language of the request; empty when there is nothing to say. The assignment stands."))

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "warnings"]
        read_only_fields = fields

    def workload_warnings(self, obj) -> list[str]:
        return [str(warning) for warning in self.context.get("warnings", ())]


def _scoped(model):
    # The manager, not a queryset: DRF calls .all() on it per request, inside the request's organization scope (a
    # queryset built here would keep the scope open at import time, if any).
    return model.objects


class TicketCreateSerializer(CleanTextMixin, serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=_scoped(Customer))
    subject = serializers.CharField(max_length=200)
    # The 新建工单 form's limit (TicketLogForm.description).
    description = serializers.CharField(required=False, allow_blank=True, default="",
                                        max_length=Comment.BODY_MAX_LENGTH)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.MANUAL)
    source_ref = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    type = serializers.PrimaryKeyRelatedField(queryset=_scoped(TicketType), required=False, allow_null=True,
                                              default=None)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False, allow_null=True,
                                       default=None)
    tags = serializers.PrimaryKeyRelatedField(queryset=_scoped(Tag), many=True, required=False, default=list)
    order_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    fields = serializers.DictField(
        required=False, default=dict,
        help_text=_("The ticket type's custom fields, by field key as the New ticket page names them, checked as "
                    "that page checks them (a required field missing refuses the ticket)."))
    assign_to_me = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Give the ticket to the caller instead of the queue's strategy, as the New ticket page's "
                    "“Assign to me” does: refused when the caller is not an agent of the queue it lands in."))

    def validate_fields(self, value):
        if not is_storable(value):
            raise serializers.ValidationError(MSG_UNSTORABLE)
        return clean_tree(value)


class TicketUpdateSerializer(CleanTextMixin, serializers.Serializer):
    subject = serializers.CharField(max_length=200, required=False)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    type = serializers.PrimaryKeyRelatedField(queryset=_scoped(TicketType), required=False, allow_null=True)
    tags = serializers.PrimaryKeyRelatedField(queryset=_scoped(Tag), many=True, required=False)


class TicketAssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(allow_null=True, help_text=_("A user id; null puts the ticket back in "
                                                                     "its queue's pool."))


class TicketTransferSerializer(CleanTextMixin, serializers.Serializer):
    queue = serializers.PrimaryKeyRelatedField(queryset=_scoped(Queue))
    # The ticket page's limit and words (the service checks it again).
    reason = serializers.CharField(allow_blank=True, validators=[transfer_reason_validator])


class TicketReplySerializer(CleanTextMixin, serializers.Serializer):
    body = serializers.CharField(allow_blank=True, default="", trim_whitespace=False,
                                 max_length=Comment.BODY_MAX_LENGTH)
    public = serializers.BooleanField(default=True, help_text=_("False: an internal note."))
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class TicketStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "sha256", "url"]

    def get_url(self, obj) -> str:
        return reverse("files:attachment-download", kwargs={"pk": obj.pk})


class CommentSerializer(serializers.ModelSerializer):
    author = _UserRef(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "ticket", "is_public", "author", "customer", "body", "channel", "attachments",
                  "created_at"]
        read_only_fields = fields


class TicketEventSerializer(serializers.ModelSerializer):
    actor = _UserRef(read_only=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor", "before", "after", "comment", "created_at"]
        read_only_fields = fields
