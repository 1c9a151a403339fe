"""Customer writes: resolve someone on a channel to one customer, merge duplicates, tags and owners, PII reveals."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce, Greatest
from django.forms.models import model_to_dict
from django.utils import timezone, translation
from django.utils.translation import gettext

from scrm.customers.phones import InvalidMobile, normalize_mobile
from scrm.customers.selectors import customer_owner_choices, customer_relations
from scrm.errors import (
    MSG_MERGE_ALREADY,
    MSG_MERGE_OTHER_ORG,
    MSG_MERGE_SELF,
    MSG_OWNER_NOT_ALLOWED,
    MSG_REVEAL_FORBIDDEN,
    MSG_SEGMENT_NAME_TAKEN,
    MSG_TOMBSTONE_READ_ONLY,
    MSG_UNDO_DONE_ALREADY,
    MSG_UNDO_NO_RECORD,
    MSG_UNDO_PRIMARY_MERGED,
    MSG_UNDO_ROWS_CHANGED,
    MSG_UNDO_TOO_LATE,
    ScrmError,
)
from scrm.models import (
    Channel,
    ChannelIdentity,
    Customer,
    CustomerConflict,
    CustomerMerge,
    CustomerTag,
    PiiReveal,
    Segment,
)
from scrm.platform.access import CUSTOMER_PII_FIELDS, user_revealable_fields
from scrm.platform.locks import advisory_xact_lock
from scrm.platform.tenancy import tenant_scope, tenant_sql

__all__ = [
    "CUSTOMER_NOTES_MAX_LENGTH", "KEPT_WHEN_EMPTY", "MERGE_UNDO_DAYS", "customer_create", "customer_merge",
    "customer_merge_undo", "customer_owner_check", "customer_resolve",
    "customer_reveal_pii", "customers_resolve_many", "customers_set_owner",
    "customer_touch", "customers_log_reveal", "customers_rename_raw_ids", "customers_touch", "customers_tag",
    "customers_untag", "segment_create",
]

logger = logging.getLogger(__name__)

_LEVEL_RANK = {Customer.Level.NORMAL: 0, Customer.Level.VIP: 1, Customer.Level.SVIP: 2}


def _lock_person_key(organization_id, *parts):
    """Serialise resolves for one person key (union id or mobile) until this transaction ends.

    Without it two identities of one person arriving at once (an Official Account openid and a mini-program
    openid sharing a union id) could each create a customer.
    """
    advisory_xact_lock(organization_id, *parts)


def _live(customer):
    """Follow merge tombstones to the customer that lives on."""
    seen = set()
    while customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


# The longest notes a customer keeps: the create and edit pages' limit, the API's, and every writer's here (one
# validator, so each says it in Django's words: "确保该变量至多包含 5000 个字符（目前字符数 5001）。").
CUSTOMER_NOTES_MAX_LENGTH = 5_000
customer_notes_validator = MaxLengthValidator(CUSTOMER_NOTES_MAX_LENGTH)

# Personal data the edit page never fills in (it shows them masked): sent empty there or in a PATCH of the API, they
# are kept as they are, not erased.
KEPT_WHEN_EMPTY = ("real_name", "mobile")


def _notes_checked(notes):
    try:
        customer_notes_validator(notes)
    except ValidationError as exc:
        raise ScrmError(" ".join(exc.messages)) from exc
    return notes


def customer_owner_check(owner, *, keep=None):
    """Refuse an owner who may not own a customer (customer_owner_choices: who may work customers); `keep`, the
    current owner's id, stays allowed. None (no owner) is always allowed."""
    if owner is None or (keep is not None and owner.pk == keep):
        return
    if not customer_owner_choices().filter(pk=owner.pk).exists():
        raise ScrmError(MSG_OWNER_NOT_ALLOWED % {"name": owner.display_name or owner.username})


def customer_create(*, organization, display_name, mobile="", source_channel="manual", **fields):
    """Create a customer; the mobile is normalised (a bad one raises InvalidMobile); notes longer than
    CUSTOMER_NOTES_MAX_LENGTH and an owner who may not own customers are refused (ScrmError)."""
    with tenant_scope(organization):
        if "notes" in fields:
            _notes_checked(fields["notes"])
        customer_owner_check(fields.get("owner"))
        return Customer.objects.create(
            organization=organization, display_name=display_name, mobile=normalize_mobile(mobile),
            source_channel=source_channel, **fields,
        )


