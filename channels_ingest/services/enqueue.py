"""Handing stored events to the workers: in batches, from a thread of the web process, never on the request's time.

Publishing one Celery message per callback cost the web side as much as storing the event (Celery builds the
message, kombu a Redis client, for each one), and callbacks are the product's hottest write. So each web process
collects the ids of the events it stored and, LINGER seconds after the first one, publishes them together as one
`process_events` message (at most MAX_BATCH ids each) from a background thread.

Nothing stored can be lost this way: an id still in memory when its process dies, or in a batch that met a broker
that was down, belongs to an event stored as `received`, and the beat's `events_requeue_stale` sends it again after a
minute (the flow of ../shared/DESIGN.md: the re-enqueue is what makes "nothing stored is ever dropped" true).

In Celery's eager mode (tests, a worker-less setup) each id is handed over at once, on the caller's thread.
"""

import atexit
import logging
import os
import threading

logger = logging.getLogger(__name__)

LINGER = 0.05  # seconds a batch waits for more ids after its first
MAX_BATCH = 200


class EventBatcher:
    """Ids in, `publish(ids)` calls out, one per batch, on a daemon thread started with the first id. A forked child
    (a gunicorn or Celery worker process) starts empty: the parent's ids are the parent's to send, and its thread and
    lock did not come along."""

    def __init__(self, publish, *, linger=LINGER, max_batch=MAX_BATCH):
        self._publish, self.linger, self.max_batch = publish, linger, max_batch
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        self._cond = threading.Condition()
        self._ids = []
        self._sending = 0  # batches taken from the buffer and not yet published
        self._thread = None

    def add(self, event_id):
        with self._cond:
            self._ids.append(event_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="scrm-event-enqueue", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _take(self):
        ids, self._ids = self._ids, []
        self._sending += 1
        return ids

    def _sent(self):
        with self._cond:
            self._sending -= 1
            self._cond.notify_all()

    def _run(self):
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._ids)
                # Let the ids of the callbacks arriving meanwhile join this batch.
                self._cond.wait_for(lambda: len(self._ids) >= self.max_batch, timeout=self.linger)
                ids = self._take()
            try:
                self._send(ids)
            finally:
                self._sent()

    def flush(self):
        """Publish what is waiting, on this thread, and return once every batch taken before has been published
        too (or has failed to be). At process exit, and in tests that must know where the ids are."""
        with self._cond:
            ids = self._take()
        try:
            self._send(ids)
        finally:
            self._sent()
        with self._cond:
            self._cond.wait_for(lambda: not self._sending, timeout=30)

    def _send(self, ids):
        for start in range(0, len(ids), self.max_batch):
            chunk = ids[start:start + self.max_batch]
            try:
                self._publish(chunk)
            except Exception:  # noqa: BLE001 - any broker failure: the events are stored and re-enqueued later
                logger.warning("%d stored events not enqueued; the re-enqueue sweep will send them", len(chunk),
                               extra={"event_ids": chunk[:20]}, exc_info=True)


def _publish(ids):
    from channels_ingest.tasks import process_events

    process_events.apply_async((ids,), retry=False)


_batcher = EventBatcher(_publish)
atexit.register(_batcher.flush)


def event_enqueue(event_id):
    """Hand a stored event to the workers (call it on commit). Never raises for the broker's sake."""
    from scrm.celery import app

    if app.conf.task_always_eager:
        _send_now(event_id)
        return
    _batcher.add(event_id)


def _send_now(event_id):
    from channels_ingest.tasks import process_event

    try:
        process_event.apply_async((event_id,), retry=False)
    except Exception:  # noqa: BLE001 - as in a batch: logged, and the stored event is re-enqueued later
        logger.warning("inbound event stored but not enqueued; the re-enqueue sweep will send it",
                       extra={"event_id": event_id}, exc_info=True)


def events_flush():
    """Publish this process's waiting ids now (see EventBatcher.flush)."""
    _batcher.flush()
