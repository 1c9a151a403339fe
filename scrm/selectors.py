"""Read queries of the core app, shaped for pages and the API. Tenant models are scoped by the open scope."""

import hashlib

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q
from django.http import QueryDict
from guardian.shortcuts import get_objects_for_user
from rest_framework.authtoken.models import Token

from scrm.access import user_has_role, user_roles
from scrm.models import (
    AgentProfile,
    ChannelIdentity,
    Customer,
    CustomerMerge,
    PiiReveal,
    Region,
    Role,
    Segment,
    Tag,
    Team,
    User,
)
from scrm.paginators import capped_count


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


def customer_list(*, user=None, include_merged=False):
    """The customers a user may see (their regions, see region_scope_q), with what each row shows prefetched
    (tags, channels) in a fixed number of queries."""
    queryset = Customer.objects.select_related("region", "owner").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.only("id", "name", "color")),
        Prefetch("identities", queryset=ChannelIdentity.objects.only("id", "customer_id", "channel")),
    )
    if not include_merged:
        queryset = queryset.filter(merged_into__isnull=True)
    if user is not None:
        queryset = queryset.filter(region_scope_q(user=user))
    return queryset


def customer_detail(*, pk, user):
    return (
        Customer.objects.filter(region_scope_q(user=user)).select_related("region", "owner", "merged_into")
        .prefetch_related("tags__group", "identities")
        .get(pk=pk)
    )


def customer_duplicate_suggestions(*, customer, limit=5):
    """Other live customers who are probably the same person: same mobile, same union id, or the same name in
    the same city."""
    condition = Q()
    if customer.mobile:
        condition |= Q(mobile=customer.mobile)
    union_ids = [i.union_id for i in customer.identities.all() if i.union_id]
    if union_ids:
        condition |= Q(pk__in=ChannelIdentity.objects.filter(union_id__in=union_ids).values("customer_id"))
    name = customer.real_name or customer.display_name
    if customer.region_id and name:
        condition |= Q(region_id=customer.region_id) & (Q(real_name=name) | Q(display_name=name))
    if not condition:
        return []
    return list(
        Customer.objects.filter(condition, merged_into__isnull=True).exclude(pk=customer.pk)
        .select_related("region").order_by("pk")[:limit]
    )


def customer_relations():
    """Every reverse relation to Customer in any installed app (found through the model graph, so the core app
    needs no knowledge of the others), except the merge bookkeeping itself."""
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete:
            continue
        if rel.related_model in (CustomerMerge, Customer):
            continue
        yield rel


def customer_merge_preview(*, duplicate):
    """How many rows of each app would move from the duplicate to the primary: {model verbose name: count}."""
    counts = {}
    for rel in customer_relations():
        if rel.many_to_many:
            through = rel.through
            field = next(f for f in through._meta.fields if f.related_model is Customer)
            count = through._base_manager.filter(**{field.name: duplicate}).count()
            label = through._meta.verbose_name_plural
        else:
            count = rel.related_model._base_manager.filter(**{rel.field.name: duplicate}).count()
            label = rel.related_model._meta.verbose_name_plural
        if count:
            counts[str(label)] = counts.get(str(label), 0) + count
    return counts


SEGMENT_COUNT_CAP = 100_000
SEGMENT_COUNT_SECONDS = 60


def segment_list_with_counts(*, user):
    """Saved segments with their counts: counted up to 100,000, at most a minute old (one count per segment per
    minute, bounded by the segments, not the rows)."""
    from scrm.filters import CustomerFilter

    segments = list(Segment.objects.all())
    for segment in segments:
        digest = hashlib.sha1(segment.query.encode(), usedforsecurity=False).hexdigest()[:16]
        key = f"scrm:segment-count:{segment.organization_id}:{segment.pk}:{user.pk}:{digest}"
        counted = cache.get(key)
        if counted is None:
            matching = CustomerFilter(QueryDict(segment.query), queryset=customer_list(user=user)).qs
            counted = capped_count(matching, SEGMENT_COUNT_CAP)
            cache.set(key, counted, SEGMENT_COUNT_SECONDS)
        segment.live_count, segment.count_capped = counted
    return segments


def pii_reveal_list():
    return PiiReveal.objects.select_related("user", "customer").order_by("-created_at")


def api_token_of(*, user):
    """The user's API token (its creation time and last four characters are what the page shows), or None."""
    return Token.objects.filter(user=user).only("created", "key").first()
