from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from scrm.customers import jobs
from scrm.health import HEARTBEAT_CACHE_KEY
from scrm.platform import outbox


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


@shared_task(acks_late=True, ignore_result=True)
def customer_exports_expire():
    """Beat: delete export files a week after they were produced."""
    jobs.customer_exports_expire()


@shared_task(acks_late=True, ignore_result=True)
def customer_files_orphans_delete():
    """Beat: delete the import and export files that no row names."""
    jobs.customer_files_orphans_delete()