# What people may change on a customer by hand (the edit page and PATCH /api/v1/customers/<id>/).
CUSTOMER_EDITABLE = ("display_name", "real_name", "mobile", "email", "region", "level", "owner", "notes")


@transaction.atomic
def customer_update(*, customer, **fields):
    """Change a customer's own fields (those in CUSTOMER_EDITABLE); the mobile is normalised. Returns the names of
    the fields that changed. Merged records (tombstones) are read-only. A real name or mobile given empty is kept
    (KEPT_WHEN_EMPTY: the pages and the API show them masked, so empty means "unchanged"); notes past the limit and
    a new owner who may not own customers are refused (ScrmError)."""
    unknown = set(fields) - set(CUSTOMER_EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    fields = {name: value for name, value in fields.items() if not (name in KEPT_WHEN_EMPTY and not value)}
    with tenant_scope(customer.organization_id):
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.merged_into_id:
            raise ScrmError(MSG_TOMBSTONE_READ_ONLY)
        if "notes" in fields:
            _notes_checked(fields["notes"])
        if "owner" in fields:
            customer_owner_check(fields["owner"], keep=customer.owner_id)
        if "mobile" in fields:
            fields["mobile"] = normalize_mobile(fields["mobile"])
        changed = [name for name, value in fields.items() if getattr(customer, name) != value]
        for name in changed:
            setattr(customer, name, fields[name])
        if changed:
            customer.save(update_fields=[*changed, "updated_at"])
        return customer, changed


def unnamed_display_name(channel, external_id):
    """What a customer who arrives with no name is called: "微信用户" (or the channel's name) and the last four
    characters of their id, never the raw openid. Stored data, so in the product's language."""
    tail = external_id[-4:]
    with translation.override(settings.LANGUAGE_CODE):
        if channel in (Channel.WECHAT_OA, Channel.WECOM):
            return gettext("WeChat user %(tail)s") % {"tail": tail}
        return gettext("%(channel)s customer %(tail)s") % {"channel": Channel(channel).label, "tail": tail}


@transaction.atomic
def customers_rename_raw_ids(*, organization):
    """Customers stored before `unnamed_display_name` existed under a raw openid or buyer id as their name (the
    name equals one of their identities' ids) get the name a new one gets ("微信用户a1B2"). Returns how many were
    renamed; running it again renames none."""
    with tenant_scope(organization):
        renamed = {}
        for identity in (ChannelIdentity.objects.filter(customer__display_name=models.F("external_id"))
                         .select_related("customer").order_by("pk")):
            customer = identity.customer
            if customer.pk not in renamed:
                customer.display_name = unnamed_display_name(identity.channel, identity.external_id)
                renamed[customer.pk] = customer
        Customer.objects.bulk_update(list(renamed.values()), ["display_name"])
        return len(renamed)


def customer_resolve(*, organization, channel, app_id, external_id, union_id=None, mobile=None, profile=None):
    """Turn "someone on a channel" into one Customer: by identity, then union id, then mobile; else create.

    The one way every app maps a channel user to a customer. Safe under concurrency: the unique identity
    constraint decides between racing callers (the losers retry and find the winner's identity), and an advisory
    lock on the union id / mobile keeps two identities of one person from creating two customers. An invalid
    mobile from a channel is ignored rather than blocking the message.
    """
    app_id = app_id or ""
    union_id = union_id or ""
    profile = profile or {}
    try:
        normalized_mobile = normalize_mobile(mobile) if mobile else ""
    except InvalidMobile:
        logger.info("customer_resolve: ignoring an invalid mobile", extra={"channel": channel})
        normalized_mobile = ""

    with tenant_scope(organization):
        for _attempt in range(3):
            identity = (
                ChannelIdentity.objects.select_related("customer")
                .filter(channel=channel, app_id=app_id, external_id=external_id).first()
            )
            if identity is not None:
                learned_union = _identity_refresh(identity, union_id=union_id, profile=profile)
                customer = _live(identity.customer)
                _learn(customer, channel=channel, mobile=normalized_mobile,
                       union_id=union_id if learned_union else "")
                return customer
            try:
                with transaction.atomic():
                    for key, value in (("u", union_id), ("m", normalized_mobile)):
                        if value:
                            _lock_person_key(organization.pk, key, value)
                    customer = _find_person(union_id=union_id, mobile=normalized_mobile)
                    if customer is not None:
                        _learn(customer, channel=channel, mobile=normalized_mobile)
                    else:
                        now = timezone.now()
                        customer = Customer.objects.create(
                            organization=organization,
                            display_name=(profile.get("nickname") or profile.get("name")
                                          or unnamed_display_name(channel, external_id))[:100],
                            mobile=normalized_mobile, source_channel=channel, first_contact_at=now,
                            last_contact_at=now,
                        )
                    ChannelIdentity.objects.create(
                        organization=organization, customer=customer, channel=channel, app_id=app_id,
                        external_id=external_id, union_id=union_id, profile=profile,
                    )
                    return customer
            except IntegrityError:
                # Another caller created this identity first; the next round finds it.
                continue
        raise RuntimeError(f"customer_resolve: could not settle identity {channel}:{external_id}")


def customers_resolve_many(*, organization, channel, app_id, people):
    """`customer_resolve` for many people of one channel account at once (a worker's batch of shop events):
    `people` is [(external_id, mobile, profile)]; returns {external_id: customer}. The same customers as
    `customer_resolve` called for each in turn, in fewer statements: the known identities are read in one query;
    the new people who give neither a mobile nor a union id (nothing to match them on) are created together (their
    customers, then their identities, in one savepoint); everyone else (a mobile to match, a merged customer, a
    profile to refresh, one id given twice) goes through `customer_resolve` one by one. If another process created
    one of the new identities meanwhile, the savepoint is undone and those people are resolved one by one too."""
    app_id = app_id or ""
    given = {}
    for external_id, mobile, profile in people:
        given.setdefault(external_id, set()).add((mobile or "", tuple(sorted((profile or {}).items()))))
    found, alone, new = {}, set(), []
    with tenant_scope(organization):
        identities = {identity.external_id: identity for identity in ChannelIdentity.objects.select_related(
            "customer").filter(channel=channel, app_id=app_id, external_id__in=list(given))}
        for external_id, variants in given.items():
            identity = identities.get(external_id)
            if len(variants) > 1:
                alone.add(external_id)
                continue
            [(mobile, profile)] = variants
            if identity is not None:
                if identity.customer.merged_into_id or {**identity.profile, **dict(profile)} != identity.profile:
                    alone.add(external_id)
                else:
                    found[external_id] = identity.customer
            elif mobile:
                alone.add(external_id)
            else:
                new.append((external_id, dict(profile)))
        if new:
            try:
                with transaction.atomic():
                    now = timezone.now()
                    customers = Customer.objects.bulk_create([Customer(
                        organization=organization, source_channel=channel, first_contact_at=now,
                        last_contact_at=now, display_name=(profile.get("nickname") or profile.get("name")
                                                           or unnamed_display_name(channel, external_id))[:100])
                        for external_id, profile in new])
                    ChannelIdentity.objects.bulk_create([ChannelIdentity(
                        organization=organization, customer=customer, channel=channel, app_id=app_id,
                        external_id=external_id, profile=profile)
                        for (external_id, profile), customer in zip(new, customers, strict=True)])
                found.update((external_id, customer) for (external_id, _profile), customer
                             in zip(new, customers, strict=True))
            except IntegrityError:
                alone.update(external_id for external_id, _profile in new)
        done = set()
        for external_id, mobile, profile in people:
            key = (external_id, mobile or "", tuple(sorted((profile or {}).items())))
            if external_id in alone and key not in done:
                done.add(key)
                found[external_id] = customer_resolve(
                    organization=organization, channel=channel, app_id=app_id, external_id=external_id,
                    mobile=mobile or None, profile=profile)
    return found


def _find_person(*, union_id, mobile):
    if union_id:
        identity = (ChannelIdentity.objects.select_related("customer").filter(union_id=union_id)
                    .order_by("pk").first())
        if identity is not None:
            return _live(identity.customer)
    if mobile:
        return Customer.objects.filter(mobile=mobile, merged_into__isnull=True).order_by("pk").first()
    return None


def _learn(customer, *, channel, mobile, union_id=""):
    """Keep what a channel told us about the customer it resolved to: a mobile the customer lacks is stored; a
    mobile or a union id that another live customer holds is flagged for the merge screen (CustomerConflict), never
    moved silently. A customer's different known mobile is left as it is (people have two)."""
    organization_id = customer.organization_id
    if mobile and customer.mobile != mobile:
        with transaction.atomic():
            _lock_person_key(organization_id, "m", mobile)
            holder = (Customer.objects.filter(mobile=mobile, merged_into__isnull=True).exclude(pk=customer.pk)
                      .order_by("pk").first())
            if holder is not None:
                _flag_conflict(customer, holder, CustomerConflict.Kind.MOBILE, mobile, channel)
            elif not customer.mobile:
                Customer.objects.filter(pk=customer.pk, mobile="").update(mobile=mobile, updated_at=timezone.now())
                customer.mobile = mobile
    if union_id:
        holders = (ChannelIdentity.objects.filter(union_id=union_id).exclude(customer_id=customer.pk)
                   .select_related("customer").order_by("pk"))
        for holder in {_live(i.customer) for i in holders}:
            if holder.pk != customer.pk:
                _flag_conflict(customer, holder, CustomerConflict.Kind.UNION_ID, union_id, channel)


def _flag_conflict(customer, other, kind, value, channel):
    CustomerConflict.objects.bulk_create([CustomerConflict(
        organization_id=customer.organization_id, customer=customer, other=other, kind=kind, value=value,
        channel=channel)], ignore_conflicts=True)


def _identity_refresh(identity, *, union_id, profile):
    """Store a union id or profile fields the identity did not have; return whether the union id is new."""
    changed = []
    if union_id and identity.union_id != union_id:
        identity.union_id = union_id
        changed.append("union_id")
    if profile and {**identity.profile, **profile} != identity.profile:
        identity.profile = {**identity.profile, **profile}
        changed.append("profile")
    if changed:
        identity.save(update_fields=changed)
    return "union_id" in changed


def _relation_rows(rel):
    """(manager, foreign key name) of one reverse relation to Customer (a many-to-many through its table)."""
    if rel.many_to_many:
        through = rel.through
        source = next(f for f in through._meta.fields if f.related_model is Customer)
        return through._base_manager, source.name
    return rel.related_model._base_manager, rel.field.name


def _move_rows(rel, duplicate, primary):
    """Point the rows of one relation at the primary. Rows that cannot move (a unique constraint already
    satisfied by the primary) stay on the tombstone, so nothing is lost; return (ids moved, count left)."""
    manager, field_name = _relation_rows(rel)
    ids = list(manager.filter(**{field_name: duplicate}).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return [], 0
    try:
        with transaction.atomic():
            manager.filter(pk__in=ids).update(**{field_name: primary})
            return ids, 0
    except IntegrityError:
        pass
    moved = []
    for pk in ids:
        try:
            with transaction.atomic():
                manager.filter(pk=pk).update(**{field_name: primary})
            moved.append(pk)
        except IntegrityError:
            pass
    return moved, len(ids) - len(moved)


@transaction.atomic
def customer_merge(*, primary, duplicate, actor):
    """Merge a duplicate customer into the primary; the duplicate remains as a tombstone pointing at it.

    Moves every row of any app that points at the duplicate, fills the primary's empty fields from the duplicate,
    keeps the earliest first contact and latest last contact and the higher level, and writes a CustomerMerge
    audit row holding the duplicate as it was. Tags the primary already has are dropped from the duplicate.
    """
    if primary.pk == duplicate.pk:
        raise ScrmError(MSG_MERGE_SELF)
    if primary.organization_id != duplicate.organization_id:
        raise ScrmError(MSG_MERGE_OTHER_ORG)
    with tenant_scope(primary.organization_id):
        # Lock both in id order so two merges of the same pair cannot interleave.
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(
            pk__in=[primary.pk, duplicate.pk]).order_by("pk")}
        primary, duplicate = locked[primary.pk], locked[duplicate.pk]
        if primary.merged_into_id or duplicate.merged_into_id:
            raise ScrmError(MSG_MERGE_ALREADY)

        snapshot = model_to_dict(duplicate, exclude=["tags"])
        snapshot["tags"] = list(duplicate.tags.values_list("name", flat=True))
        snapshot["identities"] = list(duplicate.identities.values("channel", "app_id", "external_id", "union_id"))
        snapshot = _json_safe(snapshot)

        # Tags first: the primary's existing tags win over the duplicate's copies.
        dropped = CustomerTag.objects.filter(customer=duplicate, tag__in=primary.tags.all())
        dropped_tags = list(dropped.values_list("tag_id", flat=True))
        dropped.delete()
        moved = {}
        for rel in customer_relations():
            ids, left = _move_rows(rel, duplicate, primary)
            if ids or left:
                label = rel.related_model._meta.label if not rel.many_to_many else rel.through._meta.label
                entry = moved.setdefault(f"{label}.{rel.field.name}" if not rel.many_to_many else label,
                                         {"moved": 0, "left": 0, "ids": []})
                entry["moved"] += len(ids)
                entry["left"] += left
                entry["ids"] += ids
        # A flag between the two (the duplicate held the primary's mobile or union id) is settled by the merge.
        CustomerConflict.objects.filter(customer_id=models.F("other_id"), resolved_at__isnull=True).filter(
            customer=primary).update(resolved_at=timezone.now())

        before = {name: getattr(primary, name) for name in _ABSORBED}
        changed = _absorb_fields(primary, duplicate)
        if changed:
            primary.save(update_fields=[*changed, "updated_at"])
        absorbed = {"fields": _json_safe({name: [before[name], getattr(primary, name)] for name in _ABSORBED
                                          if before[name] != getattr(primary, name)}),
                    "dropped_tags": dropped_tags}
        duplicate.merged_into = primary
        duplicate.save(update_fields=["merged_into", "updated_at"])
        return CustomerMerge.objects.create(
            organization_id=primary.organization_id, primary=primary, duplicate=duplicate, actor=actor,
            snapshot=snapshot, moved=moved, absorbed=absorbed,
        )


MERGE_UNDO_DAYS = 7


@transaction.atomic
def customer_merge_undo(*, merge, actor):
    """Undo a merge made in the last MERGE_UNDO_DAYS days: the rows it moved go back to the duplicate, the fields it
    filled on the primary are emptied again (unless someone changed them since), the duplicate's tags come back and
    it is a live customer again; the merge record stays, marked undone (the timelines of both show it).

    Refused, with nothing changed, when it is too late, already undone, recorded before undo existed, when the
    primary was merged on into someone else, or when a moved row now belongs to a third customer (rows deleted since
    are simply not restored).
    """
    with tenant_scope(merge.organization_id):
        merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at:
            raise ScrmError(MSG_UNDO_DONE_ALREADY)
        if timezone.now() - merge.created_at > timedelta(days=MERGE_UNDO_DAYS):
            raise ScrmError(MSG_UNDO_TOO_LATE % {
                "days": MERGE_UNDO_DAYS, "date": timezone.localtime(merge.created_at).strftime("%Y-%m-%d %H:%M")})
        if not merge.absorbed or any("ids" not in entry for entry in merge.moved.values()):
            raise ScrmError(MSG_UNDO_NO_RECORD)
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(
            pk__in=[merge.primary_id, merge.duplicate_id]).order_by("pk")}
        primary, duplicate = locked[merge.primary_id], locked[merge.duplicate_id]
        if primary.merged_into_id:
            raise ScrmError(MSG_UNDO_PRIMARY_MERGED % {"primary": primary.display_name,
                                                      "other": _live(primary).display_name})

        relations = {}
        for rel in customer_relations():
            label = rel.related_model._meta.label if not rel.many_to_many else rel.through._meta.label
            relations[f"{label}.{rel.field.name}" if not rel.many_to_many else label] = rel
        for key, entry in merge.moved.items():
            rel = relations.get(key)
            if rel is None or not entry["ids"]:
                continue
            manager, field_name = _relation_rows(rel)
            elsewhere = (manager.filter(pk__in=entry["ids"]).exclude(**{field_name: primary})
                         .exclude(**{field_name: duplicate}).count())
            if elsewhere:
                model = rel.through if rel.many_to_many else rel.related_model
                raise ScrmError(MSG_UNDO_ROWS_CHANGED % {"count": elsewhere,
                                                         "what": model._meta.verbose_name_plural})
            try:
                with transaction.atomic():
                    manager.filter(pk__in=entry["ids"], **{field_name: primary}).update(**{field_name: duplicate})
            except IntegrityError as exc:
                model = rel.through if rel.many_to_many else rel.related_model
                raise ScrmError(MSG_UNDO_ROWS_CHANGED % {"count": len(entry["ids"]),
                                                         "what": model._meta.verbose_name_plural}) from exc

        CustomerTag.objects.bulk_create(
            [CustomerTag(organization_id=duplicate.organization_id, customer=duplicate, tag_id=tag_id)
             for tag_id in merge.absorbed.get("dropped_tags", [])], ignore_conflicts=True)
        restored = []
        for name, (old, new) in merge.absorbed.get("fields", {}).items():
            if _json_safe(getattr(primary, name)) == new:
                setattr(primary, name, _from_json(name, old))
                restored.append(name.removesuffix("_id"))
        if restored:
            primary.save(update_fields=[*restored, "updated_at"])
        duplicate.merged_into = None
        duplicate.save(update_fields=["merged_into", "updated_at"])
        merge.undone_at, merge.undone_by = timezone.now(), actor
        merge.save(update_fields=["undone_at", "undone_by"])
        return merge


