"""The customers API's serializers: personal data masked unless the caller may reveal it."""

import json

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from scrm.customers.phones import InvalidMobile, mask_mobile, mask_name, normalize_mobile
from scrm.customers.selectors import customer_owner_choices, customer_with_mobile
from scrm.customers.services import customer_notes_validator
from scrm.models import Channel, ChannelIdentity, Customer, Region
from scrm.serializers import CleanTextMixin
from scrm.text import MSG_UNSTORABLE, clean_tree, is_storable

# A channel profile (nickname, avatar, city...) is a few hundred bytes; anything near this is not a profile.
PROFILE_MAX_BYTES = 16 * 1024
MSG_PROFILE_TOO_LARGE = _("The profile is larger than %(limit)s KB.")
MSG_PROFILE_TOO_DEEP = _("The profile may nest objects at most %(limit)s levels deep.")
PROFILE_MAX_DEPTH = 5
# The create and edit pages' refusal of a mobile another customer has (scrm.customers.forms.MSG_MOBILE_HELD), in the
# API's words.
MSG_MOBILE_HELD_API = _("%(name)s already has this mobile: merge them if they are the same person, or send "
                        "\"keep_duplicate_mobile\": true if this is someone else.")


class ChannelIdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = ChannelIdentity
        fields = ["channel", "app_id", "external_id", "union_id"]


class CustomerSerializer(CleanTextMixin, serializers.ModelSerializer):
    """A customer as the API shows it: mobile and real name masked unless the caller may reveal them (and then
    the reveal is logged by the view)."""

    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    identities = ChannelIdentitySerializer(many=True, read_only=True)
    mobile = serializers.CharField(required=False, allow_blank=True,
                                   help_text=_("On a change, empty keeps the stored mobile (as the edit page)."))
    # The edit page's limit and message (customer_notes_validator); the service checks it again for every caller.
    notes = serializers.CharField(required=False, allow_blank=True, validators=[customer_notes_validator])
    keep_duplicate_mobile = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text=_("Save a mobile another customer already has: this is a different person."))

    class Meta:
        model = Customer
        fields = ["id", "display_name", "real_name", "mobile", "email", "region", "level", "owner",
                  "source_channel", "notes", "tags", "identities", "first_contact_at", "last_contact_at",
                  "created_at", "merged_into", "keep_duplicate_mobile"]
        read_only_fields = ["first_contact_at", "last_contact_at", "created_at", "merged_into", "source_channel"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["region"].queryset = Region.objects.all()
            # As the pages offer: who may own a customer (and the one who owns this one).
            keep = self.instance.owner_id if isinstance(self.instance, Customer) else None
            self.fields["owner"].queryset = customer_owner_choices(keep=keep)

    def validate_mobile(self, value):
        try:
            return normalize_mobile(value)
        except InvalidMobile as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate(self, attrs):
        """One person stays one customer: a mobile another live customer has is refused, as the create and edit
        pages refuse it (the same `customer_with_mobile`), unless the caller says this is someone else."""
        attrs = super().validate(attrs)
        keep = attrs.pop("keep_duplicate_mobile", False)
        holder = customer_with_mobile(mobile=attrs.get("mobile"),
                                      exclude_pk=self.instance.pk if isinstance(self.instance, Customer) else None)
        if holder is not None and not keep:
            raise serializers.ValidationError({"mobile": [MSG_MOBILE_HELD_API % {"name": holder.display_name}]})
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        revealed = self.context.get("revealed_fields", ())
        if "mobile" not in revealed:
            data["mobile"] = mask_mobile(instance.mobile)
        if "real_name" not in revealed:
            data["real_name"] = mask_name(instance.real_name)
        return data


def _depth(value, level=0):
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


class CustomerResolveSerializer(CleanTextMixin, serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    # The lengths of the columns they land in (ChannelIdentity): a longer value is a 400, not a database error.
    app_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    external_id = serializers.CharField(max_length=128)
    union_id = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    mobile = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    profile = serializers.DictField(required=False, default=dict)

    def validate_profile(self, value):
        """Stored as JSON: PostgreSQL refuses NUL and lone surrogates in it (a 500 before), so they are a 400."""
        if not is_storable(value):
            raise serializers.ValidationError(MSG_UNSTORABLE)
        if _depth(value) > PROFILE_MAX_DEPTH:
            raise serializers.ValidationError(MSG_PROFILE_TOO_DEEP % {"limit": PROFILE_MAX_DEPTH})
        if len(json.dumps(value, ensure_ascii=False).encode()) > PROFILE_MAX_BYTES:
            raise serializers.ValidationError(MSG_PROFILE_TOO_LARGE % {"limit": PROFILE_MAX_BYTES // 1024})
        return clean_tree(value)
