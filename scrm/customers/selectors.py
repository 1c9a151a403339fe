"""Read queries of customers, shaped for pages and the API. Tenant models are scoped by the open scope."""

import hashlib
from datetime import timedelta

from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.http import QueryDict
from django.utils import timezone

from scrm.customers.filters import CustomerFilter
from scrm.customers.phones import mask_mobile, mask_name
from scrm.models import (
    ChannelIdentity,
    Customer,
    CustomerConflict,
    CustomerMerge,
    CustomRoleAssignment,
    PiiReveal,
    Segment,
    Tag,
    User,
)
from scrm.paginators import capped_count
from scrm.selectors import customer_visible_q

# Who may own a customer: who may work it, i.e. change customers (ops, supervisors, agents; not finance, viewers).
OWNER_PERMISSION = ("scrm", "change_customer")


def customer_owner_choices(*, keep=None):
    """The users a customer may be given to as its owner (the edit page, the list's bulk 设置负责人, the API):
    active users holding OWNER_PERMISSION as `has_perm` reads it (a preset role, an active custom role, their own
    grant, or superuser). `keep`: the current owner's id, still offered so an edit that leaves it saves."""
    app_label, codename = OWNER_PERMISSION
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    holders = (Q(is_superuser=True)
               | Q(pk__in=User.groups.through.objects.filter(group__permissions__in=permission).values("user_id"))
               | Q(pk__in=User.user_permissions.through.objects.filter(permission__in=permission)
                   .values("user_id"))
               | Q(pk__in=CustomRoleAssignment.objects.filter(role__is_active=True,
                                                             role__grants__permission__in=permission)
                   .values("user_id")))
    if keep is not None:
        holders |= Q(pk=keep)
    return User.objects.filter(holders, is_active=True).order_by("username")


def customer_list(*, user=None, include_merged=False):
    """The customers a user may see (customer_visible_q), with what each row shows prefetched
    (tags, channels) in a fixed number of queries."""
    queryset = Customer.objects.select_related("region", "owner").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.only("id", "name", "color")),
        # Every field the list page and the API show (the API's identities carry their ids): a field left out of
        # only() is loaded row by row (163 queries for 50 customers).
        Prefetch("identities", queryset=ChannelIdentity.objects.only(
            "id", "customer_id", "channel", "app_id", "external_id", "union_id")),
    )
    if not include_merged:
        queryset = queryset.filter(merged_into__isnull=True)
    if user is not None:
        queryset = queryset.filter(customer_visible_q(user=user))
    return queryset


def customer_detail(*, pk, user):
    return (
        Customer.objects.filter(customer_visible_q(user=user)).select_related("region", "owner", "merged_into")
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
        if rel.related_model is CustomerConflict:
            continue
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


def customer_with_mobile(*, mobile, exclude_pk=None):
    """The live customer (not a merged record) who already has this normalised mobile, if any: one person should
    stay one customer, so the create and edit pages warn before a second one takes it."""
    if not mobile:
        return None
    return (Customer.objects.filter(mobile=mobile, merged_into__isnull=True).exclude(pk=exclude_pk)
            .order_by("pk").first())


def customer_merge_comparison(*, primary, duplicate):
    """The two customers side by side for the merge screen: [{label, primary, duplicate, same}] for the contact
    fields (personal data masked: the comparison is made on the full values, so no reveal is needed), and each
    one's channel identities with those they share (a union id) marked."""
    def text(customer, name):
        value = getattr(customer, name)
        if name == "mobile":
            return mask_mobile(value)
        if name == "real_name":
            return mask_name(value)
        if name == "region":
            return value.name if value else ""
        return str(value or "")

    rows = []
    for name in ("mobile", "real_name", "email", "region"):
        label = Customer._meta.get_field(name).verbose_name
        a, b = getattr(primary, name), getattr(duplicate, name)
        rows.append({"field": name, "label": label, "primary": text(primary, name),
                     "duplicate": text(duplicate, name), "same": bool(a) and a == b,
                     "differ": bool(a) and bool(b) and a != b})
    identities = {c.pk: list(c.identities.order_by("channel", "pk")) for c in (primary, duplicate)}
    shared = ({i.union_id for i in identities[primary.pk] if i.union_id}
              & {i.union_id for i in identities[duplicate.pk] if i.union_id})
    return {"fields": rows, "primary_identities": identities[primary.pk],
            "duplicate_identities": identities[duplicate.pk], "shared_union_ids": shared}


def customer_open_conflicts(*, customer):
    """What `customer_resolve` flagged between this customer and another live one (a mobile or union id both
    claim), newest first, with the other customer."""
    conflicts = (CustomerConflict.objects.filter(resolved_at__isnull=True)
                 .filter(Q(customer=customer) | Q(other=customer))
                 .filter(customer__merged_into__isnull=True, other__merged_into__isnull=True)
                 .select_related("customer", "other").order_by("-created_at"))
    result = []
    for conflict in conflicts:
        conflict.counterpart = conflict.other if conflict.customer_id == customer.pk else conflict.customer
        conflict.shown_value = (mask_mobile(conflict.value) if conflict.kind == CustomerConflict.Kind.MOBILE
                                else conflict.value)
        result.append(conflict)
    return result


def customer_undoable_merges(*, customer, days):
    """Merges into this customer, or of this tombstone, that may still be undone (made in the last `days` days)."""
    since = timezone.now() - timedelta(days=days)
    return list(CustomerMerge.objects.filter(Q(primary=customer) | Q(duplicate=customer), undone_at__isnull=True,
                                             created_at__gte=since)
                .select_related("primary", "duplicate", "actor").order_by("-created_at"))