_ABSORBED = ("real_name", "mobile", "email", "region_id", "owner_id", "notes", "level", "first_contact_at",
             "last_contact_at")


def _from_json(name, value):
    if name.endswith("_at") and value:
        return models.DateTimeField().to_python(value)
    return value


def _absorb_fields(primary, duplicate):
    changed = []
    for name in ("real_name", "mobile", "email", "region_id", "owner_id", "notes"):
        if not getattr(primary, name) and getattr(duplicate, name):
            setattr(primary, name, getattr(duplicate, name))
            changed.append(name.removesuffix("_id"))
    if _LEVEL_RANK[duplicate.level] > _LEVEL_RANK[primary.level]:
        primary.level = duplicate.level
        changed.append("level")
    for name, pick in (("first_contact_at", min), ("last_contact_at", max)):
        values = [v for v in (getattr(primary, name), getattr(duplicate, name)) if v]
        if values and pick(values) != getattr(primary, name):
            setattr(primary, name, pick(values))
            changed.append(name)
    return changed


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@transaction.atomic
def customers_tag(*, customers, tags):
    """Add tags to many customers at once; tags already there are left alone."""
    rows = [CustomerTag(organization_id=c.organization_id, customer=c, tag=t) for c in customers for t in tags]
    CustomerTag.objects.bulk_create(rows, ignore_conflicts=True)


