"""The web side of a callback: store it once, enqueue its processing after commit, never call WeChat."""

import logging
from functools import partial

from django.db import transaction

from channels_ingest import wire
from channels_ingest.models import InboundEvent
from scrm.tenancy import tenant_scope

logger = logging.getLogger(__name__)


def _enqueue(event_id):
    """Hand the event to the workers. The broker being down must not fail the callback: the event is stored, and
    the beat's `events_requeue_stale` picks it up once the broker is back."""
    from channels_ingest.tasks import process_event

    try:
        process_event.apply_async((event_id,), retry=False)
    except Exception:  # noqa: BLE001 - any broker failure; logged, and the stored event is re-enqueued later
        logger.warning("inbound event stored but not enqueued; the re-enqueue sweep will pick it up",
                       extra={"event_id": event_id}, exc_info=True)


@transaction.atomic
def event_receive(*, account, raw, fields):
    """Store a verified callback as an InboundEvent; a retry of one already stored writes nothing.

    Returns (event, created). The unique (organization, account, dedupe_key) decides between concurrent
    deliveries (get_or_create inserts in a savepoint and reads the winner's row on a conflict).
    """
    with tenant_scope(account.organization_id):
        event, created = InboundEvent.objects.get_or_create(
            organization_id=account.organization_id, account=account, dedupe_key=wire.dedupe_key(fields),
            defaults={"kind": wire.event_kind(fields), "from_user": (fields.get("FromUserName") or "")[:128],
                      "raw": raw, "fields": fields},
        )
        if created:
            transaction.on_commit(partial(_enqueue, event.pk))
        return event, created
