"""Applying a batch: plan every row again chunk by chunk inside the one transaction that writes it, write each
chunk in bulk, and log per customer what undo needs."""

from collections import Counter

from django.db import connection
from django.utils import timezone

from scrm.customers.imports import reading
from scrm.customers.imports.columns import FILLABLE, LEVEL_RANK
from scrm.customers.imports.messages import CustomerImportRefused
from scrm.customers.imports.planning import CHUNK_ROWS, NEW, UPDATE, FileState, Lookups, chunks, plan_chunk
from scrm.customers.imports.progress import progress_set
from scrm.customers.imports.reading import batch_content, read_sheet
from scrm.customers.phones import mask_mobile, mask_name
from scrm.models import (
    Channel,
    ChannelIdentity,
    Customer,
    CustomerImportChange,
    CustomerImportRowError,
    CustomerTag,
)
from scrm.platform.tenancy import tenant_sql

PREVIEW_ROWS = 20
# A file where every cell is wrong is the wrong file; past this many, the list says so instead of growing.
MAX_STORED_ERRORS = 100_000


def rows_run(batch, *, apply):
    """Plan every row of the batch's file, chunk by chunk; when `apply`, write each chunk. Records the row errors
    (replacing earlier ones) and returns the counts and the preview."""
    sheet = read_sheet(batch_content(batch), batch.file_name)
    lookups = Lookups(batch.organization_id)
    state = FileState()
    total = sheet.count_rows(reading.MAX_ROWS)
    if total > reading.MAX_ROWS:
        raise CustomerImportRefused("too_many_rows", limit=reading.MAX_ROWS)
    if total == 0:
        raise CustomerImportRefused("no_rows")
    CustomerImportRowError.objects.filter(batch=batch).delete()
    progress_set(batch, done=0, total=total)

    counts, preview, stored_errors, done = Counter(rows=0), [], 0, 0
    now = timezone.now()
    for chunk in chunks(sheet.rows(), CHUNK_ROWS):
        plans = plan_chunk(chunk, sheet, lookups, state)
        if apply:
            _write_chunk(batch, plans, now)
        errors = []
        for plan in plans:
            counts["rows"] += 1
            counts[plan.action] += 1
            for name, code, params in plan.errors:
                errors.append(CustomerImportRowError(
                    organization_id=batch.organization_id, batch=batch, row=plan.row,
                    column=sheet.headers.get(name, "")[:100], code=code, params=params,
                ))
            if len(preview) < PREVIEW_ROWS:
                preview.append(_preview_row(plan, lookups))
        room = MAX_STORED_ERRORS - stored_errors
        if errors and room > 0:
            CustomerImportRowError.objects.bulk_create(errors[:room], batch_size=1000)
            stored_errors += min(room, len(errors))
        done += len(chunk)
        progress_set(batch, done=done, total=total)
    return counts, preview


def _preview_row(plan, lookups):
    """A row as it will be imported, for the preview; personal data masked (the uploader has the file)."""
    values = plan.values
    identity = "; ".join(f"{channel}:{external_id}" if not app_id else f"{channel}:{app_id}:{external_id}"
                         for channel, app_id, external_id in plan.identities)
    return {
        "row": plan.row, "action": plan.action, "customer_id": plan.customer_id,
        "display_name": values["display_name"], "real_name": mask_name(values["real_name"]),
        "mobile": mask_mobile(values["mobile"]) if values["mobile"] else "", "email": values["email"],
        "level": values["level"] or "", "region": lookups.region_names.get(values["region_id"], ""),
        "tags": [lookups.tag_names[t] for t in plan.tag_ids], "owner": lookups.owner_names.get(values["owner_id"], ""),
        "identity": identity,
    }


