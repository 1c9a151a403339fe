"""Shop events through the whole pipeline with a real Celery worker on Redis: signed callbacks in, delivered out of
order and retried, and the orders ledger exact once the worker is done."""

import random
import time

from django.test import Client

from channels_ingest.models import InboundEvent
from scrm.platform.tenancy import platform_scope
from settlement.models import Order, Refund
from tests.channels_ingest.shops import GENERIC_SECRET, ShopSender, generic_headers, generic_order, generic_refund
from tests.channels_ingest.test_shop_hooks import make_shop
from tickets.models import Ticket

STAGES = [("pending", "10:00"), ("paid", "10:01"), ("shipped", "12:00"), ("completed", "18:00")]


def _wait(predicate, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with platform_scope():
            if predicate():
                return True
        time.sleep(0.2)
    return False


def test_shuffled_and_retried_shop_events_end_in_the_exact_ledger(celery_worker, organization):
    make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    sender = ShopSender(Client(), "/hooks/shop/acme-shop/", generic_headers)
    payloads = []
    for n in range(12):
        number = f"SO{n:04d}"
        for stage, clock in STAGES:
            payloads.append(generic_order(f"evt-{number}-{stage}", number=number, status=stage,
                                          updated_at=f"2026-11-11T{clock}:00+08:00",
                                          paid_amount=f"{100 + n}.00", buyer={"id": f"u-{n % 4}"}))
        if n % 3 == 0:
            payloads.append(generic_refund(f"evt-{number}-refund", number=f"RF{n:04d}", order_number=number))
    random.Random(11).shuffle(payloads)
    payloads += payloads[:10]  # the shop retries some
    for payload in payloads:
        assert sender.post(payload).status_code == 200
    stored = len(payloads) - 10
    assert _wait(lambda: InboundEvent.objects.filter(status=InboundEvent.Status.PROCESSED).count() == stored)
    with platform_scope():
        assert InboundEvent.objects.count() == stored
        ledger = {o.external_number: (o.status, str(o.paid_amount)) for o in Order.objects.all()}
        assert ledger == {f"SO{n:04d}": ("completed", f"{100 + n}.00") for n in range(12)}
        assert Refund.objects.filter(order__isnull=False, ticket__isnull=False).count() == 4
        assert Ticket.objects.count() == 4
