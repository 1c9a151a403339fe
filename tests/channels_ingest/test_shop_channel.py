"""An in-house shop on the generic feed is the `shop` channel (自有商城): its store, orders, buyers' identities and
after-sales tickets say so, routing rules and filters offer it, and the migration moves what such stores stored
while they still counted as `manual`."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from channels_ingest.models import InboundEvent
from scrm.models import ChannelIdentity, Customer
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import AfterSale, Order, Refund, Store
from settlement.statements.services import payment_channels_ensure
from tests.channels_ingest.shops import (
    GENERIC_SECRET,
    WOO_SECRET,
    ShopSender,
    generic_headers,
    generic_order,
    generic_refund,
    woo_headers,
    woo_order,
)
from tests.channels_ingest.test_shop_hooks import events, make_shop, orders
from tests.scrm.factories import OrganizationFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, RoutingRuleFactory, TicketFactory
from tickets.filters import TicketFilter
from tickets.forms import RuleTesterForm
from tickets.models import Comment, RoutingRule, Ticket
from tickets.views_settings import RoutingRuleForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def generic(client, organization):
    make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    return ShopSender(client, "/hooks/shop/acme-shop/", generic_headers)


def test_a_generic_feed_refund_opens_a_shop_ticket_for_a_shop_customer(generic, deliver, organization):
    deliver(generic, generic_order())
    assert deliver(generic, generic_refund()).status_code == 200
    order = orders(organization)["SO1001"]
    with tenant_scope(organization):
        refund = Refund.objects.select_related("ticket", "store").get()
        identity = ChannelIdentity.objects.get()
        customer = Customer.objects.get()
    assert (refund.store.channel, order.channel) == ("shop", "shop")
    assert (refund.ticket.channel, refund.ticket.customer_id) == ("shop", order.customer_id)
    assert (identity.channel, identity.app_id, identity.external_id) == ("shop", "acme-store", "u-42")
    assert customer.source_channel == "shop"
    with translation.override("zh-hans"):
        assert refund.ticket.get_channel_display() == "自有商城"


def test_a_routing_rule_on_the_shop_channel_routes_the_shop_tickets(generic, deliver, organization):
    with tenant_scope(organization):
        shop_queue, other_queue = QueueFactory(organization=organization), QueueFactory(organization=organization)
        RoutingRuleFactory(organization=organization, position=1, channel="manual", set_queue=other_queue)
        RoutingRuleFactory(organization=organization, position=2, channel="shop", set_queue=shop_queue,
                           set_priority=1)
    deliver(generic, generic_order())
    deliver(generic, generic_refund())
    with tenant_scope(organization):
        ticket = Ticket.objects.get()
    assert (ticket.queue_id, ticket.priority) == (shop_queue.pk, 1)


def test_rules_and_filters_offer_the_shop_channel_in_chinese(organization):
    with translation.override("zh-hans"), tenant_scope(organization):
        rule_choices = dict(RoutingRuleForm().fields["channel"].choices)
        tester_choices = dict(RuleTesterForm().fields["channel"].choices)
        filter_choices = dict(TicketFilter.base_filters["channel"].extra["choices"])
        labels = {str(choices["shop"]) for choices in (rule_choices, tester_choices, filter_choices)}
    assert labels == {"自有商城"}


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_a_generic_stores_rows_from_manual_to_shop_and_back():
    with platform_scope():
        organization = OrganizationFactory(slug="mig-shop")
    make_shop(organization, "generic", "mig-shop", "own-store", GENERIC_SECRET)
    with tenant_scope(organization):
        store = Store.objects.create(organization=organization, channel="manual", ref="own-store", name="官方商城")
        other = Store.objects.create(organization=organization, channel="manual", ref="counter", name="门店")
        customer = CustomerFactory(organization=organization, source_channel="manual")
        moved = ChannelIdentity.objects.create(organization=organization, customer=customer, channel="manual",
                                               app_id="own-store", external_id="u-1")
        kept = ChannelIdentity.objects.create(organization=organization, customer=customer, channel="manual",
                                              app_id="own-store", external_id="u-2")
        ChannelIdentity.objects.create(organization=organization, customer=customer, channel="shop",
                                       app_id="own-store", external_id="u-2")  # its twin: `kept` stays
        order = Order.objects.create(organization=organization, store=store, channel="manual", external_number="S1")
        other_order = Order.objects.create(organization=organization, store=other, channel="manual",
                                           external_number="C1")
        refund_ticket = TicketFactory(organization=organization, customer=customer, channel="manual")
        return_ticket = TicketFactory(organization=organization, customer=customer, channel="manual")
        walk_in = TicketFactory(organization=organization, customer=customer, channel="manual")
        reply = Comment.objects.create(organization=organization, ticket=refund_ticket, body="已退款",
                                       channel="manual")
        Refund.objects.create(organization=organization, store=store, order=order, order_number="S1",
                              external_number="R1", amount=1, ticket=refund_ticket)
        AfterSale.objects.create(organization=organization, store=store, order=order, order_number="S1",
                                 kind="return", external_number="A1", ticket=return_ticket)
        rule = RoutingRuleFactory(organization=organization, channel="manual")

    def channels():
        with tenant_scope(organization):
            return {
                "store": Store.objects.get(pk=store.pk).channel, "other": Store.objects.get(pk=other.pk).channel,
                "order": Order.objects.get(pk=order.pk).channel,
                "other_order": Order.objects.get(pk=other_order.pk).channel,
                "moved": ChannelIdentity.objects.get(pk=moved.pk).channel,
                "kept": ChannelIdentity.objects.get(pk=kept.pk).channel,
                "refund_ticket": Ticket.objects.get(pk=refund_ticket.pk).channel,
                "return_ticket": Ticket.objects.get(pk=return_ticket.pk).channel,
                "walk_in": Ticket.objects.get(pk=walk_in.pk).channel,
                "reply": Comment.objects.get(pk=reply.pk).channel,
                "rule": RoutingRule.objects.get(pk=rule.pk).channel,
            }

    # Only the data migration and what may depend on it run back and forth (found by name: numbers get renumbered).
    graph = MigrationExecutor(connection).loader.graph
    latest = graph.leaf_nodes()
    after = next(key for key in graph.nodes
                 if key[0] == "settlement" and key[1].endswith("_generic_stores_channel_shop"))
    before = next(parent.key for parent in graph.node_map[after].parents if parent.key[0] == "settlement")
    MigrationExecutor(connection).migrate([before])  # its reverse finds nothing on `shop` of this store to move
    try:
        assert set(channels().values()) == {"manual"}
        MigrationExecutor(connection).migrate([after])
        assert channels() == {
            "store": "shop", "other": "manual", "order": "shop", "other_order": "manual", "moved": "shop",
            "kept": "manual", "refund_ticket": "shop", "return_ticket": "shop", "walk_in": "manual",
            "reply": "shop", "rule": "manual"}
        MigrationExecutor(connection).migrate([before])
        assert set(channels().values()) == {"manual"}
    finally:
        MigrationExecutor(connection).migrate(latest)


# --- how an order was paid, as the generic feed says (payment_channel, payment_transaction_id) ---------------------

def test_the_feed_names_the_payment_channel_and_transaction_and_a_later_report_that_does_not_keeps_them(
        generic, deliver, organization):
    with tenant_scope(organization):
        payment_channels_ensure(organization=organization)
    deliver(generic, generic_order(payment_channel="alipay", payment_transaction_id="2026111122001400001"))
    deliver(generic, generic_order(event_id="evt-2", status="shipped", updated_at="2026-11-12T10:00:00+08:00"))
    with tenant_scope(organization):
        order = Order.objects.select_related("payment_channel").get(external_number="SO1001")
    assert (order.status, order.payment_channel.code, order.payment_transaction_id) == (
        "shipped", "alipay", "2026111122001400001")


def test_an_order_without_payment_fields_leaves_them_empty(generic, deliver, organization):
    deliver(generic, generic_order())
    order = orders(organization)["SO1001"]
    assert (order.payment_channel_id, order.payment_transaction_id) == (None, "")


def test_a_payment_channel_the_organization_does_not_have_refuses_the_order_with_a_clear_reason(
        generic, deliver, organization):
    with tenant_scope(organization):
        payment_channels_ensure(organization=organization)
    assert deliver(generic, generic_order(payment_channel="paypal")).status_code == 200
    [event] = events(organization)
    assert event.status == InboundEvent.Status.DEAD
    assert "paypal" in event.last_error and "alipay" in event.last_error
    assert orders(organization) == {}


def test_a_woocommerce_order_keeps_its_gateways_transaction_id_but_names_no_payment_channel(
        client, deliver, organization):
    make_shop(organization, "woocommerce", "acme-woo", "shop.acme.example", WOO_SECRET)
    woo = ShopSender(client, "/hooks/shop/acme-woo/", woo_headers)
    with tenant_scope(organization):
        payment_channels_ensure(organization=organization)
    deliver(woo, {**woo_order(), "payment_method": "alipay", "payment_method_title": "支付宝",
                  "transaction_id": "2026111122001499999"})
    order = orders(organization)["727"]
    assert (order.payment_transaction_id, order.payment_channel_id) == ("2026111122001499999", None)
