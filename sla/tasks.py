"""Celery tasks of the SLA app: a few lines each, calling one service."""

from celery import shared_task
from django.conf import settings

from sla import services


# Beat starts SLA_SWEEPS sweeps every 30 s; a sweep that waited in the queue longer than that is superseded by the
# next ones.
@shared_task(acks_late=True, ignore_result=True, expires=30)
def sla_sweep(batch_size=500):
    """Escalate the tickets whose next SLA step is due (cross-tenant; each ticket in its organization's scope)."""
    return services.sla_sweep(batch_size=batch_size)


@shared_task(acks_late=True, ignore_result=True, expires=30)
def sla_sweep_start():
    """Beat: start the sweeps. Several run side by side on as many worker processes (they skip each other's locked
    rows), which drains a burst of due tickets faster; an empty sweep costs about a millisecond."""
    for _ in range(settings.SLA_SWEEPS):
        sla_sweep.delay()
