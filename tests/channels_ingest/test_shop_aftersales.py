"""Returns, exchanges and bad reviews become their own routed tickets, linked to the order and the customer, for
the platforms whose messages carry them: the generic feed (aftersale.*, review.*, complaint.*), Youzan's
REFUND_AND_RETURN refunds, Douyin's after-sale types and Shopify's returns. Replays open nothing more."""

import json
from urllib.parse import quote, unquote

import pytest

from channels_ingest.models import InboundEvent
from scrm.platform.tenancy import tenant_scope
from settlement.models import AfterSale, Refund
from tests.channels_ingest.shops import (
    DOUYIN_APP_KEY,
    DOUYIN_ORDER,
    DOUYIN_SECRET,
    GENERIC_SECRET,
    SHOPIFY_DOMAIN,
    SHOPIFY_SECRET,
    YOUZAN_CLIENT_ID,
    YOUZAN_SECRET,
    ShopSender,
    douyin_aftersale,
    douyin_headers,
    generic_headers,
    generic_order,
    generic_refund,
    shopify_headers,
    shopify_order,
    youzan_headers,
    youzan_refund,
    youzan_trade,
)
from tests.channels_ingest.test_shop_hooks import events, make_shop, orders
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
Status = InboundEvent.Status


@pytest.fixture
def generic(client, organization):
    make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    return ShopSender(client, "/hooks/shop/acme-shop/", generic_headers)


@pytest.fixture
def youzan(client, organization):
    make_shop(organization, "youzan", "acme-yz", YOUZAN_CLIENT_ID, YOUZAN_SECRET)
    return ShopSender(client, "/hooks/shop/acme-yz/", youzan_headers)


def aftersale(event_id="evt-a1", number="AS1001", kind="return", status="requested",
              updated_at="2026-11-13T09:00:00+08:00", order_number="SO1001", **extra):
    data = {"number": number, "order_number": order_number, "kind": kind, "status": status,
            "updated_at": updated_at, "reason": "尺码不合适", "detail": "想换大一号"}
    data.update(extra)
    return {"id": event_id, "type": "aftersale.updated", "aftersale": data}


def review(event_id="evt-v1", number="RV1001", rating="1", **extra):
    data = {"number": number, "order_number": "SO1001", "rating": rating, "content": "空调噪音太大，客服不理人",
            "created_at": "2026-11-20T20:00:00+08:00"}
    data.update(extra)
    return {"id": event_id, "type": "review.created", "review": data}


def cases(organization):
    with tenant_scope(organization):
        return list(AfterSale.objects.select_related("ticket", "order", "customer").order_by("pk"))


def tickets(organization):
    with tenant_scope(organization):
        return list(Ticket.objects.order_by("pk"))


def test_a_return_opens_its_own_ticket_linked_to_the_order_and_the_buyer(generic, deliver, organization):
    deliver(generic, generic_order())
    assert deliver(generic, aftersale()).status_code == 200
    [case] = cases(organization)
    order = orders(organization)["SO1001"]
    assert (case.kind, case.status, case.order_id, case.customer_id) == ("return", "requested", order.pk,
                                                                          order.customer_id)
    ticket = case.ticket
    assert "AS1001" in ticket.subject and "SO1001" in ticket.subject
    assert (ticket.order_number, ticket.customer_id, ticket.channel) == ("SO1001", order.customer_id, "shop")
    assert "想换大一号" in ticket.description


def test_replays_and_later_stages_open_no_second_ticket(generic, deliver, organization):
    deliver(generic, generic_order())
    for _ in range(2):
        deliver(generic, aftersale())
    deliver(generic, aftersale(event_id="evt-a2", status="approved", updated_at="2026-11-13T10:00:00+08:00"))
    deliver(generic, aftersale(event_id="evt-a0", status="requested", updated_at="2026-11-13T08:00:00+08:00"))
    [case] = cases(organization)
    assert case.status == "approved"  # the older report, arriving last, is ignored
    assert len(tickets(organization)) == 1


def test_a_return_and_its_refund_share_one_ticket_whichever_comes_first(generic, deliver, organization):
    deliver(generic, generic_order())
    deliver(generic, generic_refund(number="AS1001"))  # the refund first: it opens the ticket
    deliver(generic, aftersale())
    deliver(generic, generic_refund(event_id="evt-r2", number="AS2002"))
    deliver(generic, aftersale(event_id="evt-a2", number="AS2002"))
    with tenant_scope(organization):
        refunds = {refund.external_number: refund.ticket_id for refund in Refund.objects.all()}
    shared = {case.external_number: case.ticket_id for case in cases(organization)}
    assert refunds == shared and len(set(shared.values())) == 2 and len(tickets(organization)) == 2


def test_an_exchange_before_its_order_waits_and_opens_its_ticket_when_the_order_lands(generic, deliver,
                                                                                       organization):
    deliver(generic, aftersale(kind="exchange"))
    [case] = cases(organization)
    assert case.order_id is None and case.ticket_id is None and tickets(organization) == []
    deliver(generic, generic_order())
    [case] = cases(organization)
    assert case.order.external_number == "SO1001" and case.customer_id == case.order.customer_id
    assert case.ticket.order_number == "SO1001" and "AS1001" in case.ticket.subject


