"""The orders ledger: orders and refunds as shops report them, out of order and more than once."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrm.customers.services import customer_resolve
from scrm.platform.tenancy import tenant_scope
from settlement.errors import SettlementError
from settlement.models import Order, Refund
from settlement.services import order_upsert, refund_upsert, store_ensure
from settlement.snapshots import LineSnapshot, money
from tests.scrm.factories import OrganizationFactory, RegionFactory
from tests.settlement.ledger import at, order, refund
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(organization):
    return store_ensure(organization=organization, channel="youzan", ref="kdt-1", name="艾克美有赞店")


@pytest.fixture
def buyer(scoped):
    return customer_resolve(organization=scoped, channel="youzan", app_id="kdt-1", external_id="buyer-1")


def ledger(store):
    """What finance would see of the store: every order with its lines and refunds, and the tickets refunds opened."""
    def name(customer):
        return customer.display_name if customer else None

    with tenant_scope(store.organization_id):
        orders = {
            o.external_number: (o.status, o.source_version, o.goods_amount, o.discount_amount, o.paid_amount,
                                o.currency, o.paid_at, o.shipped_at, o.completed_at, o.cancelled_at, name(o.customer),
                                tuple((line.sku, line.quantity, line.amount) for line in o.lines.all()))
            for o in Order.objects.filter(store=store).select_related("customer").prefetch_related("lines")
        }
        refunds = {
            r.external_number: (r.status, r.amount, r.order.external_number if r.order else None,
                                r.requested_at, r.refunded_at, name(r.customer), r.ticket.subject if r.ticket else None)
            for r in Refund.objects.filter(store=store).select_related("order", "ticket", "customer")
        }
        return orders, refunds, Ticket.objects.count()


def apply(organization, store, event, customer):
    if event[0] == "order":
        return order_upsert(organization=organization, store=store, snapshot=event[1], customer=customer)
    return refund_upsert(organization=organization, store=store, snapshot=event[1], customer=None)


def lifecycle():
    """One order's reports from a shop: created, paid, shipped, completed, a refund requested then paid out."""
    return [
        ("order", order(status="pending", version=1, paid_at=None)),
        ("order", order(status="paid", version=2, paid_at=at(2))),
        ("order", order(status="shipped", version=3, paid_at=at(2), shipped_at=at(3))),
        ("order", order(status="completed", version=4, paid_at=at(2), shipped_at=at(3), completed_at=at(4),
                        platform_fee=Decimal("17.39"))),
        ("refund", refund(status="requested", version=10)),
        ("refund", refund(status="refunded", version=12, refunded_at=at(12))),
    ]


def test_an_order_report_creates_the_order_with_its_lines_and_customer(organization, store, buyer):
    created, applied = order_upsert(organization=organization, store=store, snapshot=order(), customer=buyer)
    assert applied
    with tenant_scope(organization):
        stored = Order.objects.get(store=store, external_number="YZ1001")
        assert (stored.status, stored.paid_amount, stored.currency, stored.customer) == (
            "paid", Decimal("2899.00"), "CNY", buyer)
        assert [(line.sku, line.amount) for line in stored.lines.all()] == [("KT-35", Decimal("2999.00"))]


def test_a_report_older_than_the_ledger_is_ignored(organization, store, buyer):
    order_upsert(organization=organization, store=store, snapshot=order(status="shipped", version=5,
                                                                        shipped_at=at(5)), customer=buyer)
    _order, applied = order_upsert(organization=organization, store=store,
                                   snapshot=order(status="pending", version=1, paid_amount=Decimal("1.00")))
    assert not applied
    with tenant_scope(organization):
        stored = Order.objects.get()
        assert (stored.status, stored.paid_amount, stored.shipped_at) == ("shipped", Decimal("2899.00"), at(5))


def test_a_retried_report_changes_nothing(organization, store, buyer):
    order_upsert(organization=organization, store=store, snapshot=order(), customer=buyer)
    before = ledger(store)
    _order, applied = order_upsert(organization=organization, store=store, snapshot=order(), customer=buyer)
    assert not applied
    assert ledger(store) == before