@transaction.atomic
def customers_untag(*, customers, tags):
    CustomerTag.objects.filter(customer__in=customers, tag__in=tags).delete()


@transaction.atomic
def customers_set_owner(*, customers, owner):
    """Give many customers one owner, who must be someone who may own a customer (customer_owner_check)."""
    customer_owner_check(owner)
    return Customer.objects.filter(pk__in=[c.pk for c in customers]).update(owner=owner, updated_at=timezone.now())


def customer_reveal_pii(*, customer, user, fields=CUSTOMER_PII_FIELDS):
    """Log one look at a customer's unmasked personal data and return the fields of `fields` the user may see in
    full (`user_masks`); refused when there is none."""
    allowed = user_revealable_fields(user, fields)
    if not allowed:
        raise ScrmError(MSG_REVEAL_FORBIDDEN)
    customers_log_reveal(customers=[customer], user=user, fields=allowed)
    return {name: getattr(customer, name) for name in allowed}


def segment_create(*, organization, name, query, user):
    """Save the list's current filter under a name; names are unique per organization."""
    try:
        with transaction.atomic():
            return Segment.objects.create(organization=organization, name=name.strip(), query=query,
                                          created_by=user)
    except IntegrityError as exc:
        raise ScrmError(MSG_SEGMENT_NAME_TAKEN) from exc


def customers_log_reveal(*, customers, user, fields):
    """Record that `user` saw these customers' personal data unmasked (API answers, exports)."""
    PiiReveal.objects.bulk_create([
        PiiReveal(organization_id=c.organization_id, customer=c, customer_name=c.display_name, user=user,
                  fields=",".join(fields))
        for c in customers
    ])


def customers_touch(*, organization, contacts):
    """`customer_touch` for several customers at once: `contacts` is {customer id: [contact times]}. The same
    outcome as touching each customer at each time (last contact forward only, first contact set once), in one
    UPDATE."""
    rows = [(customer_id, min(times), max(times)) for customer_id, times in contacts.items() if times]
    if not rows:
        return
    table = connection.ops.quote_name(Customer._meta.db_table)
    tenant_sql(
        f"UPDATE {table} AS c SET last_contact_at = GREATEST(COALESCE(c.last_contact_at, v.last), v.last), "  # noqa: S608 - our table
        "first_contact_at = COALESCE(c.first_contact_at, v.first) "
        "FROM (VALUES %(values)s) AS v(id, first, last) WHERE c.organization_id = %(organization)s AND c.id = v.id",
        organization=organization, values=sorted(rows), template="(%s::bigint, %s::timestamptz, %s::timestamptz)")


def customer_touch(*, customer, at=None):
    """Record that the customer contacted us at `at` (now by default): last contact moves forward only, first
    contact is set once. One UPDATE, safe under concurrent messages."""
    at = Value(at or timezone.now())
    Customer.objects.filter(pk=customer.pk).update(
        last_contact_at=Greatest(Coalesce("last_contact_at", at), at),
        first_contact_at=Coalesce("first_contact_at", at),
    )
