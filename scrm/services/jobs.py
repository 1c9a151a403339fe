"""Keeping background jobs moving and their files from piling up, run by beat across all organizations.

A customer import or export is queued for a worker after its row commits. If the broker was unreachable at that
moment, the row waits in a waiting or running state with no task behind it; `background_jobs_requeue` queues it
again. That is safe because every phase is idempotent and runs under the batch's row lock: a batch some worker is
working on right now is locked and skipped, and a second delivery of a finished phase does nothing.

Finished export files hold personal data; `customer_exports_expire` deletes them a week after they were produced.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from scrm.models import CustomerExport, CustomerImport
from scrm.services.customer_import import _enqueue
from scrm.tenancy import platform_scope

logger = logging.getLogger(__name__)

# A job untouched this long with nothing working on it lost its task.
STALE_AFTER = timedelta(minutes=2)
# An export runs outside a lock, so a running one is only requeued once it has outlived the task's time limit
# (the worker died without Redis redelivering it yet).
EXPORT_RUN_LIMIT = timedelta(minutes=35)
EXPORT_KEPT_FOR = timedelta(days=7)

_IMPORT_TASKS = {
    CustomerImport.Status.UPLOADED: "customer_import_validate",
    CustomerImport.Status.VALIDATING: "customer_import_validate",
    CustomerImport.Status.APPLYING: "customer_import_apply",
    CustomerImport.Status.UNDOING: "customer_import_undo",
}


@transaction.atomic
def background_jobs_requeue(*, now=None):
    """Queue again every import and export whose task was lost; returns how many of each."""
    now = now or timezone.now()
    with platform_scope():
        batches = list(
            CustomerImport.objects.filter(status__in=list(_IMPORT_TASKS), updated_at__lt=now - STALE_AFTER)
            .select_for_update(skip_locked=True).only("pk", "organization_id", "status")
        )
        for batch in batches:
            _enqueue(_IMPORT_TASKS[batch.status], batch)
        exports = list(
            CustomerExport.objects.filter(
                Q(status=CustomerExport.Status.QUEUED, created_at__lt=now - STALE_AFTER)
                | Q(status=CustomerExport.Status.RUNNING, created_at__lt=now - EXPORT_RUN_LIMIT)
            ).values_list("pk", "organization_id")
        )
        for pk, organization_id in exports:
            _enqueue_export(organization_id, pk)
    if batches or exports:
        logger.warning("background jobs requeued", extra={"imports": len(batches), "exports": len(exports)})
    return {"imports": len(batches), "exports": len(exports)}


def _enqueue_export(organization_id, export_id):
    from scrm import tasks  # scrm.tasks imports the services: looked up here to avoid the cycle

    transaction.on_commit(lambda: tasks.customer_export_run.delay(organization_id, export_id))


def customer_exports_expire(*, now=None):
    """Delete the files of exports produced more than a week ago; the rows stay as the record of the export."""
    now = now or timezone.now()
    with platform_scope():
        expired = CustomerExport.objects.filter(status=CustomerExport.Status.DONE,
                                                finished_at__lt=now - EXPORT_KEPT_FOR)
        count = expired.update(status=CustomerExport.Status.EXPIRED, content=b"")
    if count:
        logger.info("customer export files deleted", extra={"count": count})
    return count