def test_a_newer_report_replaces_the_lines(organization, store, buyer):
    order_upsert(organization=organization, store=store, snapshot=order(), customer=buyer)
    two = (LineSnapshot(sku="A", name="甲", quantity=Decimal("2"), unit_price=Decimal("5.00"), amount=Decimal("10")),
           LineSnapshot(sku="B", name="乙", quantity=Decimal("1"), unit_price=Decimal("3.50"), amount=Decimal("3.5")))
    order_upsert(organization=organization, store=store, snapshot=order(version=3, lines=two), customer=buyer)
    orders, _refunds, _tickets = ledger(store)
    assert orders["YZ1001"][-1] == (("A", Decimal("2.000"), Decimal("10.00")), ("B", Decimal("1.000"), Decimal("3.50")))


def test_a_refund_before_its_order_waits_and_is_attached_with_its_ticket_when_the_order_lands(
        organization, store, buyer):
    waiting, _applied = refund_upsert(organization=organization, store=store, snapshot=refund())
    assert waiting.order is None and waiting.ticket is None  # no customer yet: a ticket is always someone's
    with tenant_scope(organization):
        assert Ticket.objects.count() == 0
    order_upsert(organization=organization, store=store, snapshot=order(), customer=buyer)
    with tenant_scope(organization):
        attached = Refund.objects.select_related("order", "ticket", "customer").get()
        assert attached.order.external_number == "YZ1001"
        assert attached.customer == buyer
        assert attached.ticket.customer == buyer
        assert attached.ticket.order_number == "YZ1001"
        assert attached.ticket.channel == "youzan"
        assert "RF1" in attached.ticket.subject


def test_a_refund_of_a_known_order_opens_one_ticket_however_often_it_is_reported(organization, store, buyer):
    order_upsert(organization=organization, store=store, snapshot=order(), customer=buyer)
    for version, status in ((10, "requested"), (10, "requested"), (11, "approved"), (12, "refunded")):
        refund_upsert(organization=organization, store=store, snapshot=refund(status=status, version=version))
    with tenant_scope(organization):
        assert Ticket.objects.count() == 1
        assert Refund.objects.get().status == "refunded"


def test_the_region_comes_from_the_shipping_address(organization, store, buyer):
    with tenant_scope(organization):
        nanjing = RegionFactory(organization=organization, name="南京市", code="NJ")
    order_upsert(organization=organization, store=store, customer=buyer,
                 snapshot=order(shipping_address={"province": "江苏省", "city": "南京市", "address": "中山路1号"}))
    with tenant_scope(organization):
        assert Order.objects.get().region == nanjing


def test_a_buyer_with_no_region_takes_the_region_of_their_order_and_keeps_one_they_have(organization, store, buyer):
    """Shop buyers arrived with no region, so a region's agents never found them in their customer list although
    the order said where they live: a buyer with no region takes the order's; a region the customer has (set by
    ops, or an earlier order) stays."""
    with tenant_scope(organization):
        nanjing = RegionFactory(organization=organization, name="南京市", code="NJ")
        suzhou = RegionFactory(organization=organization, name="苏州市", code="SZ")
        other = customer_resolve(organization=organization, channel="youzan", app_id="kdt-1", external_id="buyer-2")
        other.region = suzhou
        other.save(update_fields=["region"])
    order_upsert(organization=organization, store=store, customer=buyer,
                 snapshot=order(number="E1", shipping_address={"province": "江苏省", "city": "南京市"}))
    order_upsert(organization=organization, store=store, customer=other,
                 snapshot=order(number="E2", shipping_address={"province": "江苏省", "city": "南京市"}))
    order_upsert(organization=organization, store=store, customer=buyer,
                 snapshot=order(number="E3", shipping_address={"province": "江苏省", "city": "苏州市"}))
    with tenant_scope(organization):
        buyer.refresh_from_db()
        other.refresh_from_db()
        assert (buyer.region, other.region) == (nanjing, suzhou)


def test_a_buyer_whose_address_names_no_region_of_ours_stays_without_one(organization, store, buyer):
    order_upsert(organization=organization, store=store, customer=buyer,
                 snapshot=order(shipping_address={"province": "火星", "city": "奥林匹斯"}))
    with tenant_scope(organization):
        buyer.refresh_from_db()
        assert buyer.region is None


@pytest.mark.parametrize("value", ["12.3.4", "abc", "", "NaN", "Infinity", 12.5, "1e30"])
def test_an_amount_that_does_not_parse_is_refused_with_its_name(value):
    with pytest.raises(SettlementError, match="paid_amount"):
        money(value, name="paid_amount")


