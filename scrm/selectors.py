"""Read queries of people and places, shaped for pages and the API (customers have theirs in
scrm.customers.selectors). Tenant models are scoped by the open scope."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.apps import apps
from django.db.models import Count, Prefetch, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import get_objects_for_user
from rest_framework.authtoken.models import Token

from scrm.models import (
    AgentProfile,
    CustomRole,
    CustomRoleChange,
    CustomRolePermission,
    DataScope,
    MaskedField,
    Organization,
    Region,
    Role,
    SettingsChange,
    Team,
    User,
)
from scrm.platform import console
from scrm.platform.access import (
    customer_scope_providers,
    user_custom_roles,
    user_data_scopes,
    user_has_role,
    user_manages_staff,
    user_roles,
)
from scrm.platform.navigation import NAV_ITEMS
from scrm.platform.roles import (
    MODULE_ROLES,
    PRESET_MASKED_FIELDS,
    ROLE_PERMISSIONS,
    grantable_permissions,
    permission_codename,
)


def region_list():
    return Region.objects.select_related("parent").annotate(child_count=Count("children"))


def team_list():
    return Team.objects.select_related("leader", "parent").annotate(agent_count=Count("agents"))


def team_tree_ids(team_ids):
    """The ids of `team_ids` and of every team below them (sub-teams, their sub-teams, ...): one query over the
    organization's teams (a short table), walked here."""
    wanted = set(team_ids)
    if not wanted:
        return set()
    children = {}
    for pk, parent_id in Team.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(), list(wanted)
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children.get(pk, ()))
    return found


def organization_users():
    """Staff of the organization of the open scope with their roles and agent profile, for the settings page."""
    return (
        User.objects.all()
        .select_related("agent_profile__team")
        .prefetch_related("groups")
        .order_by("username")
    )


def agent_profile_list():
    return AgentProfile.objects.select_related("user", "team", "supervisor").prefetch_related(
        Prefetch("regions", queryset=Region.objects.only("id", "name")), "skills"
    )


def organization_summary():
    return {
        "regions": Region.objects.count(),
        "teams": Team.objects.count(),
        "users": User.objects.filter(is_active=True).count(),
        "agents": AgentProfile.objects.count(),
    }


# Roles that see every region of their organization (and the rows with no region); supervisors and agents see the
# regions their agent profile serves and, for supervisors, the regions they manage.
_ALL_REGION_ROLES = {Role.OPS_ADMIN, Role.FINANCE, Role.VIEWER}


def user_sees_every_region(user):
    return user.is_superuser or bool(set(user_roles(user)) & _ALL_REGION_ROLES)


def _preset_region_paths(user):
    """Paths of the regions a supervisor or agent serves (agent profile) or, for a supervisor, manages
    (django-guardian object permission `scrm.manage_region`); read once per request (cached on the user)."""
    cached = getattr(user, "_scrm_preset_region_paths", None)
    if cached is None:
        paths = set(Region.objects.filter(agents__user=user).values_list("path", flat=True))
        if user_has_role(user, Role.SUPERVISOR):
            managed = get_objects_for_user(user, "scrm.manage_region", klass=Region.objects.all(),
                                           accept_global_perms=False, with_superuser=False)
            paths |= set(managed.values_list("path", flat=True))
        cached = user._scrm_preset_region_paths = sorted(paths)
    return cached


def _organization_has_regions(user):
    cached = getattr(user, "_scrm_org_has_regions", None)
    if cached is None:
        cached = user._scrm_org_has_regions = Region.objects.exists()
    return cached


def region_scope_q(*, user, lookup="region"):
    """A Q of the rows with a region foreign key (`lookup`) that the user's preset role sees *by region*.

    Ops admins, finance and viewers: every row, with a region or none. Supervisors and agents: the rows whose region
    lies in a region they serve or manage, or below it (a province includes its cities); never a row with no
    region, and nothing at all for a user with no region: no row is reached through missing data. (An organization
    that has defined no region at all does not divide by region: there, Q() for everyone.) Supervisors and
    agents reach further rows through their queues and teams (`queue_region_q`) and what is theirs; a page that
    shows rows by region alone (`Customer`, `Order`) adds those itself.
    """
    if user_sees_every_region(user):
        return Q()
    paths = _preset_region_paths(user)
    if not paths:
        # An organization with no region at all does not divide its work by region: nothing is missing there.
        return Q(pk__in=[]) if _organization_has_regions(user) else Q()
    condition = Q(**{f"{lookup}__path__startswith": paths[0]})
    for path in paths[1:]:
        condition |= Q(**{f"{lookup}__path__startswith": path})
    return condition


def queue_region_q(*, user, lookup="region"):
    """Narrows rows already limited to a supervisor's or agent's queues and teams (tickets) by their regions: a row
    with a region outside theirs is hidden; a row with no region stays (their queue routed it to them). A user with
    no region is not narrowed: their queues are their whole scope. Q() for those who see every region."""
    if user_sees_every_region(user) or not _preset_region_paths(user):
        return Q()
    return region_scope_q(user=user, lookup=lookup) | Q(**{f"{lookup}__isnull": True})


def regions_in_reach(*, user):
    """The regions `queue_region_q` keeps a supervisor's or agent's rows to: those they serve or manage and every
    region below them, in path order. Every region for those it does not narrow (who sees every region, a user
    with no region)."""
    regions = Region.objects.order_by("path")
    if user_sees_every_region(user) or not _preset_region_paths(user):
        return regions
    paths = _preset_region_paths(user)
    condition = Q(path__startswith=paths[0])
    for path in paths[1:]:
        condition |= Q(path__startswith=path)
    return regions.filter(condition)


def customer_filter_regions(*, user):
    """The regions the customer list's filter offers: those in the user's reach (`regions_in_reach`, the rule
    `customer_visible_q` keeps a supervisor's or agent's customers to), in path order. Every region for the holder
    of a custom role, whose data scope is not a set of regions."""
    if user_custom_roles(user):
        return Region.objects.order_by("path")
    return regions_in_reach(user=user)


# --- data scopes of custom roles ----------------------------------------------------------------------------------
#
# A custom role's data scope, for one kind of row (tickets, customers):
# - own: rows that are the user's (assigned tickets, owned customers);
# - own team: rows of the teams the user belongs to (agent profile) or leads;
# - team and its sub-teams: the same teams and every team below them (`Team.parent`, walked by `team_tree_ids`);
# - own region: rows of exactly the regions the user serves (agent profile) or manages (guardian grant);
# - region and its sub-regions: the same regions with their subtrees;
# - whole organization: every row.
# Unlike the preset supervisor's and agent's rule, a scoped custom role never shows rows with no region or team, and
# a user with no region or team sees only their own rows under it: no data is reached by the absence of data.
# Every scope includes the user's own rows. The scopes of all roles held add up (the widest wins).

ALL_ROWS = object()  # "no limit": Q() cannot stand for it, as Q() | Q(x) is Q(x)


def _scope_team_ids(user):
    return Team.objects.filter(Q(leader=user) | Q(agents__user=user)).values("pk")


def _scope_team_tree_ids(user):
    """The user's teams (member or leader) and all their sub-teams, as a list; read once per request."""
    cached = getattr(user, "_scrm_scope_team_tree", None)
    if cached is None:
        own = Team.objects.filter(Q(leader=user) | Q(agents__user=user)).values_list("pk", flat=True)
        cached = user._scrm_scope_team_tree = sorted(team_tree_ids(own))
    return cached


def _scope_regions(user):
    """(pk, path) of the regions the user serves or manages; read once per request (cached on the user object)."""
    cached = getattr(user, "_scrm_scope_regions", None)
    if cached is None:
        served = Region.objects.filter(agents__user=user).values_list("pk", "path")
        managed = get_objects_for_user(user, "scrm.manage_region", klass=Region.objects.all(),
                                       accept_global_perms=False, with_superuser=False).values_list("pk", "path")
        cached = user._scrm_scope_regions = sorted(set(served) | set(managed))
    return cached


