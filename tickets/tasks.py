"""Celery tasks of the tickets app: thin, each calls one service."""

from celery import shared_task

from tickets.services.sla import sla_sweep as sla_sweep_service

# --- SLA ------------------------------------------------------------------------------------------------------------


# Beat sends one every 30 s; a sweep that waited in the queue longer than that is superseded by the next one.
@shared_task(acks_late=True, ignore_result=True, expires=30)
def sla_sweep(batch_size=500):
    """Escalate the tickets whose next SLA step is due (cross-tenant; each ticket in its organization's scope)."""
    return sla_sweep_service(batch_size=batch_size)
