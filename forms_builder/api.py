"""`/api/v1/forms/`: the published schemas (read-only) and, per form, its submissions (list, and create with the
same validation as the public page: `form_submit`).

A client that retries a submission (a timeout, a lost answer) sends the same `Idempotency-Key` header: the key is
the submission's one-time key (`FormSubmission.submit_key`, unique per form), so a retry answers the first
submission (200, the body the first send got with its 201) and makes no second submission, ticket or webhook."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from forms_builder.errors import MSG_IDEMPOTENCY_KEY_INVALID, MSG_NOT_ALLOWED, FormError
from forms_builder.filters import answer_filterset
from forms_builder.models import Form, FormSubmission
from forms_builder.permissions import masks_mobiles, may_read_forms_module
from forms_builder.selectors import (
    answer_fields,
    form_submissions,
    region_choices_for,
    submission_by_key,
    submission_data,
)
from forms_builder.services import form_submit
from scrm.api import TenantReadOnlyViewSet


class FormSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="current_version.number", allow_null=True, read_only=True)
    schema = serializers.JSONField(source="current_version.schema", allow_null=True, read_only=True)

    class Meta:
        model = Form
        fields = ["id", "name", "slug", "purpose", "status", "version", "schema"]


class SubmissionSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = FormSubmission
        fields = ["id", "version", "data", "customer", "source", "outcome", "created_at"]

    def to_representation(self, instance):
        # Answers to mobile fields masked for a caller the customer pages would show them masked to.
        out = super().to_representation(instance)
        out["data"] = submission_data(instance, masked=self.context.get("masked", True))
        return out


class SubmissionPageSerializer(serializers.Serializer):
    """A page of submissions (the house PageNumberPagination)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SubmissionSerializer(many=True)


class SubmissionCreateSerializer(serializers.Serializer):
    data = serializers.DictField(help_text="Answers by field key, as the public page posts them.")


IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = FormSubmission._meta.get_field("submit_key").max_length
IDEMPOTENCY_KEY_CHARACTERS = re.compile(r"[\x21-\x7e]*")  # nothing a log, a URL or the database could mangle
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, location=OpenApiParameter.HEADER, required=False,
    description=(f"POST only. A key of your choosing (at most {IDEMPOTENCY_KEY_MAX} characters, e.g. a UUID) that "
                 "names this submission. Sent again with the same form (a retry after a timeout), it answers the "
                 "first submission with 200 and the body the first 201 gave; nothing is submitted twice. Keys are "
                 "per form: the same key on another form is another submission. Too long, or holding anything "
                 "but visible ASCII characters: 400."))


class FormViewSet(TenantReadOnlyViewSet):
    model = Form
    serializer_class = FormSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def scoped_queryset(self):
        return Form.objects.select_related("current_version").order_by("name", "pk")

    def check_permissions(self, request):
        super().check_permissions(request)
        # Reading is the pages' rule (forms.permissions); sending a submission is checked by its own right below.
        reading = request.method in ("GET", "HEAD", "OPTIONS")
        if reading and request.user.is_authenticated and not may_read_forms_module(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)

    @extend_schema(methods=["GET"], responses={200: SubmissionPageSerializer})
    @extend_schema(methods=["POST"], request=SubmissionCreateSerializer, parameters=[IDEMPOTENCY_PARAMETER],
                   responses={200: SubmissionSerializer, 201: SubmissionSerializer})
    @action(detail=True, methods=["get", "post"], url_path="submissions", permission_classes=[IsAuthenticated])
    def submissions(self, request, slug=None):
        # Adding a submission is not adding a form: the model permissions of Form do not apply here.
        if not request.user.has_perm("forms_builder.view_form"):
            raise PermissionDenied(MSG_NOT_ALLOWED)
        form = self.get_object()
        if request.method == "GET":
            if not request.user.has_perm("forms_builder.view_formsubmission"):
                raise PermissionDenied(MSG_NOT_ALLOWED)
            # Newest first, in the house pages (`?page=`), filtered on answers as the submissions list is ("a_<key>").
            specs = answer_fields(form)
            rows = answer_filterset(specs, regions=region_choices_for({"sections": [{"fields": specs}]}))(
                request.query_params or None, queryset=form_submissions(form)).qs
            page = self.paginate_queryset(rows)
            return self.get_paginated_response(
                SubmissionSerializer(page, many=True, context={"masked": masks_mobiles(request.user)}).data)
        if not request.user.has_perm("forms_builder.add_formsubmission"):
            raise PermissionDenied(MSG_NOT_ALLOWED)
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if len(key) > IDEMPOTENCY_KEY_MAX or not IDEMPOTENCY_KEY_CHARACTERS.fullmatch(key):
            return Response({"detail": MSG_IDEMPOTENCY_KEY_INVALID % {"max": IDEMPOTENCY_KEY_MAX}},
                            status=status.HTTP_400_BAD_REQUEST)
        context = {"masked": masks_mobiles(request.user)}
        # A retry of a submission already made answers it, whatever it carries now. Only a shortcut: of two sends
        # at once, form_submit's unique key makes one submission and tells the second it was sent before.
        sent = submission_by_key(form=form, key=key)
        if sent is not None:
            return Response(SubmissionSerializer(sent, context=context).data, status=status.HTTP_200_OK)
        given = SubmissionCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            submission = form_submit(form=form, data=given.validated_data["data"],
                                     source=FormSubmission.Source.API, actor=request.user, submit_key=key)
        except FormError as exc:
            return Response({"detail": str(exc), "problems": exc.problems}, status=status.HTTP_400_BAD_REQUEST)
        return Response(SubmissionSerializer(submission, context=context).data,
                        status=status.HTTP_200_OK if submission.sent_before else status.HTTP_201_CREATED)
