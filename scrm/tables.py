import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from scrm.models import Region, Role, Team, User


class RegionTable(tables.Table):
    parent = tables.Column(verbose_name=_("Parent"), accessor="parent__name", default="—")
    child_count = tables.Column(verbose_name=_("Sub-regions"), orderable=False)

    class Meta:
        model = Region
        fields = ("name", "code", "level", "parent", "child_count")
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = _("No regions yet. Add the first one under Settings → Regions.")


class TeamTable(tables.Table):
    parent = tables.Column(verbose_name=_("Parent team"), default="—")
    leader = tables.Column(verbose_name=_("Leader"), default="—")
    agent_count = tables.Column(verbose_name=_("Agents"), orderable=False)

    class Meta:
        model = Team
        fields = ("name", "code", "kind", "parent", "leader", "agent_count")
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = _("No teams yet.")


class UserTable(tables.Table):
    roles = tables.Column(verbose_name=_("Roles"), empty_values=(), orderable=False)
    team = tables.Column(verbose_name=_("Team"), accessor="agent_profile__team__name", default="—")

    class Meta:
        model = User
        fields = ("username", "display_name", "email", "roles", "team", "is_active", "last_login")
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = _("No users yet.")

    def render_roles(self, record):
        labels = [Role(g.name).label for g in record.groups.all() if g.name in Role.values]
        return str(_(", ")).join(str(label) for label in labels) or "—"
