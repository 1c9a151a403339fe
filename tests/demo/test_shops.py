"""The demo stores: a Youzan store and the own mall, their orders delivered event by event and processed into the
ledger, with the refunds' tickets, once."""

import pytest

from channels_ingest.models import InboundEvent
from demo.shops import MALL_SLUG, YOUZAN_SLUG, seed_shops
from settlement.models import Order, Refund, Store
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_the_demo_stores_and_their_orders_are_seeded_once(scoped):
    seed_shops(organization=scoped, orders_per_store=30)
    counts = (InboundEvent.objects.count(), Order.objects.count(), Refund.objects.count(), Ticket.objects.count())
    seed_shops(organization=scoped, orders_per_store=30)
    assert (InboundEvent.objects.count(), Order.objects.count(), Refund.objects.count(),
            Ticket.objects.count()) == counts
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {InboundEvent.Status.PROCESSED}
    assert sorted(Store.objects.values_list("channel", flat=True)) == ["manual", "youzan"]
    assert Order.objects.count() == 60
    assert Order.objects.filter(status="completed").exists() and Order.objects.filter(lines__isnull=False).exists()
    assert Refund.objects.exists()
    assert Ticket.objects.count() == Refund.objects.filter(ticket__isnull=False).count() == Refund.objects.count()
    assert {a for a in InboundEvent.objects.values_list("account__slug", flat=True)} == {YOUZAN_SLUG, MALL_SLUG}
