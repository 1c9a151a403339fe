"""The demo stores: a Youzan store and the own mall, their orders delivered event by event and processed into the
ledger, with the refunds' tickets, and the mall's return, exchange and bad review with theirs, once."""

import pytest

from channels_ingest.models import InboundEvent
from demo.shops import MALL_SLUG, YOUZAN_SLUG, seed_shops
from settlement.models import AfterSale, Order, Refund, Store
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_the_demo_stores_and_their_orders_are_seeded_once(scoped):
    seed_shops(organization=scoped, orders_per_store=30)
    counts = (InboundEvent.objects.count(), Order.objects.count(), Refund.objects.count(), Ticket.objects.count())
    seed_shops(organization=scoped, orders_per_store=30)
    assert (InboundEvent.objects.count(), Order.objects.count(), Refund.objects.count(),
            Ticket.objects.count()) == counts
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {InboundEvent.Status.PROCESSED}
    assert sorted(Store.objects.values_list("channel", flat=True)) == ["shop", "youzan"]
    assert Order.objects.count() == 60
    assert Order.objects.filter(status="completed").exists() and Order.objects.filter(lines__isnull=False).exists()
    assert Refund.objects.exists()
    refund_tickets = Refund.objects.filter(ticket__isnull=False).count()
    assert refund_tickets == Refund.objects.count()
    assert Ticket.objects.count() == refund_tickets + AfterSale.objects.count()
    assert {a for a in InboundEvent.objects.values_list("account__slug", flat=True)} == {YOUZAN_SLUG, MALL_SLUG}


def test_the_mall_reports_a_return_an_exchange_and_a_bad_review_each_with_its_routed_ticket_once(scoped):
    seed_shops(organization=scoped, orders_per_store=30)
    cases = {case.kind: case for case in AfterSale.objects.select_related("ticket", "order", "customer")}
    assert set(cases) == {"return", "exchange", "complaint"}
    assert cases["complaint"].rating == 1
    for case in cases.values():
        assert case.order is not None and case.order.status == "completed" and case.customer is not None
        assert case.ticket is not None and case.ticket.order_number == case.order.external_number
        assert case.ticket.customer_id == case.customer_id
    assert len({case.order_id for case in cases.values()}) == 3
    counts = (AfterSale.objects.count(), Ticket.objects.count(), InboundEvent.objects.count())
    seed_shops(organization=scoped, orders_per_store=30)
    assert (AfterSale.objects.count(), Ticket.objects.count(), InboundEvent.objects.count()) == counts


def test_a_demo_seeded_before_the_after_sales_gets_them_on_the_next_run(scoped):
    seed_shops(organization=scoped, orders_per_store=30)
    AfterSale.objects.all().delete()  # as before they existed (their tickets stay: tickets are never deleted)
    InboundEvent.objects.filter(dedupe_key__in=["evt:evt-demo-as-return", "evt:evt-demo-as-exchange",
                                                "evt:evt-demo-review-bad"]).delete()
    assert not AfterSale.objects.exists()
    seed_shops(organization=scoped, orders_per_store=30)
    assert sorted(AfterSale.objects.values_list("kind", flat=True)) == ["complaint", "exchange", "return"]
