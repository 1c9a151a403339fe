"""Row validation and planning: each row becomes a new customer, an update of an existing one (matched by mobile
or channel identity) or an error, against the organization's regions, owners, tags and earlier rows of the file."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation

from scrm.customers.imports.columns import (
    CHANNEL_ALIASES,
    IDENTITY_PARTS,
    IDENTITY_SEPARATORS,
    LEVEL_ALIASES,
    MAX_LENGTHS,
    TAG_SEPARATORS,
)
from scrm.customers.phones import InvalidMobile, name_is_masked, normalize_mobile
from scrm.customers.selectors import customer_owner_choices
from scrm.models import (
    Channel,
    ChannelIdentity,
    Customer,
    Region,
    Tag,
    User,
)

CHUNK_ROWS = 2000

NEW, UPDATE, SKIP = "new", "update", "skip"


@dataclass(slots=True)
class _RowPlan:
    row: int
    action: str = NEW
    values: dict = field(default_factory=dict)  # display_name, real_name, mobile, email, region_id, owner_id, ...
    tag_ids: list = field(default_factory=list)
    identities: list = field(default_factory=list)  # [(channel, app_id, external_id)]
    new_identities: list = field(default_factory=list)  # those no customer has yet
    customer_id: int | None = None  # the existing customer an update goes to
    refused_owner: str = ""  # the name of an owner who may not own customers (allowed if already the owner)
    errors: list = field(default_factory=list)  # (field, code, params)
    fingerprint: bytes = b""


class Lookups:
    """Everything a row may name, loaded once per run: tags, regions, owners (all small, per organization)."""

    def __init__(self, organization_id):
        self.tags, self.tags_folded, self.tag_names = {}, {}, {}
        for pk, name in Tag.objects.values_list("pk", "name"):
            self.tags[name] = pk
            self.tags_folded.setdefault(name.casefold(), pk)
            self.tag_names[pk] = name
        # A region by its code or, when no code matches, by a name only one region has (our export writes names);
        # an owner likewise by user name or by a display name only one user has.
        self.regions, self.region_names = {}, {}
        by_name = defaultdict(set)
        for pk, code, name in Region.objects.values_list("pk", "code", "name"):
            self.regions[code.casefold()] = pk
            self.region_names[pk] = name
            by_name[name.casefold()].add(pk)
        self._add_unique(self.regions, by_name)
        self.owners, self.owner_names, self.owner_labels = {}, {}, {}
        by_name = defaultdict(set)
        users = User.objects.filter(is_active=True)
        for pk, username, display_name in users.values_list("pk", "username", "display_name"):
            self.owners[username.casefold()] = pk
            self.owner_names[pk] = username
            self.owner_labels[pk] = display_name or username
            if display_name:
                by_name[display_name.casefold()].add(pk)
        self._add_unique(self.owners, by_name)
        # Who may be made owner: the rule of the customer page and API (customer_owner_check), one query per run.
        self.allowed_owners = set(customer_owner_choices().values_list("pk", flat=True))
        self.channels = {}
        for value, label in Channel.choices:
            self.channels[value] = value
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    self.channels[str(label).casefold()] = value
        self.channels.update({k.casefold(): v for k, v in CHANNEL_ALIASES.items()})

    @staticmethod
    def _add_unique(lookup, by_name):
        for name, pks in by_name.items():
            if len(pks) == 1:
                lookup.setdefault(name, next(iter(pks)))

    def tag(self, name):
        return self.tags.get(name) or self.tags_folded.get(name.casefold())


@dataclass
class FileState:
    """What earlier rows of the file claimed, to find duplicates within it."""

    mobiles: dict = field(default_factory=dict)
    identities: dict = field(default_factory=dict)
    fingerprints: dict = field(default_factory=dict)
    customers: dict = field(default_factory=dict)


def _parse_row(number, cells, sheet, lookups):
    """One row's values, checked on their own (no database): formats, lengths and the names it refers to."""
    plan = _RowPlan(row=number)

    def cell(name):
        index = sheet.columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    def error(column, code, /, **params):
        plan.errors.append((column, code, params))

    raw = {name: cell(name) for name in sheet.columns}
    plan.fingerprint = hashlib.blake2b("\x1f".join(raw[n] for n in sorted(raw)).encode(), digest_size=16).digest()
    values = plan.values
    for name in ("display_name", "real_name", "notes"):
        values[name] = raw.get(name, "")
    for name, limit in MAX_LENGTHS.items():
        if len(raw.get(name, "")) > limit:
            error(name, "too_long", limit=limit)

    # A masked export (138****5678, 张**) must not overwrite real data when someone imports it back.
    if "*" in raw.get("mobile", ""):
        error("mobile", "masked", value=raw["mobile"])
    elif name_is_masked(values["real_name"]):
        error("real_name", "masked", value=values["real_name"])
    try:
        values["mobile"] = normalize_mobile(raw.get("mobile", "")) if "*" not in raw.get("mobile", "") else ""
    except InvalidMobile:
        values["mobile"] = ""
        error("mobile", "bad_mobile", value=raw["mobile"])

    email = raw.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            error("email", "bad_email", value=email)
    values["email"] = email

    region = raw.get("region_code", "")
    values["region_id"] = lookups.regions.get(region.casefold()) if region else None
    if region and values["region_id"] is None:
        error("region_code", "unknown_region", value=region)

    owner = raw.get("owner", "")
    values["owner_id"] = lookups.owners.get(owner.casefold()) if owner else None
    if owner and values["owner_id"] is None:
        error("owner", "unknown_owner", value=owner)
    elif values["owner_id"] is not None and values["owner_id"] not in lookups.allowed_owners:
        # Decided once the row is matched: a customer's current owner stays allowed, as on the edit page.
        plan.refused_owner = lookups.owner_labels[values["owner_id"]]

    level = raw.get("level", "")
    values["level"] = LEVEL_ALIASES.get(level.casefold()) if level else None
    if level and values["level"] is None:
        error("level", "bad_level", value=level)

    for name in (n.strip() for n in TAG_SEPARATORS.split(raw.get("tags", ""))):
        if not name:
            continue
        tag_id = lookups.tag(name)
        if tag_id is None:
            error("tags", "unknown_tag", name=name)
        elif tag_id not in plan.tag_ids:
            plan.tag_ids.append(tag_id)

    channel_text, external_id = raw.get("channel", ""), raw.get("external_id", "")
    if channel_text or external_id:
        channel = lookups.channels.get(channel_text.casefold()) if channel_text else None
        if not channel_text or not external_id:
            error("channel" if not channel_text else "external_id", "identity_incomplete")
        elif channel is None:
            error("channel", "unknown_channel", value=channel_text)
        else:
            plan.identities.append((channel, raw.get("app_id", ""), external_id))
    for text in (t.strip() for t in IDENTITY_SEPARATORS.split(raw.get("identities", ""))):
        if not text:
            continue
        parts = [p.strip() for p in text.split(IDENTITY_PARTS, 2)]
        channel = lookups.channels.get(parts[0].casefold()) if len(parts) == 3 else None
        if channel is None or not parts[2] or len(parts[1]) > MAX_LENGTHS["app_id"] \
                or len(parts[2]) > MAX_LENGTHS["external_id"]:
            error("identities", "bad_identity", value=text)
        elif (channel, parts[1], parts[2]) not in plan.identities:
            plan.identities.append((channel, parts[1], parts[2]))
    return plan