def custom_scope_q(*, user, permission, own, team, region="region"):
    """The rows the user's custom roles granting `permission` let them see: ALL_ROWS, a Q, or None when they hold no
    such role. `own` is the Q of the user's own rows, `team(team_ids)` builds the Q of a set of teams' rows, and
    `region` is the lookup of the row's region."""
    scopes = user_data_scopes(user, permission)
    if not scopes:
        return None
    if DataScope.ORGANIZATION in scopes:
        return ALL_ROWS
    condition = own
    if DataScope.TEAM_TREE in scopes:
        condition |= team(_scope_team_tree_ids(user))
    elif DataScope.TEAM in scopes:
        condition |= team(_scope_team_ids(user))
    if scopes & {DataScope.REGION, DataScope.REGION_TREE}:
        regions = _scope_regions(user)
        if DataScope.REGION_TREE in scopes:
            for _pk, path in regions:
                condition |= Q(**{f"{region}__path__startswith": path})
        elif regions:
            condition |= Q(**{f"{region}__in": [pk for pk, _path in regions]})
    return condition


def combine_scopes(*conditions):
    """One Q from the Qs (or ALL_ROWS, or None for "this role kind gives nothing") of the roles a user holds."""
    held = [c for c in conditions if c is not None]
    if any(c is ALL_ROWS for c in held):
        return Q()
    if not held:
        return Q(pk__in=[])
    combined = held[0]
    for condition in held[1:]:
        combined |= condition
    return combined


def customer_visible_q(*, user):
    """A Q of the customers the user may see: the one rule of the customer pages, the API and exports.

    Preset roles: ops admins, finance and viewers every customer; supervisors and agents the customers of their
    regions (`region_scope_q`: never one with no region by region alone), those they own, and those of the tickets
    their role shows them (registered by the tickets app: `register_customer_scope`). Custom roles granting
    "scrm.view_customer": their data scope (own = customers the user owns, team = customers owned by the team's
    members). A user with neither sees none.
    """
    if user.is_superuser:
        return Q()
    preset = None
    if user_sees_every_region(user):
        preset = ALL_ROWS
    elif user_roles(user):
        by_region = region_scope_q(user=user)
        if not by_region:  # Q(): an organization with no region
            preset = ALL_ROWS
        else:
            preset = by_region | Q(owner=user)
            for contribute in customer_scope_providers():
                preset |= contribute(user)
    custom = custom_scope_q(user=user, permission="scrm.view_customer", own=Q(owner=user),
                            team=lambda teams: Q(owner__agent_profile__team__in=teams))
    return combine_scopes(preset, custom)


def api_token_of(*, user):
    """The user's API token (its creation time and last four characters are what the page shows), or None."""
    return Token.objects.filter(user=user).only("created", "key").first()


# --- the roles page ---------------------------------------------------------------------------------------------

_ACTION_LABELS = {"view": _("view"), "add": _("add"), "change": _("change"), "delete": _("delete")}


def permission_label(app_label, codename):
    """"Customer: view" from the model's (translated) name; a custom permission's own translated label."""
    for action, label in _ACTION_LABELS.items():
        prefix = f"{action}_"
        if codename.startswith(prefix):
            try:
                model = apps.get_model(app_label, codename[len(prefix):])
            except LookupError:
                break
            return f"{capfirst(model._meta.verbose_name)}: {label}"
    for model in apps.get_app_config(app_label).get_models():
        for custom_codename, custom_label in model._meta.permissions:
            if custom_codename == codename:
                return str(custom_label)
    return codename


def permission_groups():
    """What a custom role may grant, grouped for the form: [(app verbose name, [("app.codename", label), ...])]."""
    groups = []
    for app_label, models in grantable_permissions().items():
        choices = [(f"{app_label}.{code}", permission_label(app_label, code))
                   for codes in models.values() for code in codes]
        groups.append((str(apps.get_app_config(app_label).verbose_name), choices))
    return groups


