"""The whole pipeline with a real Celery worker on Redis: callbacks in through the endpoint, tickets out; and the
broker going away while callbacks keep arriving."""

import socket
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.utils import timezone

from channels_ingest.models import InboundEvent
from scrm import tasks
from scrm.celery import app as celery_app
from scrm.platform.outbox import flush as events_flush
from scrm.platform.tenancy import platform_scope
from tests.channels_ingest.conftest import make_account
from tests.channels_ingest.wechat import WeChatSender, message
from tickets.models import Comment, Ticket


def _wait(predicate, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with platform_scope():
            if predicate():
                return True
        time.sleep(0.2)
    return False


def test_200_messages_from_20_customers_become_20_tickets(celery_worker, organization):
    make_account(organization)
    sender = WeChatSender(Client(), "/hooks/wechat/acme-oa/")
    for n in range(200):
        fields = message("text", openid=f"oOpenid-pipeline-{n % 20:04d}", Content=f"第{n}条消息")
        assert sender.post(fields, nonce=f"n{n}").content == b"success"
    assert _wait(lambda: not InboundEvent.objects.exclude(status=InboundEvent.Status.PROCESSED).exists())
    with platform_scope():
        assert InboundEvent.objects.count() == 200
        assert Ticket.objects.count() == 20
        assert Comment.objects.count() == 200
        per_ticket = {t.pk: t.comments.count() for t in Ticket.objects.all()}
    assert set(per_ticket.values()) == {10}


def closed_port():
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _broker_unreachable():
    """Point the Celery app's publishing side at a closed port, as if Redis were down, then back."""
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    _reset_producers()
    try:
        yield
        events_flush()  # the web process hands over its waiting batch while the broker is still down
    finally:
        celery_app.conf.broker_url = original
        _reset_producers()


def _reset_producers():
    # Only drop the app's references: kombu keeps one pool per broker URL, and the real one is used again after.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_callbacks_are_answered_while_the_broker_is_down_and_processed_once_it_is_back(celery_worker, organization):
    make_account(organization)
    sender = WeChatSender(Client(), "/hooks/wechat/acme-oa/")
    fields = [message("text", openid=f"oOpenid-down-{n % 3}", Content=f"broker 挂了 {n}") for n in range(10)]
    with _broker_unreachable():
        for n, item in enumerate(fields):
            started = time.monotonic()
            response = sender.post(item, nonce=f"d{n}")
            assert response.content == b"success"
            assert time.monotonic() - started < 2
    with platform_scope():
        assert InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).count() == 10
        assert Comment.objects.count() == 0
        # A minute later the beat's sweep finds them; here the minute passes at once.
        InboundEvent.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    tasks.outbox_sweep.delay()
    tasks.outbox_sweep.delay()  # a second sweep before the first is done must not double anything
    assert _wait(lambda: InboundEvent.objects.filter(status=InboundEvent.Status.PROCESSED).count() == 10)
    with platform_scope():
        assert Comment.objects.count() == 10
        assert sorted(Comment.objects.values_list("body", flat=True)) == sorted(f["Content"] for f in fields)
    assert settings.CELERY_BROKER_URL.startswith("redis")


def test_first_messages_of_one_customer_processed_at_once_open_one_ticket(transactional_db, organization):
    """Two workers take two messages of a known customer with no open ticket at the same moment: one ticket, two
    messages."""
    from channels_ingest.services import event_process
    from scrm.customers.services import customer_resolve
    from tests.concurrency import run_at_once

    account = make_account(organization)
    customer_resolve(organization=organization, channel="wechat_oa", app_id=account.app_id,
                     external_id="oOpenid-race")
    sender = WeChatSender(Client(), "/hooks/wechat/acme-oa/")
    with _broker_unreachable():  # stored only; the two "workers" below process them
        for n in range(2):
            sender.post(message("text", openid="oOpenid-race", Content=f"同时到达 {n}"), nonce=f"r{n}")
    with platform_scope():
        ids = list(InboundEvent.objects.values_list("pk", flat=True))
    run_at_once([lambda pk=pk: event_process(event_id=pk) for pk in ids])
    with platform_scope():
        assert Ticket.objects.count() == 1
        assert Comment.objects.count() == 2
