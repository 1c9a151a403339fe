"""Douyin shop (抖店) pushes through /hooks/shop/<slug>/: signed arrays of status-only messages, answered as Douyin
expects, applied to the orders ledger without blanking what a fuller report gave."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from channels_ingest.models import InboundEvent
from scrm.customers.services import customer_resolve
from scrm.platform.tenancy import tenant_scope
from settlement.models import Order, Refund
from settlement.services import order_upsert, store_ensure
from settlement.snapshots import LineSnapshot, OrderSnapshot
from tests.channels_ingest.shops import (
    DOUYIN_APP_KEY,
    DOUYIN_ORDER,
    DOUYIN_SECRET,
    ShopSender,
    body_of,
    douyin_aftersale,
    douyin_headers,
    douyin_message,
    douyin_order,
)
from tests.channels_ingest.test_shop_hooks import events, make_shop, orders
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
Status = InboundEvent.Status
SUCCESS = {"code": 0, "msg": "success"}


@pytest.fixture
def douyin(client, organization):
    make_shop(organization, "douyin", "acme-dd", DOUYIN_APP_KEY, DOUYIN_SECRET)
    return ShopSender(client, "/hooks/shop/acme-dd/", douyin_headers)


def test_a_paid_push_is_answered_as_douyin_expects_and_the_order_waits_for_its_details(douyin, deliver,
                                                                                     organization):
    response = deliver(douyin, [douyin_order("101")])
    assert response.status_code == 200 and response.json() == SUCCESS
    order = orders(organization)[DOUYIN_ORDER]  # the id above 2^53 kept to its last digit
    assert order.status == "paid" and order.channel == "douyin"
    assert order.paid_at == datetime.fromtimestamp(1762826520, tz=UTC)
    assert order.details_missing and order.paid_amount == 0 and list(order.lines.all()) == []
    [event] = events(organization)
    assert (event.kind, event.status, event.dedupe_key) == ("douyin:101", Status.PROCESSED, f"msg:101-{DOUYIN_ORDER}"
                                                                                            "-1762826520")


def test_the_hmac_variant_of_the_signature_is_accepted_too(douyin, deliver, organization):
    assert deliver(douyin, [douyin_order("101")], variant="hmac").status_code == 200
    assert DOUYIN_ORDER in orders(organization)


@pytest.mark.parametrize("tamper", ["secret", "body", "app-id", "missing"])
def test_a_push_with_a_bad_signature_is_refused_and_nothing_is_stored(douyin, client, organization, tamper):
    body = body_of([douyin_order("101")])
    headers = douyin_headers(body, secret="another-secret" if tamper == "secret" else DOUYIN_SECRET,
                             app_key="1111" if tamper == "app-id" else DOUYIN_APP_KEY)
    if tamper == "body":
        body = body.replace(b"77001", b"77002")
    if tamper == "missing":
        del headers["HTTP_EVENT_SIGN"]
    response = client.generic("POST", "/hooks/shop/acme-dd/", body, content_type="application/json", **headers)
    assert response.status_code == 403
    assert events(organization) == [] and orders(organization) == {}


def test_the_test_push_sent_when_the_url_is_configured_is_acknowledged_and_ignored(douyin, deliver, organization):
    response = deliver(douyin, [{"tag": "0", "msg_id": "0", "data": "{}"}])
    assert response.status_code == 200 and response.json() == SUCCESS
    [event] = events(organization)
    assert event.status == Status.IGNORED and "测试推送" in event.last_error_display
    assert orders(organization) == {}


def test_a_push_of_several_messages_stores_each_once_and_a_retry_changes_nothing(douyin, deliver, organization):
    push = [douyin_order("100", status=1, seconds=1762826400), douyin_order("101", seconds=1762826520),
            douyin_order("102", status=3, seconds=1762830000)]
    for _ in range(2):
        assert deliver(douyin, push).json() == SUCCESS
    assert [e.kind for e in events(organization)] == ["douyin:100", "douyin:101", "douyin:102"]
    order = orders(organization)[DOUYIN_ORDER]
    assert order.status == "shipped" and order.placed_at and order.paid_at and order.shipped_at


def test_status_pushes_out_of_order_end_with_the_newest_status(douyin, deliver, organization):
    deliver(douyin, [douyin_order("103", status=5, seconds=1763000000)])
    deliver(douyin, [douyin_order("101", seconds=1762826520)])
    order = orders(organization)[DOUYIN_ORDER]
    assert order.status == "completed" and order.paid_at is not None and order.completed_at is not None


def test_a_status_push_moves_the_status_without_blanking_the_amounts_and_lines(douyin, deliver, organization):
    with tenant_scope(organization):
        store = store_ensure(organization=organization, channel="douyin", ref=DOUYIN_APP_KEY, name="acme-dd 店")
        order_upsert(organization=organization, store=store, snapshot=OrderSnapshot(
            number=DOUYIN_ORDER, status="paid", version=1762826520 * 10**6, paid_amount=Decimal("2899.00"),
            goods_amount=Decimal("2999.00"), discount_amount=Decimal("100.00"),
            lines=(LineSnapshot(sku="KT-35", name="空调", quantity=Decimal(1), unit_price=Decimal("2999.00"),
                                amount=Decimal("2999.00")),)))
    deliver(douyin, [douyin_order("102", status=3, seconds=1762830000)])
    order = orders(organization)[DOUYIN_ORDER]
    assert order.status == "shipped" and order.shipped_at is not None
    assert (order.paid_amount, order.goods_amount, [line.sku for line in order.lines.all()]) == (
        Decimal("2899.00"), Decimal("2999.00"), ["KT-35"])
    assert not order.details_missing


def test_an_after_sale_request_before_its_order_waits_then_is_attached(douyin, deliver, organization):
    deliver(douyin, [douyin_aftersale("200")])
    with tenant_scope(organization):
        refund = Refund.objects.get()
        assert (refund.external_number, refund.status, refund.amount, refund.order) == (
            "7011223344556677889", "requested", Decimal("28.99"), None)
    deliver(douyin, [douyin_order("101")])
    deliver(douyin, [douyin_aftersale("206", seconds=1762990000)])
    with tenant_scope(organization):
        refund = Refund.objects.select_related("order").get()
        assert refund.order.external_number == DOUYIN_ORDER and refund.status == "refunded"
        assert refund.refunded_at is not None


def test_an_after_sale_of_a_known_buyer_opens_a_ticket_linked_to_the_order(douyin, deliver, organization):
    deliver(douyin, [douyin_order("101")])
    with tenant_scope(organization):
        buyer = customer_resolve(organization=organization, channel="douyin", app_id=DOUYIN_APP_KEY,
                                 external_id="dy-buyer-1")
        Order.objects.update(customer=buyer)
    deliver(douyin, [douyin_aftersale("200")])
    with tenant_scope(organization):
        ticket = Ticket.objects.get()
        assert ticket.order_number == DOUYIN_ORDER and ticket.customer == buyer


@pytest.mark.parametrize("body", [b"[{", b"{}", b"[]", b'[{"tag": "101"}]', b'[{"msg_id": "1", "data": "{}"}]'])
def test_a_signed_push_that_is_not_douyins_array_is_refused_with_a_clear_record(douyin, deliver, organization, body):
    response = deliver(douyin, body)
    assert response.status_code == 400
    [event] = events(organization)
    assert event.status == Status.DEAD and event.last_error
    assert orders(organization) == {}


@pytest.mark.parametrize(("message", "reason"), [
    (douyin_message("101", {"p_id": 1, "pay_time": "yesterday"}), "data.pay_time"),
    (douyin_message("101", {"pay_time": 1762826520}), "data.p_id"),
    (douyin_aftersale("200", refund_amount="12.5"), "data.refund_amount"),
    ({"tag": "101", "msg_id": "m-9", "data": "{not json"}, "malformed JSON"),
])
def test_a_message_that_cannot_be_read_is_dead_with_the_reason_and_the_ledger_untouched(douyin, deliver,
                                                                                       organization, message, reason):
    assert deliver(douyin, [message]).json() == SUCCESS
    [event] = events(organization)
    assert event.status == Status.DEAD and reason in event.last_error
    assert orders(organization) == {}
    with tenant_scope(organization):
        assert Refund.objects.count() == 0


def test_an_unknown_tag_is_acknowledged_and_stored_as_ignored(douyin, deliver, organization):
    assert deliver(douyin, [douyin_order("105")]).json() == SUCCESS
    [event] = events(organization)
    assert event.status == Status.IGNORED and "105" in event.last_error
