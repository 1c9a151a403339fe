"""Stored events reach the broker in batches from a thread of the web process (the outbox's publish path): what a
burst of callbacks puts on Redis, how batches are cut, and that a broker failure loses nothing the sweep cannot send
again."""

import base64
import json
import logging
import threading
import time
from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings
from django.utils import timezone

from channels_ingest.models import InboundEvent
from channels_ingest.services.processing import MAX_ATTEMPTS
from scrm import tasks
from scrm.celery import app as celery_app
from scrm.platform.outbox import Batcher as EventBatcher
from scrm.platform.outbox import flush as events_flush
from scrm.platform.tenancy import platform_scope
from tests.channels_ingest.wechat import message
from tickets.models import Comment


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


class Published:
    """The publish side of a batcher under test: records each batch; can fail or be slow on request."""

    def __init__(self, *, fail_first=0, delay=0.0):
        self.batches, self.fail_first, self.delay = [], fail_first, delay
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, ids):
        with self.lock:
            self.calls += 1
            failing = self.calls <= self.fail_first
        time.sleep(self.delay)
        if failing:
            raise ConnectionError("broker down")
        with self.lock:
            self.batches.append(list(ids))

    @property
    def ids(self):
        return sorted(i for batch in self.batches for i in batch)


def test_a_burst_of_ids_goes_out_as_one_batch():
    published = Published()
    batcher = EventBatcher(published, linger=0.3)
    for event_id in range(50):
        batcher.add(event_id)
    assert _wait_for(lambda: published.ids == list(range(50)))
    assert len(published.batches) == 1


def test_batches_are_cut_at_max_batch():
    published = Published()
    batcher = EventBatcher(published, linger=0.3, max_batch=10)
    for event_id in range(25):
        batcher.add(event_id)
    batcher.flush()
    assert published.ids == list(range(25))
    assert max(len(batch) for batch in published.batches) <= 10


def test_a_failed_publish_is_logged_and_later_ids_still_go_out(caplog):
    caplog.set_level(logging.WARNING, logger="scrm.platform.outbox")
    published = Published(fail_first=1)
    batcher = EventBatcher(published, linger=0.01)
    batcher.add(1)
    assert _wait_for(lambda: published.calls == 1)
    batcher.add(2)
    assert _wait_for(lambda: published.ids == [2])
    assert "1 stored outbox rows not enqueued" in caplog.text


def test_flush_returns_only_after_the_batch_in_flight_is_published():
    published = Published(delay=0.3)
    batcher = EventBatcher(published, linger=0.0)
    batcher.add(1)
    assert _wait_for(lambda: published.calls == 1)  # the thread has taken it and is publishing
    batcher.add(2)
    batcher.flush()
    assert published.ids == [1, 2]


def test_a_forked_child_starts_with_an_empty_batch_of_its_own():
    import os

    published = Published()
    batcher = EventBatcher(published, linger=5.0)  # the parent's batch is still waiting when it forks
    batcher.add(1)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: sends only its own id, and at once (flush)
        try:
            batcher.add(2)
            batcher.flush()
            os.write(write_end, json.dumps(published.ids).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        child_sent = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert child_sent == [2]
    batcher.flush()
    assert published.ids == [1]


def _queued_messages(client):
    """The task messages waiting in Celery's default queue on Redis: (task name, args)."""
    messages = []
    for raw in client.lrange(celery_app.conf.task_default_queue, 0, -1):
        envelope = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        messages.append((envelope["headers"]["task"], args))
    return messages


@pytest.mark.django_db
def test_a_burst_of_callbacks_reaches_redis_as_a_few_messages(oa, django_capture_on_commit_callbacks):
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    celery_app.control.purge()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(30):
            assert oa.post(message("text", Content=f"连发 {n}"), nonce=f"b{n}").content == b"success"
    events_flush()
    messages = _queued_messages(client)
    celery_app.control.purge()
    with platform_scope():
        stored = sorted(InboundEvent.objects.values_list("pk", flat=True))
    assert len(stored) == 30
    assert {(name, args[0]) for name, args in messages} == {(tasks.outbox_run.name, "inbound_event")}
    assert sorted(i for _name, (_kind, ids) in messages for i in ids) == stored
    assert len(messages) < 10


@pytest.mark.django_db
def test_a_failing_event_of_a_batch_is_retried_alone_until_dead(oa, django_capture_on_commit_callbacks, eager_tasks):
    with django_capture_on_commit_callbacks(execute=False):
        oa.post(message("text", Content="好的"), nonce="ok")
        oa.post(message("text", openid="oOpenid-broken", Content="没有发送者"), nonce="bad")
    with platform_scope():
        good, bad = (InboundEvent.objects.get(from_user=sender) for sender in ("oOpenid-customer-0001",
                                                                               "oOpenid-broken"))
        # The hook refuses a message without a sender: one stored before that check fails in the worker.
        InboundEvent.objects.filter(pk=bad.pk).update(fields={**bad.fields, "FromUserName": ""})
    tasks.outbox_run.apply(("inbound_event", [bad.pk, good.pk]))
    for attempt in range(1, MAX_ATTEMPTS):  # the sweeper, each time the bad one's back-off is over
        with time_machine.travel(timezone.now() + timedelta(hours=2 * attempt), tick=False):
            tasks.outbox_sweep.apply()
    with platform_scope():
        good.refresh_from_db()
        bad.refresh_from_db()
        assert good.status == InboundEvent.Status.PROCESSED
        assert Comment.objects.get().body == "好的"
    assert bad.status == InboundEvent.Status.DEAD
    assert bad.attempts == MAX_ATTEMPTS
