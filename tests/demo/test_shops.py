"""The demo stores: a Youzan store and the own mall, their orders delivered event by event and processed into the
ledger, with the refunds' tickets, and the mall's return, exchange and bad review with theirs, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_ingest.models import InboundEvent
from demo.shops import MALL_SLUG, YOUZAN_SLUG, seed_shops
from scrm.models import User
from scrm.platform.tenancy import tenant_scope
from settlement.models import AfterSale, Order, Refund, Store
from tickets.models import Comment, Ticket, TicketEvent
from tickets.selectors import board_live
from tickets.services._core import NUMBER_TZ

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


@pytest.mark.django_db
def test_seed_demo_refund_tickets_open_when_their_refunds_were_requested_and_the_old_ones_are_handled(demo_seeded):
    """The stores' refunds were requested over the last weeks, but their tickets were opened at the minute of
    seeding: the pool showed seven-week-old refunds as new tickets numbered with today's date, and the board counted
    them as created today. Each opens when its refund was requested; the team has handled the older ones."""
    with tenant_scope(demo_seeded):
        now = timezone.now()
        agents = set(User.objects.filter(username__in=["agent", "agent2"]).values_list("pk", flat=True))
        refunds = list(Refund.objects.filter(ticket__isnull=False).select_related("ticket"))
        assert len(refunds) >= 10
        handled = closed = 0
        for refund in refunds:
            ticket = refund.ticket
            assert refund.requested_at - timedelta(minutes=1) <= ticket.created_at, ticket.number
            assert ticket.created_at <= refund.requested_at + timedelta(minutes=1), ticket.number
            assert ticket.number.startswith(f"T{timezone.localtime(ticket.created_at, NUMBER_TZ):%Y%m%d}-")
            events = list(TicketEvent.objects.filter(ticket=ticket))
            assert min(e.created_at for e in events) == ticket.created_at, ticket.number
            assert max(e.created_at for e in events) <= now, ticket.number
            applied = [e for e in events if e.kind == TicketEvent.Kind.SLA_APPLIED]
            assert [e.created_at for e in applied] == [ticket.created_at], ticket.number
            age = now - refund.requested_at
            if age > timedelta(days=3, hours=1):
                wanted = {Ticket.Status.CLOSED} if age > timedelta(days=7, hours=1) else {Ticket.Status.RESOLVED}
                assert ticket.status in wanted, (ticket.number, ticket.status)
                assert ticket.assignee_id in agents
                assert ticket.created_at < ticket.first_response_at <= ticket.resolved_at < now
                assert Comment.objects.filter(ticket=ticket, is_public=True).count() >= 2
                handled += 1
                closed += ticket.status == Ticket.Status.CLOSED
            elif age < timedelta(days=2, hours=23):
                assert ticket.status in (Ticket.Status.NEW, Ticket.Status.OPEN), ticket.number
        assert handled >= 5 and closed >= 3
        # The board's "created today" counts what was opened today, no old refund among it.
        live = board_live(user=User.objects.get(username="ops"), now=now)
        assert live.today.created == Ticket.objects.filter(created_at__gte=live.today.start).count()
        assert not [r for r in refunds if r.requested_at < live.today.start <= r.ticket.created_at]
        assert not Ticket.objects.filter(created_at__lt=live.today.start,
                                         number__startswith=f"T{timezone.localtime(now, NUMBER_TZ):%Y%m%d}-").exists()


@pytest.mark.django_db
def test_seed_demo_after_sales_tickets_open_when_the_buyer_asked_and_the_old_ones_are_handled(demo_seeded):
    """The mall's return, exchange and bad review were reported weeks back, but their tickets were opened at the
    minute of seeding: the board counted them as created today and they read as brand new, numbered with today's
    date. Each opens when the buyer asked (the review's time), the old ones handled like the refunds'."""
    with tenant_scope(demo_seeded):
        now = timezone.now()
        start_of_today = board_live(user=User.objects.get(username="ops"), now=now).today.start
        agents = set(User.objects.filter(username__in=["agent", "agent2"]).values_list("pk", flat=True))
        cases = list(AfterSale.objects.select_related("ticket"))
        assert sorted(case.kind for case in cases) == ["complaint", "exchange", "return"]
        for case in cases:
            ticket = case.ticket
            assert abs(ticket.created_at - case.requested_at) <= timedelta(minutes=1), ticket.number
            assert (ticket.created_at >= start_of_today) == (case.requested_at >= start_of_today), ticket.number
            assert ticket.number.startswith(f"T{timezone.localtime(ticket.created_at, NUMBER_TZ):%Y%m%d}-")
            events = list(TicketEvent.objects.filter(ticket=ticket))
            assert min(e.created_at for e in events) == ticket.created_at, ticket.number
            assert ticket.updated_at == max(e.created_at for e in events), ticket.number
            if now - case.requested_at > timedelta(days=7, hours=1):
                assert ticket.status == Ticket.Status.CLOSED and ticket.assignee_id in agents, ticket.number
                assert ticket.created_at < ticket.first_response_at <= ticket.resolved_at < now
                replies = Comment.objects.filter(ticket=ticket, is_public=True, author__isnull=False)
                assert case.order_number in replies.order_by("created_at").first().body
