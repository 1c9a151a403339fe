from rest_framework import serializers

from scrm.models import AgentProfile, Region, Team, User
from scrm.platform.access import user_custom_roles, user_roles
from scrm.text import clean_text


class CleanTextMixin:
    """Input text without control characters (scrm.text.clean_text), whatever field it came in. DRF's CharField
    already refuses NUL and lone surrogates with a 400."""

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        return {name: clean_text(value) for name, value in values.items()}


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "code", "level", "parent", "path"]


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "code", "kind", "parent", "leader"]


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "is_active", "roles"]

    def get_roles(self, obj) -> list[str]:
        return [g.name for g in obj.groups.all()]


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    custom_roles = serializers.SerializerMethodField()
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "organization", "roles", "custom_roles"]

    def get_roles(self, obj) -> list[str]:
        return [role.value for role in user_roles(obj)]

    def get_custom_roles(self, obj) -> list[str]:
        """The active roles of the user's organization they hold, by name."""
        return [role.name for role in user_custom_roles(obj)]


class AgentProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgentProfile
        fields = ["id", "user", "team", "regions", "skills", "max_open_tickets", "supervisor", "status"]
