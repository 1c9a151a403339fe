"""Shopify and WooCommerce callbacks, built from their documented shapes and signed by their formulas."""

import pytest

from channels_ingest.models import InboundEvent
from scrm.platform.tenancy import tenant_scope
from settlement.models import Refund
from tests.channels_ingest.shops import (
    SHOPIFY_DOMAIN,
    SHOPIFY_SECRET,
    WOO_SECRET,
    ShopSender,
    shopify_headers,
    shopify_order,
    shopify_refund,
    woo_headers,
    woo_order,
)
from tests.channels_ingest.test_shop_hooks import events, make_shop, orders
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
Status = InboundEvent.Status


@pytest.fixture
def shopify(client, organization):
    make_shop(organization, "shopify", "acme-shopify", SHOPIFY_DOMAIN, SHOPIFY_SECRET)
    return ShopSender(client, "/hooks/shop/acme-shopify/", shopify_headers)


@pytest.fixture
def woo(client, organization):
    make_shop(organization, "woocommerce", "acme-woo", "shop.acme.example", WOO_SECRET)
    return ShopSender(client, "/hooks/shop/acme-woo/", woo_headers)


def test_a_shopify_order_lands_with_its_big_id_exact(shopify, deliver, organization):
    assert deliver(shopify, shopify_order()).status_code == 200
    order = orders(organization)["820982911946154508"]
    assert (order.status, str(order.paid_amount), order.currency, order.channel) == ("paid", "199.00", "USD",
                                                                                        "shopify")
    assert order.customer.display_name == "Bob Norman"
    assert [line.sku for line in order.lines.all()] == ["IPOD-342-N"]


def test_shopify_retries_carry_the_same_webhook_id_and_are_stored_once(shopify, deliver, organization):
    for _ in range(3):
        deliver(shopify, shopify_order())
    assert len(events(organization)) == 1


def test_a_shopify_callback_with_a_bad_hmac_is_refused(shopify, deliver, organization):
    assert deliver(shopify, shopify_order(), secret="not-the-secret").status_code == 403
    assert events(organization) == []


@pytest.mark.parametrize("domain", ["other-store.myshopify.com", "", None])
def test_a_signed_shopify_callback_naming_another_shop_is_refused(shopify, deliver, organization, domain):
    # The same app (and so the same client secret) installed on another shop signs that shop's webhooks too.
    assert deliver(shopify, shopify_order(), domain=domain).status_code == 403
    assert events(organization) == []


def test_the_shop_domain_is_compared_as_shopify_sends_it(client, deliver, organization):
    make_shop(organization, "shopify", "acme-shopify", f"https://{SHOPIFY_DOMAIN.upper()}/", SHOPIFY_SECRET)
    sender = ShopSender(client, "/hooks/shop/acme-shopify/", shopify_headers)
    assert deliver(sender, shopify_order()).status_code == 200
    assert len(events(organization)) == 1


def test_shopify_updates_out_of_order_end_with_the_newest(shopify, deliver, organization):
    deliver(shopify, shopify_order(fulfillment="fulfilled", updated="2026-11-12T08:00:00-05:00"), webhook_id="w2")
    deliver(shopify, shopify_order(updated="2026-11-11T10:02:00-05:00"), webhook_id="w1")
    assert orders(organization)["820982911946154508"].status == "shipped"


def test_a_shopify_refund_opens_a_ticket_for_the_orders_customer(shopify, deliver, organization):
    deliver(shopify, shopify_order())
    deliver(shopify, shopify_refund(), topic="refunds/create", webhook_id="w-refund")
    with tenant_scope(organization):
        refund = Refund.objects.select_related("order", "ticket").get()
        assert (refund.status, str(refund.amount), refund.currency) == ("refunded", "41.94", "USD")
        assert refund.ticket.customer_id == refund.order.customer_id


def test_an_unknown_shopify_topic_is_acknowledged_and_ignored(shopify, deliver, organization):
    assert deliver(shopify, {"id": 1, "title": "x"}, topic="products/update", webhook_id="w-p").status_code == 200
    [event] = events(organization)
    assert event.status == Status.IGNORED and "products/update" in event.last_error


def test_woocommerces_unsigned_ping_is_answered_and_stores_nothing(woo, client, organization):
    response = client.post("/hooks/shop/acme-woo/", "webhook_id=12", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert events(organization) == []


def test_a_woocommerce_order_with_a_refund_lands_in_the_ledger(woo, deliver, organization):
    deliver(woo, woo_order(status="refunded", modified="2026-11-12T01:00:00", refunds=[(731, "破损", "-43.00")]))
    order = orders(organization)["727"]
    assert (order.status, str(order.paid_amount), str(order.goods_amount), str(order.shipping_amount)) == (
        "closed", "43.00", "38.00", "10.00")
    assert order.customer.mobile == "+8613900139000"
    with tenant_scope(organization):
        refund = Refund.objects.get()
        assert (refund.external_number, str(refund.amount), refund.order_id) == ("731", "43.00", order.pk)
        assert Ticket.objects.count() == 1


def test_woocommerce_dedupes_on_topic_resource_and_modification_time(woo, deliver, organization):
    deliver(woo, woo_order())
    deliver(woo, woo_order())  # a new delivery id, the same change
    deliver(woo, woo_order(status="completed", modified="2026-11-13T00:00:00"))
    assert len(events(organization)) == 2
    assert orders(organization)["727"].status == "completed"


def test_a_woocommerce_callback_with_a_bad_signature_is_refused(woo, deliver, organization):
    assert deliver(woo, woo_order(), secret="wrong").status_code == 403
    assert events(organization) == []


def test_the_feed_signature_matches_the_worked_example_of_its_documentation():
    """docs/shop-feed.md gives a customer's developer one signature to check their code against."""
    from channels_ingest.shops.generic import signature_of

    assert signature_of("feed-secret-0123456789", b'{"id":"evt-1"}', "1762826520") == (
        "sha256=dd208e827b4a292664fa1bf630d3c4ef1dcdf91374084ca18b8117bc85e2adc3")
