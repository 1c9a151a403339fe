"""The job entry points: upload (in the request), then the check and the apply a worker runs as jobs of the outbox
kind "customer_import" (registered by scrm.customers.jobs), confirm and cancel (in the request)."""

import hashlib
import logging
import os

from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.utils import timezone

from scrm.customers.imports import reading
from scrm.customers.imports.applying import rows_run
from scrm.customers.imports.messages import (
    MSG_CANNOT_CANCEL,
    MSG_NOT_CHECKED,
    MSG_NOTHING_TO_APPLY,
    MSG_STILL_CHECKING,
    CustomerImportRefused,
)
from scrm.customers.imports.planning import NEW, SKIP, UPDATE
from scrm.customers.imports.progress import progress_set
from scrm.customers.imports.reading import read_sheet
from scrm.errors import ScrmError
from scrm.models import CustomerImport
from scrm.platform import outbox
from scrm.platform.redaction import redact

logger = logging.getLogger(__name__)


def customer_import_upload(*, organization, user, file):
    """Store an uploaded file as a new batch and queue its check; refuse an unusable file and create nothing then.

    `file` is an uploaded file (or any file object with `name` and `size`). What can be judged at once is: the size,
    whether it is a spreadsheet at all, its encoding, its column titles and, for CSV, its row count.
    """
    size = getattr(file, "size", None)
    if size is not None and size > reading.MAX_FILE_BYTES:
        raise CustomerImportRefused("too_large", limit=reading.MAX_FILE_BYTES // (1024 * 1024))
    content = file.read(reading.MAX_FILE_BYTES + 1)
    if len(content) > reading.MAX_FILE_BYTES:
        raise CustomerImportRefused("too_large", limit=reading.MAX_FILE_BYTES // (1024 * 1024))
    if not content:
        raise CustomerImportRefused("empty")
    file_name = os.path.basename(getattr(file, "name", "") or "upload.csv")[:255]
    sheet = read_sheet(content, file_name)
    if sheet.kind == CustomerImport.Kind.CSV:
        rows = sheet.count_rows(reading.MAX_ROWS)
        if rows > reading.MAX_ROWS:
            raise CustomerImportRefused("too_many_rows", limit=reading.MAX_ROWS)
        if rows == 0:
            raise CustomerImportRefused("no_rows")

    batch = CustomerImport(
        organization=organization, file_name=file_name, file_kind=sheet.kind,
        file_sha256=hashlib.sha256(content).hexdigest(), file_size=len(content),
        columns={"matched": [[name, sheet.headers[name]] for name in sorted(sheet.columns, key=sheet.columns.get)],
                 "ignored": sheet.ignored},
        created_by=user,
    )
    # The file is in storage before its row exists (a worker must find it); if the row is never committed, the
    # file goes again (and the hourly sweep of orphaned files catches what a dead process left).
    batch.file.save("upload", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            batch.save(force_insert=True)
            phase_enqueue(batch)
    except BaseException:
        batch.file.storage.delete(batch.file.name)
        raise
    logger.info("customer import uploaded", extra={"batch": batch.pk, "size": len(content), "kind": sheet.kind})
    return batch


IMPORT_KIND = "customer_import"  # the outbox kind of an import's phases (registered by scrm.customers.jobs)


def phase_enqueue(batch):
    """Queue the batch's next phase (its status says which) as a job of the outbox, published once the current
    transaction commits (a worker must see the row). scrm.customers.jobs runs it."""
    outbox.enqueue(IMPORT_KIND, batch)


def batch_lock(batch_id):
    return CustomerImport.objects.select_for_update().get(pk=batch_id)


def _file_drop(batch):
    """Forget the batch's file in its row now and delete it from storage once that is committed (a rollback keeps
    both); returns the field to save."""
    name = batch.file.name
    if name:
        storage = batch.file.storage
        transaction.on_commit(lambda: storage.delete(name))
    batch.file = ""
    return "file"


def _fail(batch_id, code, *, params=None, detail=""):
    with transaction.atomic():
        batch = batch_lock(batch_id)
        batch.status = CustomerImport.Status.FAILED
        batch.failure_code, batch.failure_params, batch.failure_detail = code, params or {}, redact(
            detail, organization_id=batch.organization_id)
        batch.save(update_fields=["status", "failure_code", "failure_params", "failure_detail", _file_drop(batch),
                                  "updated_at"])
    return batch


def phase_start(batch_id, *, ready, running):
    """Move a batch into a running phase in its own short transaction (so the page shows it) and say whether this
    delivery of the task should run. A redelivered task (the worker died) finds the phase still running and runs
    again; one that finds the phase finished does nothing."""
    with transaction.atomic():
        batch = batch_lock(batch_id)
        if batch.status not in {ready, running}:
            return None
        if batch.status != running:
            batch.status = running
            batch.save(update_fields=["status", "updated_at"])
    return batch


def customer_import_validate(*, batch_id):
    """Check every row of an uploaded batch and record the plan: counts, the first rows, the row errors.

    Writes nothing but the batch and its errors. Idempotent: a batch past this phase is left alone.
    """
    batch = phase_start(batch_id, ready=CustomerImport.Status.UPLOADED, running=CustomerImport.Status.VALIDATING)
    if batch is None:
        return CustomerImport.objects.get(pk=batch_id)
    try:
        with transaction.atomic():
            batch = batch_lock(batch_id)
            if batch.status != CustomerImport.Status.VALIDATING:
                return batch
            counts, preview = rows_run(batch, apply=False)
            batch.status = CustomerImport.Status.VALIDATED
            batch.total_rows, batch.new_count = counts["rows"], counts[NEW]
            batch.update_count, batch.error_count = counts[UPDATE], counts[SKIP]
            batch.preview, batch.validated_at = preview, timezone.now()
            batch.save(update_fields=["status", "total_rows", "new_count", "update_count", "error_count", "preview",
                                      "validated_at", "updated_at"])
    except CustomerImportRefused as exc:
        return _fail(batch_id, exc.code, params=exc.params)
    except Exception as exc:
        # Not a bad file: a bug, the database gone, the time limit. The batch says it failed rather than "checking"
        # for ever, and the error still reaches the worker's log.
        _fail(batch_id, "check_failed", detail=str(exc).strip())
        raise
    logger.info("customer import checked", extra={"batch": batch.pk, **counts})
    return batch


@transaction.atomic
def customer_import_confirm(*, batch, user):
    """Queue a checked batch for applying; refused unless it was checked and has rows to apply."""
    batch = batch_lock(batch.pk)
    if batch.status != CustomerImport.Status.VALIDATED:
        raise ScrmError(MSG_NOT_CHECKED)
    if not (batch.new_count or batch.update_count):
        raise ScrmError(MSG_NOTHING_TO_APPLY)
    batch.status, batch.confirmed_by = CustomerImport.Status.APPLYING, user
    batch.save(update_fields=["status", "confirmed_by", "updated_at"])
    progress_set(batch, done=0, total=batch.total_rows)
    phase_enqueue(batch)
    return batch


def customer_import_cancel(*, batch, user):
    """Drop a batch that was not applied; its stored file goes with it."""
    if batch.status == CustomerImport.Status.VALIDATING:
        raise ScrmError(MSG_STILL_CHECKING)
    with transaction.atomic():
        batch = batch_lock(batch.pk)
        if batch.status not in {CustomerImport.Status.UPLOADED, CustomerImport.Status.VALIDATED}:
            raise ScrmError(MSG_CANNOT_CANCEL)
        batch.status = CustomerImport.Status.CANCELLED
        batch.save(update_fields=["status", _file_drop(batch), "updated_at"])
    logger.info("customer import cancelled", extra={"batch": batch.pk, "user": user.pk})
    return batch


def customer_import_apply(*, batch_id):
    """Apply a confirmed batch in one transaction: create the new customers (source "import"), fill the empty fields
    of existing ones and add their tags and identities, and log what undo needs. Rows with errors are skipped.

    The rows are planned again inside the transaction, so a customer created since the check is updated rather than
    duplicated. On any database error nothing is written and the batch is marked failed. Idempotent.
    """
    batch = phase_start(batch_id, ready=CustomerImport.Status.APPLYING, running=CustomerImport.Status.APPLYING)
    if batch is None:
        return CustomerImport.objects.get(pk=batch_id)
    try:
        with transaction.atomic():
            batch = batch_lock(batch_id)
            if batch.status != CustomerImport.Status.APPLYING:
                return batch
            counts, _preview = rows_run(batch, apply=True)
            batch.status = CustomerImport.Status.APPLIED
            batch.total_rows, batch.new_count = counts["rows"], counts[NEW]
            batch.update_count, batch.error_count = counts[UPDATE], counts[SKIP]
            batch.applied_at = timezone.now()
            batch.save(update_fields=["status", "total_rows", "new_count", "update_count", "error_count",
                                      "applied_at", _file_drop(batch), "updated_at"])
    except CustomerImportRefused as exc:
        return _fail(batch_id, exc.code, params=exc.params)
    except DatabaseError as exc:
        # Rolled back as a whole; the cause is kept for whoever looks at the batch.
        logger.warning("customer import failed: %s", exc, extra={"batch": batch_id})
        return _fail(batch_id, "apply_failed", detail=str(exc).strip())
    except Exception as exc:
        # Rolled back too; a bug or the time limit, so it is also re-raised for the worker's log.
        _fail(batch_id, "apply_failed", detail=str(exc).strip())
        raise
    logger.info("customer import applied", extra={"batch": batch.pk, **counts})
    return batch