def test_a_bad_review_is_a_complaint_ticket_and_a_good_one_is_acknowledged(generic, deliver, organization):
    deliver(generic, generic_order())
    deliver(generic, review())
    deliver(generic, review(event_id="evt-v2", number="RV2002", rating="5"))
    [case] = cases(organization)
    assert (case.kind, case.rating, case.external_number) == ("complaint", 1, "RV1001")
    assert "1" in case.ticket.subject and "SO1001" in case.ticket.subject
    assert "噪音" in case.ticket.description
    good = events(organization)[-1]
    assert good.status == Status.IGNORED and "5" in good.last_error


def test_a_complaint_needs_no_order(generic, deliver, organization):
    payload = {"id": "evt-c1", "type": "complaint.created",
               "complaint": {"number": "C-1", "content": "快递员态度差", "updated_at": "2026-11-20T20:00:00+08:00",
                             "buyer": {"id": "u-42", "name": "张三"}}}
    deliver(generic, payload)
    [case] = cases(organization)
    assert case.kind == "complaint" and case.order_id is None and case.ticket.order_number == ""


@pytest.mark.parametrize("payload, problem", [
    (aftersale(kind="repair"), "aftersale.kind"),
    (review(rating="6"), "review.rating"),
])
def test_an_after_sale_event_that_cannot_be_read_is_dead_with_the_reason(generic, deliver, organization, payload,
                                                                          problem):
    deliver(generic, payload)
    [event] = events(organization)
    assert event.status == Status.DEAD and problem in event.last_error
    assert cases(organization) == [] and tickets(organization) == []


def test_a_youzan_return_is_a_return_ticket_shared_with_its_refund(youzan, deliver, organization):
    deliver(youzan, youzan_trade(), kind="trade_TradePaid")
    payload = youzan_refund()
    msg = json.loads(unquote(payload["msg"]))
    msg["refund_type"] = "REFUND_AND_RETURN"
    payload["msg"] = quote(json.dumps(msg, ensure_ascii=False))
    deliver(youzan, payload, kind="trade_refund_BuyerCreated")
    [case] = cases(organization)
    with tenant_scope(organization):
        refund = Refund.objects.get()
    assert case.kind == "return" and case.external_number == refund.external_number == "201711111000001"
    assert refund.ticket_id == case.ticket_id is not None and len(tickets(organization)) == 1


@pytest.fixture
def douyin(client, organization):
    make_shop(organization, "douyin", "acme-dd", DOUYIN_APP_KEY, DOUYIN_SECRET)
    return ShopSender(client, "/hooks/shop/acme-dd/", douyin_headers)


def test_douyin_after_sale_types_become_a_return_with_its_refund_or_an_exchange(douyin, deliver, organization):
    deliver(douyin, [douyin_aftersale("200", aftersale_id=1, aftersale_type=0, seconds=1762900001),
                     douyin_aftersale("200", aftersale_id=2, aftersale_type=3, refund_amount=0, seconds=1762900002),
                     douyin_aftersale("200", aftersale_id=3, aftersale_type=1, seconds=1762900003)])
    assert [(case.kind, case.external_number, case.order_number) for case in cases(organization)] == [
        ("return", "1", DOUYIN_ORDER), ("exchange", "2", DOUYIN_ORDER)]
    with tenant_scope(organization):
        assert sorted(Refund.objects.values_list("external_number", flat=True)) == ["1", "3"]


@pytest.fixture
def shopify(client, organization):
    make_shop(organization, "shopify", "acme-shopify", SHOPIFY_DOMAIN, SHOPIFY_SECRET)
    return ShopSender(client, "/hooks/shop/acme-shopify/", shopify_headers)


def shopify_return(*, return_id=945000954, exchange=False):
    return {"id": return_id, "admin_graphql_api_id": f"gid://shopify/Return/{return_id}", "name": "#1001-R1",
            "status": "requested", "order": {"id": 820982911946154508,
                                             "admin_graphql_api_id": "gid://shopify/Order/820982911946154508"},
            "total_return_line_items": 1,
            "return_line_items": [{"id": 1, "quantity": 1, "return_reason": "size_too_small",
                                   "customer_note": "Too small"}],
            "exchange_line_items": [{"id": 2, "quantity": 1}] if exchange else []}


def test_a_shopify_return_request_opens_a_return_ticket_for_the_orders_buyer(shopify, deliver, organization):
    deliver(shopify, shopify_order())
    deliver(shopify, shopify_return(), topic="returns/request", webhook_id="wh-r1")
    deliver(shopify, shopify_return(), topic="returns/close", webhook_id="wh-r2")
    deliver(shopify, shopify_return(), topic="returns/approve", webhook_id="wh-r3")  # late: a stage before
    deliver(shopify, shopify_return(return_id=945000955, exchange=True), topic="returns/request",
            webhook_id="wh-r4")
    ret, exchange = cases(organization)
    order = orders(organization)["820982911946154508"]
    assert (ret.kind, ret.status, ret.customer_id, ret.reason) == ("return", "completed", order.customer_id,
                                                                   "size_too_small")
    assert exchange.kind == "exchange"
    assert {t.order_number for t in tickets(organization)} == {"820982911946154508"}
    assert len(tickets(organization)) == 2


def test_the_return_ticket_page_shows_the_order_and_its_return(generic, deliver, organization, client, ops_admin):
    deliver(generic, generic_order())
    deliver(generic, aftersale())
    [case] = cases(organization)
    client.force_login(ops_admin)
    body = client.get(f"/tickets/{case.ticket_id}/").content.decode()
    panel = body.split('data-testid="ticket-order"')[1]
    assert 'data-order="SO1001"' in panel
    assert "AS1001" in panel.split('data-testid="ticket-order-aftersales"')[1]
