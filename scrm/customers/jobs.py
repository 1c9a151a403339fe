"""Background jobs: customer imports (each phase: check, apply, undo) and large exports are jobs of the one outbox
(scrm.platform.outbox), registered here, on their own queue ("jobs"), so a heavy import never delays ingestion.

A phase is queued (`outbox.enqueue`) in the transaction that decides it and published after commit; a worker claims
the row under a lease that outlasts the task's time limit. If the broker was unreachable, or the worker died, the
outbox's sweeper takes the job again once its `next_attempt_at` (or lease) has passed. That is safe because every
phase is idempotent and runs under the batch's row lock, and a second run of a finished phase does nothing. The job's
`status` stays what the user reads; its `job_state` is the outbox's.

Finished export files hold personal data; `customer_exports_expire` deletes them a week after they were produced.
Files are kept in storage (imports/<organization>/, exports/<organization>/); the services delete a file once its
row no longer needs it, and `customer_files_orphans_delete` deletes the files no row names (a deleted batch, an
upload whose transaction rolled back, a worker that died between writing a file and recording it).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from scrm.customers.exports import EXPORT_KIND, customer_export_run
from scrm.customers.imports import (
    IMPORT_KIND,
    customer_import_apply,
    customer_import_undo,
    customer_import_validate,
)
from scrm.models import CustomerExport, CustomerImport
from scrm.models.imports import JOB_STATES
from scrm.platform import outbox
from scrm.platform.storage import ORPHAN_GRACE, organization_folders, storage_orphans_delete
from scrm.platform.tenancy import platform_scope

logger = logging.getLogger(__name__)

EXPORT_KEPT_FOR = timedelta(days=7)
# 200,000 rows take minutes, not the default 4; still well under the broker's one-hour visibility timeout.
JOB_TIME_LIMIT = 1900  # seconds
JOB_LEASE = timedelta(seconds=JOB_TIME_LIMIT + 300)  # outlasts the task's hard time limit
JOB_MAX_ATTEMPTS = 3  # a phase records its own failures; these are for workers that died under it

_IMPORT_PHASES = {
    CustomerImport.Status.UPLOADED: customer_import_validate,
    CustomerImport.Status.VALIDATING: customer_import_validate,
    CustomerImport.Status.APPLYING: customer_import_apply,
    CustomerImport.Status.UNDOING: customer_import_undo,
}


def _import_phase(batch):
    """The outbox handler of an import: run the phase its status asks for (none once it waits for the user)."""
    phase = _IMPORT_PHASES.get(batch.status)
    if phase is not None:
        phase(batch_id=batch.pk)


def _export(job):
    customer_export_run(export_id=job.pk)


_JOB = {"max_attempts": JOB_MAX_ATTEMPTS, "backoff": outbox.exponential(60), "lease": JOB_LEASE,
        "queue": outbox.JOBS_QUEUE, "states": JOB_STATES, "status_field": "job_state", "time_limit": JOB_TIME_LIMIT}
outbox.register(IMPORT_KIND, model=CustomerImport, handler=_import_phase, **_JOB)
outbox.register(EXPORT_KIND, model=CustomerExport, handler=_export, **_JOB)


def customer_exports_expire(*, now=None):
    """Delete the files of exports produced more than a week ago; the rows stay as the record of the export.
    A file goes once the row that stops naming it is committed. Nothing of a suspended organization is deleted:
    its exports expire after it resumes."""
    now = now or timezone.now()
    storage = CustomerExport._meta.get_field("file").storage
    # Lift: system machinery (hourly beat): the expired exports of every organization, through one locked query.
    with platform_scope(), transaction.atomic():
        expired = list(CustomerExport.objects.select_for_update(skip_locked=True, of=("self",))
                       .filter(status=CustomerExport.Status.DONE, finished_at__lt=now - EXPORT_KEPT_FOR,
                               organization__is_active=True)
                       .values_list("pk", "file"))
        CustomerExport.objects.filter(pk__in=[pk for pk, _name in expired]).update(
            status=CustomerExport.Status.EXPIRED, file="")
        names = [name for _pk, name in expired if name]
        transaction.on_commit(lambda: [storage.delete(name) for name in names])
    if expired:
        logger.info("customer export files deleted", extra={"count": len(expired)})
    return len(expired)


_FILE_FOLDERS = {"imports": CustomerImport, "exports": CustomerExport}


def customer_files_orphans_delete(*, now=None, grace=ORPHAN_GRACE):
    """Delete the import and export files that no row names, once older than `grace`; returns how many.
    Every organization's folder, each read in its organization's scope; works through the storage API (a local
    folder or an object store alike)."""
    now = now or timezone.now()
    deleted = 0
    for folder, model in _FILE_FOLDERS.items():
        storage = model._meta.get_field("file").storage
        for organization_id, organization_folder in organization_folders(storage, folder):
            deleted += storage_orphans_delete(model=model, folder=organization_folder, organization_id=organization_id,
                                              now=now, grace=grace)
    if deleted:
        logger.info("orphaned customer files deleted", extra={"count": deleted})
    return deleted