def test_amounts_are_rounded_half_up_to_the_fen():
    assert money("0.005") == Decimal("0.01") and money(299) == Decimal("299.00")


def test_a_failing_report_leaves_the_ledger_as_it_was(organization, store, buyer):
    order_upsert(organization=organization, store=store, snapshot=order(), customer=buyer)
    before = ledger(store)
    with pytest.raises(SettlementError):
        order_upsert(organization=organization, store=store, snapshot=order(version=9, currency="RMB1"))
    assert ledger(store) == before


def test_orders_of_another_organization_are_not_seen_nor_touched(organization, store, buyer, platform):
    other = OrganizationFactory(slug="other")
    other_store = store_ensure(organization=other, channel="youzan", ref="kdt-1", name="别家的店")
    order_upsert(organization=organization, store=store, snapshot=order(), customer=buyer)
    order_upsert(organization=other, store=other_store, snapshot=order(status="pending", version=1))
    with tenant_scope(organization):
        assert list(Order.objects.values_list("status", flat=True)) == ["paid"]
    with tenant_scope(other):
        assert list(Order.objects.values_list("status", flat=True)) == ["pending"]
        assert Ticket.objects.count() == 0


class _Undo(Exception):
    pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order_of_delivery=st.permutations(range(6)), repeats=st.lists(st.integers(0, 5), max_size=4))
def test_any_delivery_order_of_an_orders_reports_ends_in_the_same_ledger(organization, order_of_delivery, repeats):
    events = lifecycle()

    def run(indexes):
        try:
            with transaction.atomic():
                with tenant_scope(organization):
                    store = store_ensure(organization=organization, channel="youzan", ref="kdt-1", name="有赞店")
                    buyer = customer_resolve(organization=organization, channel="youzan", app_id="kdt-1",
                                             external_id="buyer-1")
                for index in indexes:
                    apply(organization, store, events[index], buyer)
                result = ledger(store)
                raise _Undo(result)
        except _Undo as undo:
            return undo.args[0]

    expected = run(range(6))
    assert run([*order_of_delivery, *repeats]) == expected
    orders, refunds, tickets = expected
    assert orders["YZ1001"][0] == "completed" and refunds["RF1"][0] == "refunded" and tickets == 1


def douyin_lifecycle():
    """Status-only pushes (paid, shipped, completed) and one full report of the paid order (as a fetch gives it)."""
    return [
        ("order", order(status="paid", version=2, paid_at=at(2), partial=True, goods_amount=Decimal(0),
                        paid_amount=Decimal(0), discount_amount=Decimal(0), lines=())),
        ("order", order(status="shipped", version=3, shipped_at=at(3), partial=True, lines=())),
        ("order", order(status="completed", version=4, completed_at=at(4), partial=True, lines=())),
        ("order", order(status="paid", version=2, paid_at=at(2))),
    ]


def test_a_status_only_report_keeps_the_amounts_and_lines_and_a_late_full_report_fills_them(organization, store,
                                                                                            buyer):
    events = douyin_lifecycle()
    apply(organization, store, events[1], buyer)
    with tenant_scope(organization):
        shipped = Order.objects.get()
        assert shipped.details_missing and shipped.paid_amount == 0 and shipped.lines.count() == 0
    apply(organization, store, events[3], buyer)  # older than the status, but the first full report
    apply(organization, store, events[2], buyer)
    with tenant_scope(organization):
        done = Order.objects.get()
        assert (done.status, done.paid_amount, done.lines.count(), done.details_missing) == (
            "completed", Decimal("2899.00"), 1, False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order_of_delivery=st.permutations(range(4)), repeats=st.lists(st.integers(0, 3), max_size=3))
def test_any_delivery_order_of_status_pushes_and_a_full_report_ends_in_the_same_ledger(organization,
                                                                                       order_of_delivery, repeats):
    events = douyin_lifecycle()

    def run(indexes):
        try:
            with transaction.atomic():
                with tenant_scope(organization):
                    store = store_ensure(organization=organization, channel="douyin", ref="dd-1", name="抖店")
                for index in indexes:
                    apply(organization, store, events[index], None)
                raise _Undo(ledger(store))
        except _Undo as undo:
            return undo.args[0]

    expected = run(range(4))
    assert run([*order_of_delivery, *repeats]) == expected
    orders, _, _ = expected
    assert orders["YZ1001"][0] == "completed" and orders["YZ1001"][4] == Decimal("2899.00")
