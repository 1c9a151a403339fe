"""Read queries of people and places, shaped for pages and the API (customers have theirs in
scrm.customers.selectors). Tenant models are scoped by the open scope."""

from django.db.models import Count, Prefetch, Q
from guardian.shortcuts import get_objects_for_user
from rest_framework.authtoken.models import Token

from scrm.models import AgentProfile, Region, Role, Team, User
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
