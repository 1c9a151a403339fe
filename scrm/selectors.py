"""Read queries of people and places, shaped for pages and the API (customers have theirs in
scrm.customers.selectors). Tenant models are scoped by the open scope."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Count, Prefetch, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user
from rest_framework.authtoken.models import Token

from scrm.models import AgentProfile, Organization, Region, Role, Team, User
from scrm.platform import console
from scrm.platform.access import user_has_role, user_roles


def region_list():
    return Region.objects.select_related("parent").annotate(child_count=Count("children"))


def team_list():
    return Team.objects.select_related("leader").annotate(agent_count=Count("agents"))


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


# Roles that see every region of their organization; the others see the regions their agent profile serves.
_ALL_REGION_ROLES = {Role.OPS_ADMIN, Role.FINANCE, Role.VIEWER}


def region_scope_q(*, user, lookup="region"):
    """A Q that limits rows with a region foreign key (`lookup`) to what the user's role may see.

    Ops admins, finance and viewers see the whole organization. Supervisors and agents see the regions their agent
    profile serves and, for supervisors, the regions they manage (django-guardian object permission
    `scrm.manage_region`), each with its whole subtree (a province includes its cities), plus rows with no region.
    A supervisor or agent with no regions at all is not limited (the organization is small or unregioned).
    Later apps combine it with their own filters: `Ticket.objects.filter(region_scope_q(user=u))`.
    """
    if user.is_superuser or set(user_roles(user)) & _ALL_REGION_ROLES:
        return Q()
    paths = set(Region.objects.filter(agents__user=user).values_list("path", flat=True))
    if user_has_role(user, Role.SUPERVISOR):
        managed = get_objects_for_user(user, "scrm.manage_region", klass=Region.objects.all(),
                                       accept_global_perms=False, with_superuser=False)
        paths |= set(managed.values_list("path", flat=True))
    if not paths:
        return Q()
    condition = Q(**{f"{lookup}__isnull": True})
    for path in sorted(paths):
        condition |= Q(**{f"{lookup}__path__startswith": path})
    return condition


def api_token_of(*, user):
    """The user's API token (its creation time and last four characters are what the page shows), or None."""
    return Token.objects.filter(user=user).only("created", "key").first()


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
