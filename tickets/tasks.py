"""Celery tasks of the tickets app: a few lines each, calling one service."""

import logging

from celery import shared_task

from scrm.models import Organization
from tickets.services import agent_load_recount

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def attachment_orphans_delete():
    """Beat, hourly: files left by transactions that rolled back after storing them."""
    from tickets.services.attachments import attachment_orphans_delete as delete

    return delete()


@shared_task(acks_late=True, ignore_result=True)
def agent_loads_recount():
    """Beat, nightly: every active organization's agent load counters checked against their tickets.

    The services keep the counters exact; a counter that drifted anyway (a hand edit in the database, a bug) would
    make the router pass over an agent and the board show a load its ticket list does not. Repaired here, and
    logged as a warning, so a drift is seen and its cause looked for."""
    for organization in Organization.objects.filter(is_active=True).order_by("pk"):
        corrected = agent_load_recount(organization=organization)
        if corrected:
            logger.warning(
                "agent load counters corrected", extra={"organization": organization.slug, "corrected": corrected})