def _write_chunk(batch, plans, now):
    """Write one chunk of planned rows and its undo log, inside the apply transaction."""
    organization_id = batch.organization_id
    news = [p for p in plans if p.action == NEW]
    updates = [p for p in plans if p.action == UPDATE]

    created = [
        Customer(
            organization_id=organization_id, display_name=p.values["display_name"], real_name=p.values["real_name"],
            mobile=p.values["mobile"], email=p.values["email"], region_id=p.values["region_id"],
            owner_id=p.values["owner_id"], level=p.values["level"] or Customer.Level.NORMAL, notes=p.values["notes"],
            source_channel=Channel.IMPORT,
        )
        for p in news
    ]
    Customer.objects.bulk_create(created, batch_size=1000)
    customer_of = {id(p): c.pk for p, c in zip(news, created, strict=True)}

    # Existing customers are locked in id order, so two imports touching the same customers queue rather than
    # deadlock within a chunk.
    existing = {c.pk: c for c in Customer.objects.select_for_update().filter(
        pk__in=[p.customer_id for p in updates]).order_by("pk")}
    has_tags = set(CustomerTag.objects.filter(customer_id__in=existing).values_list("customer_id", "tag_id"))
    changes, changed_customers, changed_fields = {}, [], set()
    for plan in updates:
        customer = existing.get(plan.customer_id)
        if customer is None:
            # Deleted in the instant between the plan and the lock: start again rather than guess.
            raise CustomerImportRefused("apply_failed")
        customer_of[id(plan)] = customer.pk
        previous, applied = {}, {}
        for attname, key in FILLABLE.items():
            value = plan.values[key]
            if value and not getattr(customer, attname):
                previous[attname], applied[attname] = getattr(customer, attname), value
                setattr(customer, attname, value)
        level = plan.values["level"]
        if level and LEVEL_RANK[level] > LEVEL_RANK[customer.level]:
            previous["level"], applied["level"] = customer.level, level
            customer.level = level
        if previous:
            customer.updated_at = now
            changed_customers.append(customer)
            changed_fields.update(previous)
        changes[id(plan)] = CustomerImportChange(
            organization_id=organization_id, batch=batch, customer_id=customer.pk, row=plan.row,
            action=CustomerImportChange.Action.UPDATED, previous=previous, applied=applied,
            tag_ids=[t for t in plan.tag_ids if (customer.pk, t) not in has_tags],
        )
    if changed_customers:
        customers_update(changed_customers, [*sorted(changed_fields), "updated_at"], organization_id)
    for plan in news:
        changes[id(plan)] = CustomerImportChange(
            organization_id=organization_id, batch=batch, customer_id=customer_of[id(plan)], row=plan.row,
            action=CustomerImportChange.Action.CREATED, tag_ids=list(plan.tag_ids),
        )

    tags = [
        CustomerTag(organization_id=organization_id, customer_id=customer_of[id(p)], tag_id=t)
        for p in (*news, *updates) for t in changes[id(p)].tag_ids
    ]
    # ignore_conflicts: a tag someone added a moment ago is no reason to fail a hundred thousand rows.
    CustomerTag.objects.bulk_create(tags, batch_size=2000, ignore_conflicts=True)

    with_identity = [(p, key) for p in (*news, *updates) for key in p.new_identities]
    identities = [
        ChannelIdentity(organization_id=organization_id, customer_id=customer_of[id(p)], channel=key[0],
                        app_id=key[1], external_id=key[2])
        for p, key in with_identity
    ]
    # No ignore_conflicts here: an identity someone else created since the plan fails the import (and rolls it back)
    # rather than being silently linked to two customers.
    ChannelIdentity.objects.bulk_create(identities, batch_size=1000)
    for (plan, _key), identity in zip(with_identity, identities, strict=True):
        changes[id(plan)].identity_ids.append(identity.pk)

    CustomerImportChange.objects.bulk_create(changes.values(), batch_size=1000)


def customers_update(customers, attnames, organization_id):
    """Write `attnames` of many customers at once.

    QuerySet.bulk_update builds a CASE expression per row and field in Python, about a millisecond a row; one
    UPDATE … FROM (VALUES …) per thousand rows does the same work in the database. The statement is
    limited to the batch's organization, as the scoped manager would.
    """
    fields = [Customer._meta.get_field(name) for name in attnames]
    columns = [connection.ops.quote_name(f.column) for f in fields]
    template = "(%s::bigint, " + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
    sql = (
        f"UPDATE {connection.ops.quote_name(Customer._meta.db_table)} AS c "  # noqa: S608 - names from the model
        f"SET {', '.join(f'{col} = v.{col}' for col in columns)} "
        f"FROM (VALUES %(values)s) AS v(id, {', '.join(columns)}) "
        f"WHERE c.id = v.id AND c.organization_id = %(organization)s"
    )
    rows = [(c.pk, *(f.get_db_prep_save(getattr(c, f.attname), connection) for f in fields)) for c in customers]
    tenant_sql(sql, organization=organization_id, values=rows, template=template, page_size=1000)