def plan_chunk(chunk, sheet, lookups, state):
    """Plan a chunk of rows in file order: new, update (of which existing customer) or skip (with its errors)."""
    plans = [_parse_row(number, cells, sheet, lookups) for number, cells in chunk]

    mobiles = {p.values["mobile"] for p in plans if p.values["mobile"]}
    by_mobile = {}
    if mobiles:
        for pk, mobile in (Customer.objects.filter(mobile__in=mobiles, merged_into__isnull=True)
                           .order_by("pk").values_list("pk", "mobile")):
            by_mobile.setdefault(mobile, pk)
    keys = {identity for p in plans for identity in p.identities}
    by_identity = {}
    if keys:
        for channel, app_id, external_id, customer_id in ChannelIdentity.objects.filter(
                external_id__in={k[2] for k in keys}).values_list("channel", "app_id", "external_id", "customer_id"):
            if (channel, app_id, external_id) in keys:
                by_identity[(channel, app_id, external_id)] = customer_id
        by_identity = _follow_merges(by_identity)

    # The owners of the customers a row with a refused owner may update, to let a row keep a customer's owner.
    current_owner = {}
    if any(p.refused_owner for p in plans):
        candidates = {*by_mobile.values(), *by_identity.values()}
        current_owner = dict(Customer.objects.filter(pk__in=candidates).values_list("pk", "owner_id"))

    for plan in plans:
        _match(plan, state, by_mobile, by_identity, current_owner)
    return plans


def _follow_merges(by_key):
    """Identities of a merged duplicate still point at its tombstone; an update goes to the customer that lives on."""
    pending = set(by_key.values())
    live = {}
    for _depth in range(10):
        merged = dict(Customer.objects.filter(pk__in=pending, merged_into__isnull=False)
                      .values_list("pk", "merged_into_id"))
        if not merged:
            break
        live.update(merged)
        pending = set(merged.values())

    def resolve(pk):
        seen = set()
        while pk in live and pk not in seen:
            seen.add(pk)
            pk = live[pk]
        return pk

    return {key: resolve(pk) for key, pk in by_key.items()}


def _match(plan, state, by_mobile, by_identity, current_owner):
    def error(column, code, /, **params):
        plan.errors.append((column, code, params))

    first = state.fingerprints.setdefault(plan.fingerprint, plan.row)
    if first != plan.row:
        error("", "duplicate_row", row=first)
    else:
        mobile = plan.values["mobile"]
        if mobile:
            first = state.mobiles.setdefault(mobile, plan.row)
            if first != plan.row:
                error("mobile", "duplicate_mobile", row=first)
        for identity in plan.identities:
            first = state.identities.setdefault(identity, plan.row)
            if first != plan.row:
                error("external_id", "duplicate_identity", row=first)
                break

    by_m = by_mobile.get(plan.values["mobile"]) if plan.values["mobile"] else None
    owners = {by_identity[i] for i in plan.identities if i in by_identity}
    plan.new_identities = [i for i in plan.identities if i not in by_identity]
    by_i = min(owners) if owners else None
    if len(owners) > 1 or (by_m and by_i and by_m != by_i):
        error("mobile", "conflict")
    customer_id = by_i or by_m
    if plan.refused_owner and not (customer_id and current_owner.get(customer_id) == plan.values["owner_id"]):
        error("owner", "owner_not_allowed", name=plan.refused_owner)
    if customer_id and not plan.errors:
        first = state.customers.setdefault(customer_id, plan.row)
        if first != plan.row:
            error("", "same_customer", row=first)
    if not customer_id and not plan.values["display_name"]:
        error("display_name", "name_required")

    if plan.errors:
        plan.action = SKIP
    elif customer_id:
        plan.action, plan.customer_id = UPDATE, customer_id
    else:
        plan.action = NEW


def chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk
