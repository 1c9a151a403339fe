"""Undo of an applied batch: requested on the page, run by a worker in one transaction, refused (changing nothing)
once a created customer has a life of its own."""

import logging
from collections import defaultdict

from django.db import DatabaseError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from scrm.customers.imports.applying import customers_update
from scrm.customers.imports.messages import MSG_ALREADY_UNDONE, MSG_UNDO_NOT_APPLIED, CustomerImportRefused
from scrm.customers.imports.phases import batch_lock, phase_enqueue, phase_start
from scrm.customers.imports.planning import CHUNK_ROWS, chunks
from scrm.customers.imports.progress import progress_set
from scrm.errors import ScrmError
from scrm.models import (
    ChannelIdentity,
    Customer,
    CustomerImport,
    CustomerImportChange,
    CustomerTag,
)
from scrm.platform.redaction import redact

logger = logging.getLogger(__name__)


@transaction.atomic
def customer_import_request_undo(*, batch, user):
    """Queue the undo of an applied batch (it may touch a hundred thousand customers: a worker does it)."""
    batch = batch_lock(batch.pk)
    if batch.status in {CustomerImport.Status.UNDOING, CustomerImport.Status.UNDONE}:
        raise ScrmError(MSG_ALREADY_UNDONE)
    if batch.status != CustomerImport.Status.APPLIED:
        raise ScrmError(MSG_UNDO_NOT_APPLIED)
    batch.status, batch.undone_by = CustomerImport.Status.UNDOING, user
    batch.failure_code, batch.failure_params, batch.failure_detail = "", {}, ""
    batch.save(update_fields=["status", "undone_by", "failure_code", "failure_params", "failure_detail",
                              "updated_at"])
    progress_set(batch, done=0, total=batch.new_count + batch.update_count)
    phase_enqueue(batch)
    return batch


def customer_import_undo(*, batch_id):
    """Undo an applied batch in one transaction: delete the customers it created, and on the customers it updated
    restore each field it filled (unless someone changed that field since) and remove the tags and identities it
    added.

    Refused, changing nothing, when a created customer has since gained a life of its own: another channel identity,
    a merge, a ticket or anything else that protects it from deletion. The batch then stays applied, with the reason.
    """
    batch = phase_start(batch_id, ready=CustomerImport.Status.UNDOING, running=CustomerImport.Status.UNDOING)
    if batch is None:
        return CustomerImport.objects.get(pk=batch_id)
    try:
        with transaction.atomic():
            batch = batch_lock(batch_id)
            if batch.status != CustomerImport.Status.UNDOING:
                return batch
            _undo(batch)
            batch.status, batch.undone_at = CustomerImport.Status.UNDONE, timezone.now()
            batch.save(update_fields=["status", "undone_at", "updated_at"])
    except CustomerImportRefused as exc:
        return _undo_refused(batch_id, exc.code, params=exc.params)
    except DatabaseError as exc:
        logger.warning("customer import undo failed: %s", exc, extra={"batch": batch_id})
        return _undo_refused(batch_id, "undo_failed", detail=str(exc).strip())
    except Exception as exc:
        _undo_refused(batch_id, "undo_failed", detail=str(exc).strip())
        raise
    logger.info("customer import undone", extra={"batch": batch.pk})
    return batch


def _undo_refused(batch_id, code, *, params=None, detail=""):
    with transaction.atomic():
        batch = batch_lock(batch_id)
        batch.status, batch.undone_by = CustomerImport.Status.APPLIED, None
        batch.failure_code, batch.failure_params, batch.failure_detail = code, params or {}, redact(
            detail, organization_id=batch.organization_id)
        batch.save(update_fields=["status", "undone_by", "failure_code", "failure_params", "failure_detail",
                                  "updated_at"])
    return batch


def _undo(batch):
    changes = CustomerImportChange.objects.filter(batch=batch)
    created = list(changes.filter(action=CustomerImportChange.Action.CREATED)
                   .order_by("customer_id").values_list("customer_id", "identity_ids"))
    updated = list(changes.filter(action=CustomerImportChange.Action.UPDATED).order_by("customer_id"))
    total, done = len(created) + len(updated), 0
    progress_set(batch, done=0, total=total)

    created_ids = [customer_id for customer_id, _ids in created]
    own_identities = {pk for _customer_id, ids in created for pk in ids}
    for chunk in chunks(created_ids, CHUNK_ROWS):
        identities = ChannelIdentity.objects.filter(customer_id__in=chunk).values_list("pk", flat=True)
        if not set(identities) <= own_identities:
            raise CustomerImportRefused("undo_foreign_identities")

    now = timezone.now()
    for chunk in chunks(updated, CHUNK_ROWS):
        customers = {c.pk: c for c in Customer.objects.select_for_update().filter(
            pk__in=[change.customer_id for change in chunk]).order_by("pk")}
        restored, fields, untag, identity_ids = [], set(), defaultdict(list), []
        for change in chunk:
            identity_ids.extend(change.identity_ids)
            for tag_id in change.tag_ids:
                untag[tag_id].append(change.customer_id)
            customer = customers.get(change.customer_id)
            if customer is None:
                continue  # deleted since: nothing left to restore
            touched = False
            for attname, old in change.previous.items():
                # A field someone changed after the import keeps their value.
                if getattr(customer, attname) == change.applied.get(attname):
                    setattr(customer, attname, old)
                    fields.add(attname)
                    touched = True
            if touched:
                customer.updated_at = now
                restored.append(customer)
        if restored:
            customers_update(restored, [*sorted(fields), "updated_at"], batch.organization_id)
        for tag_id, customer_ids in untag.items():
            CustomerTag.objects.filter(tag_id=tag_id, customer_id__in=customer_ids).delete()
        if identity_ids:
            ChannelIdentity.objects.filter(pk__in=identity_ids).delete()
        done += len(chunk)
        progress_set(batch, done=done, total=total)

    for chunk in chunks(created_ids, CHUNK_ROWS):
        try:
            Customer.objects.filter(pk__in=chunk).delete()
        except (ProtectedError, RestrictedError) as exc:
            raise CustomerImportRefused("undo_referenced") from exc
        done += len(chunk)
        progress_set(batch, done=done, total=total)