def preset_role_summaries():
    """The five preset roles as the roles page shows them (read-only): modules, permissions, data scope, masks."""
    summaries = []
    for role in Role:
        permissions = []
        for app_label, table in ROLE_PERMISSIONS.items():
            for model, actions in table.get(role, {}).items():
                permissions += [permission_label(app_label, permission_codename(model, a)) for a in actions]
        summaries.append({
            "role": role, "label": role.label,
            "modules": [item.label for item in NAV_ITEMS if role in MODULE_ROLES[item.module]],
            "permissions": permissions,
            "data_scope": PRESET_DATA_SCOPES[role],
            "masked": [MaskedField(f).label for f in MaskedField if f in PRESET_MASKED_FIELDS.get(role, ())],
        })
    return summaries


# What each preset role sees (the rules of ticket_visible_q and region_scope_q), for the roles page.
PRESET_DATA_SCOPES = {
    Role.OPS_ADMIN: _("Whole organization"),
    Role.SUPERVISOR: _("Their teams' and queues' tickets within their regions; the customers of their regions, "
                       "their own and those of their tickets"),
    Role.AGENT: _("Their queues' tickets within the regions they serve; the customers of those regions, their own "
                  "and those of their tickets"),
    Role.FINANCE: _("Whole organization (no tickets or customers pages)"),
    Role.VIEWER: _("Whole organization, read only"),
}


def custom_role_list():
    """The organization's custom roles with their holder count and grants, two queries."""
    return (CustomRole.objects.annotate(holder_count=Count("assignments", distinct=True))
            .prefetch_related(Prefetch("grants", queryset=CustomRolePermission.objects.select_related(
                "permission__content_type")))
            .order_by("-is_active", "name"))


def custom_role_get(*, pk):
    return CustomRole.objects.prefetch_related(
        Prefetch("grants", queryset=CustomRolePermission.objects.select_related("permission__content_type"))
    ).get(pk=pk)


def custom_role_permission_names(role):
    return sorted(f"{g.permission.content_type.app_label}.{g.permission.codename}" for g in role.grants.all())


def custom_role_holders(*, role):
    return User.objects.filter(custom_role_holdings__role=role).order_by("username")


def custom_role_assignable_users(*, role):
    return User.objects.filter(is_active=True).exclude(custom_role_holdings__role=role).order_by("username")


def custom_role_changes(*, role, limit=20):
    return CustomRoleChange.objects.filter(role=role).select_related("by", "user").order_by("-at", "-pk")[:limit]


# --- the platform console ---------------------------------------------------------------------------------------------

CONSOLE_DAYS = 14  # days of tickets and events per day
CONSOLE_ACTIVE_DAYS = 30  # a user who signed in within these days is active


@dataclass
class OrganizationFigures:
    """What the platform console shows of one organization."""

    organization: Organization
    admins: list = field(default_factory=list)  # usernames of its active ops admins
    users: int = 0  # active accounts
    active_users: int = 0  # of which signed in within CONSOLE_ACTIVE_DAYS
    daily: dict = field(default_factory=dict)  # {series key: [count per day, oldest first]}
    stored: dict = field(default_factory=dict)  # {files key: bytes}

    @property
    def daily_totals(self):
        return {key: sum(counts) for key, counts in self.daily.items()}

    @property
    def stored_bytes(self):
        return sum(self.stored.values())

    @property
    def stored_detail(self):
        """[(label, bytes)] per kind of file, in the order the apps registered them."""
        return [(item.label, self.stored.get(item.key, 0)) for item in console.stored_files()]


def console_days(*, now=None, days=CONSOLE_DAYS):
    """The last `days` days (Asia/Shanghai), oldest first, today included."""
    today = timezone.localdate(now or timezone.now())
    return [today - timedelta(days=back) for back in range(days - 1, -1, -1)]


def console_organizations(*, now=None, days=CONSOLE_DAYS, active_days=CONSOLE_ACTIVE_DAYS):
    """Every organization with its admins, active users, rows per day (tickets created, inbound events received:
    what the apps registered in scrm.platform.console) and the bytes of the files it stores.

    Cross-tenant: runs in the platform scope of the console. One GROUP BY over every organization per figure, so
    the number of queries does not grow with the organizations (nor with their rows)."""
    now = now or timezone.now()
    day_list = console_days(now=now, days=days)
    position = {day: index for index, day in enumerate(day_list)}
    start = datetime.combine(day_list[0], time.min, tzinfo=timezone.get_current_timezone())
    figures = {org.pk: OrganizationFigures(organization=org) for org in Organization.objects.order_by("name")}
    series, stores = console.daily_counts(), console.stored_files()
    for item in figures.values():
        item.daily = {s.key: [0] * days for s in series}
        item.stored = dict.fromkeys((s.key for s in stores), 0)

    staff = User.objects.filter(organization__isnull=False, is_active=True)
    admins = (staff.filter(groups__name=Role.OPS_ADMIN).order_by("organization_id", "username")
              .values_list("organization_id", "username"))
    for organization_id, username in admins:
        figures[organization_id].admins.append(username)
    since = now - timedelta(days=active_days)
    counts = (staff.order_by().values("organization_id")
              .annotate(total=Count("pk"), active=Count("pk", filter=Q(last_login__gte=since))))
    for row in counts:
        figures[row["organization_id"]].users = row["total"]
        figures[row["organization_id"]].active_users = row["active"]

    for item in series:
        rows = (item.model.objects.filter(**{f"{item.field}__gte": start}).order_by()
                .annotate(day=TruncDate(item.field)).values("organization_id", "day").annotate(n=Count("pk")))
        for row in rows:
            if row["day"] in position:
                figures[row["organization_id"]].daily[item.key][position[row["day"]]] = row["n"]

    for item in stores:
        rows = (item.model.objects.exclude(**{item.file_field: ""}).order_by().values("organization_id")
                .annotate(size=Sum(item.size_field)))
        for row in rows:
            figures[row["organization_id"]].stored[item.key] = row["size"] or 0
    return list(figures.values())


def agent_profiles_for(*, user):
    """The agent profiles a user may change on the agents page: all of the organization for who manages staff (ops
    admins), else those they supervise or whose team (or a sub-team of it) they lead."""
    profiles = AgentProfile.objects.select_related("user", "team", "supervisor").order_by("user__username")
    if user_manages_staff(user):
        return profiles
    led = team_tree_ids(Team.objects.filter(leader=user).values_list("pk", flat=True))
    return profiles.filter(Q(supervisor=user) | Q(team_id__in=led))


def region_children(*, parent=None):
    """One level of the region tree (the top when `parent` is None) with each node's number of sub-regions: the
    regions page walks a tree of thousands one level at a time."""
    return (Region.objects.filter(parent=parent).annotate(child_count=Count("children"))
            .order_by("name", "pk"))


def region_ancestors(region):
    """The regions above `region`, top first (one query through the materialised path of codes)."""
    codes = region.path.strip("/").split("/")[:-1]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[code] for code in codes if code in found]


def region_search(*, q, limit=50):
    q = q.strip()
    return (Region.objects.filter(Q(name__icontains=q) | Q(code__icontains=q))
            .annotate(child_count=Count("children")).order_by("path")[:limit])


def staff_search(*, q=""):
    """Staff accounts of the organization for the users page, found by username, name, email or mobile."""
    users = organization_users().prefetch_related("custom_role_holdings__role")
    q = q.strip()
    if q:
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q)
                             | Q(mobile__icontains=q))
    return users


def settings_changes_of(instance, *, limit=20):
    """The settings audit trail of one object, newest first."""
    return (SettingsChange.objects.filter(subject=instance._meta.label_lower, subject_id=instance.pk)
            .select_related("by")[:limit])
