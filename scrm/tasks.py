from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from scrm.health import HEARTBEAT_CACHE_KEY
from scrm.platform import outbox
from scrm.services import customer_export, customer_import, jobs
from scrm.tenancy import tenant_scope


@shared_task(acks_late=True, ignore_result=True)
def outbox_run(kind, ids):
    """Claim and run the due rows of one outbox kind (scrm.platform.outbox): a published batch, a retry, a sweep."""
    outbox.run(kind, ids)


@shared_task(acks_late=True, ignore_result=True, expires=30)
def outbox_sweep():
    """Beat: enqueue every outbox row whose next attempt is due or whose lease expired."""
    outbox.sweep()


@shared_task(acks_late=True, ignore_result=True)
def worker_heartbeat():
    """Beat runs this every minute; /healthz shows when a worker last did, so a stalled worker is visible."""
    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=600)


# Customer imports and large exports: 200,000 rows take minutes, not the default 4; still well under the broker's
# one-hour visibility timeout, after which Redis would hand the task to another worker.
_IMPORT_LIMITS = {"acks_late": True, "ignore_result": True, "soft_time_limit": 1800, "time_limit": 1900}


@shared_task(**_IMPORT_LIMITS)
def customer_import_validate(organization_id, batch_id):
    with tenant_scope(organization_id):
        customer_import.customer_import_validate(batch_id=batch_id)


@shared_task(**_IMPORT_LIMITS)
def customer_import_apply(organization_id, batch_id):
    with tenant_scope(organization_id):
        customer_import.customer_import_apply(batch_id=batch_id)


@shared_task(**_IMPORT_LIMITS)
def customer_import_undo(organization_id, batch_id):
    with tenant_scope(organization_id):
        customer_import.customer_import_undo(batch_id=batch_id)


@shared_task(**_IMPORT_LIMITS)
def customer_export_run(organization_id, export_id):
    with tenant_scope(organization_id):
        customer_export.customer_export_run(export_id=export_id)


@shared_task(acks_late=True, ignore_result=True)
def background_jobs_requeue():
    """Beat: queue again the imports and exports whose task was lost (the broker was down when they were asked for)."""
    jobs.background_jobs_requeue()


@shared_task(acks_late=True, ignore_result=True)
def customer_exports_expire():
    """Beat: delete export files a week after they were produced."""
    jobs.customer_exports_expire()
