"""Celery tasks of the tickets app: a few lines each, calling one service."""

from celery import shared_task
from django.conf import settings

from scrm.tenancy import tenant_scope

# The module, not `tickets.services.notify` (that name is the notify() function of the package).
from tickets.services import sla
from tickets.services.notify import notification_deliveries_due, notification_delivery_send


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def notification_deliver(self, organization_id, delivery_id):
    """Send one outbox delivery; a failure that may pass is retried after the service's back-off (the service
    counts attempts and declares the delivery dead, so Celery's own retry limit is off)."""
    with tenant_scope(organization_id):
        delay = notification_delivery_send(delivery_id=delivery_id)
    if delay is not None:
        raise self.retry(countdown=delay)


@shared_task(acks_late=True, ignore_result=True)
def notification_deliveries_sweep():
    """Beat: re-enqueue deliveries whose task was lost; sending stays idempotent, so a duplicate is harmless."""
    for organization_id, delivery_id in notification_deliveries_due():
        notification_deliver.delay(organization_id, delivery_id)


# --- SLA ------------------------------------------------------------------------------------------------------------

# Beat starts SLA_SWEEPS sweeps every 30 s; a sweep that waited in the queue longer than that is superseded by the
# next ones.
@shared_task(acks_late=True, ignore_result=True, expires=30)
def sla_sweep(batch_size=500):
    """Escalate the tickets whose next SLA step is due (cross-tenant; each ticket in its organization's scope)."""
    return sla.sla_sweep(batch_size=batch_size)


@shared_task(acks_late=True, ignore_result=True, expires=30)
def sla_sweep_start():
    """Beat: start the sweeps. Several run side by side on as many worker processes (they skip each other's locked
    rows), which drains a burst of due tickets faster; an empty sweep costs about a millisecond."""
    for _ in range(settings.SLA_SWEEPS):
        sla_sweep.delay()


@shared_task(acks_late=True, ignore_result=True)
def attachment_orphans_delete():
    """Beat, hourly: files left by transactions that rolled back after storing them."""
    from tickets.services.attachments import attachment_orphans_delete as delete

    return delete()
