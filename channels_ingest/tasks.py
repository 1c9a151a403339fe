"""Celery tasks of the channels app: thin, idempotent, acks_late; each calls one service."""

from celery import shared_task

from channels_ingest.models import InboundEvent
from channels_ingest.services import enqueue, processing
from channels_ingest.services import media as media_services
from channels_ingest.services import outbound as outbound_services

_TASK = {"acks_late": True, "ignore_result": True}


@shared_task(bind=True, max_retries=processing.MAX_ATTEMPTS, **_TASK)
def process_event(self, event_id):
    status = processing.event_process(event_id=event_id)
    if status == InboundEvent.Status.FAILED:
        raise self.retry(countdown=processing.backoff_seconds(self.request.retries + 1))


@shared_task(**_TASK)
def process_events(event_ids):
    """A web process's batch of stored events (channels_ingest.services.enqueue). Each is processed in its own
    transaction, as `process_event` would; one that fails goes on alone, as a `process_event` retry."""
    for event_id in event_ids:
        if processing.event_process(event_id=event_id) == InboundEvent.Status.FAILED:
            process_event.apply_async((event_id,), countdown=processing.backoff_seconds(1), retries=1)


@shared_task(**_TASK)
def events_requeue_stale():
    """Beat, every minute: events the broker never delivered (or whose retry was lost) go to the workers again."""
    stale = processing.events_stale()
    for start in range(0, len(stale), enqueue.MAX_BATCH):
        process_events.apply_async((stale[start:start + enqueue.MAX_BATCH],))
    for outbound_id in outbound_services.outbound_stale():
        outbound_send.apply_async((outbound_id,))


@shared_task(bind=True, max_retries=media_services.MAX_ATTEMPTS, **_TASK)
def media_download(self, media_id):
    try:
        media_services.media_download(media_id=media_id)
    except media_services.MediaRetry as exc:
        raise self.retry(countdown=processing.backoff_seconds(self.request.retries + 1), exc=exc) from exc


@shared_task(bind=True, max_retries=outbound_services.MAX_ATTEMPTS, **_TASK)
def outbound_send(self, outbound_id):
    try:
        outbound_services.outbound_send(outbound_id=outbound_id)
    except outbound_services.SendRetry as exc:
        raise self.retry(countdown=processing.backoff_seconds(exc.attempts), exc=exc) from exc
