"""Online stores' callbacks through /hooks/shop/<slug>/: the signed generic feed and Youzan, verified, stored once,
answered as each platform expects, and applied to the orders ledger by the worker (run in-process here)."""

import hashlib
import hmac
import json
import time
from urllib.parse import quote_plus, unquote

import pytest
from django.core.management import CommandError, call_command

from channels_ingest.models import InboundEvent
from channels_ingest.services import channel_account_create
from channels_ingest.shops.generic import MSG_BAD_SIGNATURE
from scrm.models import ChannelIdentity
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import Order, Refund
from tests.channels_ingest.shops import (
    GENERIC_SECRET,
    YOUZAN_CLIENT_ID,
    YOUZAN_SECRET,
    ShopSender,
    body_of,
    generic_headers,
    generic_order,
    generic_refund,
    youzan_headers,
    youzan_refund,
    youzan_trade,
)
from tests.scrm.factories import OrganizationFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
Status = InboundEvent.Status


def make_shop(organization, kind, slug, app_id, secret):
    with tenant_scope(organization):
        return channel_account_create(organization=organization, kind=kind, slug=slug, name=f"{slug} 店",
                                      app_id=app_id, secret=secret)


@pytest.fixture
def generic(client, organization):
    make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    return ShopSender(client, "/hooks/shop/acme-shop/", generic_headers)


@pytest.fixture
def youzan(client, organization):
    make_shop(organization, "youzan", "acme-yz", YOUZAN_CLIENT_ID, YOUZAN_SECRET)
    return ShopSender(client, "/hooks/shop/acme-yz/", youzan_headers)


def events(organization):
    with tenant_scope(organization):
        return list(InboundEvent.objects.order_by("pk"))


def orders(organization):
    with tenant_scope(organization):
        return {o.external_number: o for o in Order.objects.select_related("customer").prefetch_related("lines")}


# --- the generic signed feed ----------------------------------------------------------------------------------------

def test_a_signed_order_event_lands_in_the_ledger_with_its_buyer(generic, deliver, organization):
    response = deliver(generic, generic_order())
    assert response.status_code == 200 and response.json() == {"ok": True, "received": 1}
    order = orders(organization)["SO1001"]
    assert (order.status, str(order.paid_amount), str(order.discount_amount)) == ("paid", "2899.00", "100.00")
    assert [(line.sku, str(line.amount)) for line in order.lines.all()] == [("KT-35", "2999.00")]
    assert order.customer.mobile == "+8613800138000"
    [event] = events(organization)
    assert (event.kind, event.status, event.dedupe_key, event.customer_id) == (
        "order.updated", Status.PROCESSED, "evt:evt-1", order.customer_id)


@pytest.mark.parametrize("tamper", ["signature", "secret", "missing"])
def test_a_bad_signature_is_refused_and_nothing_is_stored(generic, client, deliver, organization, tamper):
    body = body_of(generic_order())
    headers = generic_headers(body, secret="another-secret-123" if tamper == "secret" else GENERIC_SECRET)
    if tamper == "signature":
        headers = generic_headers(body + b" ")
    if tamper == "missing":
        del headers["HTTP_X_SIGNATURE"]
    response = client.generic("POST", "/hooks/shop/acme-shop/", body, content_type="application/json", **headers)
    assert response.status_code == 403
    assert events(organization) == [] and orders(organization) == {}


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_timestamp_more_than_five_minutes_off_is_refused(generic, deliver, organization, skew):
    response = deliver(generic, generic_order(), timestamp=int(time.time()) + skew)
    assert response.status_code == 403
    assert response.json()["error"].startswith("stale timestamp: X-Timestamp must be the current time")
    assert events(organization) == []


def test_a_captured_request_sent_again_with_a_fresh_timestamp_is_refused(generic, client, organization):
    """The timestamp is signed with the body: an old request cannot be given a new X-Timestamp."""
    body = body_of(generic_order())
    old = int(time.time()) - 3600
    headers = generic_headers(body, timestamp=int(time.time()), signed_timestamp=old)
    response = client.generic("POST", "/hooks/shop/acme-shop/", body, content_type="application/json", **headers)
    assert response.status_code == 403
    assert response.json() == {"ok": False, "error": str(MSG_BAD_SIGNATURE)}
    assert events(organization) == []


def test_a_signature_of_the_body_alone_is_refused_with_the_formula(generic, client, organization):
    """The signature of the first version of the feed (the body without the timestamp) is refused, saying why."""
    body = body_of(generic_order())
    legacy = hmac.new(GENERIC_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.generic("POST", "/hooks/shop/acme-shop/", body, content_type="application/json",
                              HTTP_X_SIGNATURE=f"sha256={legacy}", HTTP_X_TIMESTAMP=str(int(time.time())))
    assert response.status_code == 403
    assert 'X-Timestamp + "." + the raw body' in response.json()["error"]
    assert events(organization) == []


def test_a_retried_event_is_stored_and_applied_once(generic, deliver, organization):
    for _ in range(3):
        assert deliver(generic, generic_order()).status_code == 200
    assert len(events(organization)) == 1 and len(orders(organization)) == 1


def test_an_older_event_arriving_late_does_not_undo_a_newer_one(generic, deliver, organization):
    deliver(generic, generic_order("evt-2", status="shipped", updated_at="2026-11-11T12:00:00+08:00",
                                   shipped_at="2026-11-11T12:00:00+08:00"))
    deliver(generic, generic_order("evt-1", status="paid", updated_at="2026-11-11T10:02:00+08:00"))
    order = orders(organization)["SO1001"]
    assert order.status == "shipped" and order.paid_at is not None and order.shipped_at is not None
    assert {e.status for e in events(organization)} == {Status.PROCESSED}


def test_a_refund_before_its_order_waits_then_opens_a_ticket_linked_to_order_and_customer(generic, deliver,
                                                                                          organization):
    refund = generic_refund()
    del refund["refund"]["reason"]
    deliver(generic, refund)
    with tenant_scope(organization):
        assert Refund.objects.get().order is None
    deliver(generic, generic_order())
    with tenant_scope(organization):
        refund = Refund.objects.select_related("order", "ticket__customer").get()
        assert refund.order.external_number == "SO1001"
        assert refund.ticket.order_number == "SO1001"
        assert refund.ticket.customer.mobile == "+8613800138000"
        assert Ticket.objects.count() == 1


def test_malformed_json_is_refused_with_a_clear_record_and_no_order(generic, deliver, organization):
    response = deliver(generic, b'{"id": "evt-1", "type": "order.updated", "order": {')
    assert response.status_code == 400 and "malformed JSON" in response.json()["error"]
    [event] = events(organization)
    assert event.status == Status.DEAD and "malformed JSON" in event.last_error
    assert orders(organization) == {}


@pytest.mark.parametrize(("field", "value"), [("paid_amount", "12,30"), ("paid_amount", "¥12.30"),
                                              ("goods_amount", "1e40"), ("currency", "人民币")])
def test_an_amount_or_currency_that_does_not_parse_leaves_the_event_dead_with_the_reason(generic, deliver,
                                                                                      organization, field, value):
    assert deliver(generic, generic_order(**{field: value})).status_code == 200
    [event] = events(organization)
    assert event.status == Status.DEAD
    assert (field if field != "currency" else value) in event.last_error
    assert orders(organization) == {}


def test_a_bad_event_after_a_good_one_changes_nothing_of_the_ledger(generic, deliver, organization):
    deliver(generic, generic_order())
    bad = generic_order("evt-2", status="completed", updated_at="2026-11-13T10:00:00+08:00")
    bad["order"]["lines"][0]["amount"] = "abc"
    deliver(generic, bad)
    order = orders(organization)["SO1001"]
    assert order.status == "paid" and order.lines.count() == 1


def test_an_order_number_above_2_53_is_kept_exactly(generic, deliver, organization):
    body = body_of(generic_order(number="__N__")).replace(b'"__N__"', b"9007199254740993")
    deliver(generic, body)
    assert list(orders(organization)) == ["9007199254740993"]


def test_an_unknown_event_type_is_acknowledged_and_stored_as_ignored_with_why(generic, deliver, organization):
    response = deliver(generic, {"id": "evt-9", "type": "customer.created", "customer": {"id": "u-1"}})
    assert response.status_code == 200
    [event] = events(organization)
    assert event.status == Status.IGNORED and "customer.created" in event.last_error


def test_a_batch_of_events_is_stored_as_separate_events(generic, deliver, organization):
    batch = {"events": [generic_order("evt-1", number="SO1"), generic_order("evt-2", number="SO2")]}
    assert deliver(generic, batch).json() == {"ok": True, "received": 2}
    assert sorted(orders(organization)) == ["SO1", "SO2"]


def test_a_batch_with_one_bad_event_stores_none_of_them(generic, deliver, organization):
    batch = {"events": [generic_order("evt-1", number="SO1"), {"type": "order.updated"}]}
    response = deliver(generic, batch)
    assert response.status_code == 400 and "events[1]" in response.json()["error"]
    assert [e.kind for e in events(organization)] == ["shop:malformed"]
    assert orders(organization) == {}


def test_another_organizations_store_is_not_reached_with_our_secret(generic, deliver, client, organization):
    with platform_scope():
        other = OrganizationFactory(slug="other")
    make_shop(other, "generic", "other-shop", "other-store", "other-secret-456")
    intruder = ShopSender(client, "/hooks/shop/other-shop/", generic_headers)
    assert deliver(intruder, generic_order()).status_code == 403  # signed with acme's secret
    deliver(ShopSender(client, "/hooks/shop/other-shop/",
                       lambda body: generic_headers(body, secret="other-secret-456")), generic_order())
    deliver(generic, generic_order(status="pending", updated_at="2026-11-11T10:00:00+08:00"))
    assert orders(organization)["SO1001"].status == "pending"
    assert orders(other)["SO1001"].status == "paid"
    with tenant_scope(organization):
        assert ChannelIdentity.objects.count() == 1


# --- Youzan ----------------------------------------------------------------------------------------------------------

def test_a_youzan_trade_is_answered_as_youzan_expects_and_lands_in_the_ledger(youzan, deliver, organization):
    response = deliver(youzan, youzan_trade())
    assert response.status_code == 200 and json.loads(response.content) == {"code": 0, "msg": "success"}
    order = orders(organization)["E20261111100000000001"]
    assert (order.status, str(order.paid_amount), order.channel) == ("paid", "0.02", "youzan")
    assert [(line.sku, str(line.quantity)) for line in order.lines.all()] == [("SKU-1", "2.000")]
    assert order.shipping_address["city"] == "杭州市"
    [event] = events(organization)
    assert (event.kind, event.dedupe_key) == ("youzan:trade_TradePaid", "msg:m-1")


def test_a_youzan_message_form_encoded_with_plus_for_space_keeps_its_spaces(youzan, deliver, organization):
    """Youzan's `msg` is URL-encoded the way Java's URLEncoder does it (a space is "+", a "+" is "%2B"): the
    address and the refund reason were stored with "+" where the buyer typed a space."""
    payload = youzan_trade()
    message = json.loads(unquote(payload["msg"]))
    message["full_order_info"]["address_info"]["delivery_address"] = "文三路 1 号 A+B 座"
    payload["msg"] = quote_plus(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
    assert "+" in payload["msg"] and "%20" not in payload["msg"]
    deliver(youzan, payload)
    refund = youzan_refund()
    refund["msg"] = quote_plus(json.dumps({**json.loads(unquote(refund["msg"])), "refund_reason": "尺寸 不合适"},
                                          ensure_ascii=False, separators=(",", ":")))
    deliver(youzan, refund, kind="trade_refund_BuyerCreated")

    order = orders(organization)["E20261111100000000001"]
    assert order.shipping_address["address"] == "文三路 1 号 A+B 座"
    with tenant_scope(organization):
        assert Refund.objects.get().reason == "尺寸 不合适"
    assert {event.status for event in events(organization)} == {Status.PROCESSED}


def test_a_youzan_push_with_a_bad_event_sign_is_refused(youzan, deliver, organization):
    response = deliver(youzan, youzan_trade(), secret="not-the-client-secret")
    assert response.status_code == 403
    assert events(organization) == []


def test_youzan_trade_messages_out_of_order_end_with_the_newest(youzan, deliver, organization):
    deliver(youzan, youzan_trade(msg_id="m-3", kind="trade_TradeSuccess", status="TRADE_SUCCESS", version=1762990000))
    deliver(youzan, youzan_trade(msg_id="m-2", kind="trade_TradeSellerShip", status="WAIT_BUYER_CONFIRM_GOODS",
                                 version=1762900000))
    deliver(youzan, youzan_trade(msg_id="m-1"))
    assert orders(organization)["E20261111100000000001"].status == "completed"


def test_a_youzan_refund_request_opens_a_ticket_for_the_orders_buyer(youzan, deliver, organization):
    deliver(youzan, youzan_trade())
    deliver(youzan, youzan_refund(), kind="trade_refund_BuyerCreated")
    deliver(youzan, youzan_refund(msg_id="m-r2", kind="trade_refund_Success", version=1762950000),
            kind="trade_refund_Success")
    with tenant_scope(organization):
        refund = Refund.objects.select_related("ticket", "order").get()
        assert (refund.status, str(refund.amount), refund.order.external_number) == (
            "refunded", "0.02", "E20261111100000000001")
        assert refund.ticket.customer_id == refund.order.customer_id
        assert Ticket.objects.count() == 1


def test_youzans_test_push_is_acknowledged_and_ignored(youzan, deliver, organization):
    payload = youzan_trade()
    payload["test"] = True
    assert json.loads(deliver(youzan, payload).content) == {"code": 0, "msg": "success"}
    [event] = events(organization)
    assert event.status == Status.IGNORED
    assert orders(organization) == {}


def test_add_channel_account_adds_a_store_and_prints_its_callback_path(organization, capsys):
    call_command("add_channel_account", "--organization", "acme", "--kind", "youzan", "--slug", "acme-yz2",
                 "--app-key", YOUZAN_CLIENT_ID, "--secret", YOUZAN_SECRET)
    assert "/hooks/shop/acme-yz2/" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("add_channel_account", "--organization", "acme", "--kind", "generic", "--slug", "acme-g",
                     "--app-key", "store-1")  # a store without its signing secret


def test_ops_add_a_store_in_settings_and_see_its_callback_url(client, ops_admin, organization):
    client.force_login(ops_admin)
    fields = {"kind": "youzan", "name": "有赞旗舰店", "slug": "acme-yz3", "app_id": YOUZAN_CLIENT_ID, "token": "",
              "aes_key": "", "subscribe_reply": "", "is_active": "on"}
    refused = client.post("/settings/channels/add/", {**fields, "secret": ""})
    assert refused.status_code == 400 and "secret" in refused.context["form"].errors
    response = client.post("/settings/channels/add/", {**fields, "secret": YOUZAN_SECRET})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "http://testserver/hooks/shop/acme-yz3/" in page and YOUZAN_SECRET not in page


def test_ops_see_a_dead_shop_event_with_its_reason_on_the_stores_page(generic, deliver, client, ops_admin,
                                                                     organization):
    deliver(generic, generic_order(paid_amount="12,30"))
    [event] = events(organization)
    client.force_login(ops_admin)
    page = client.get(f"/settings/channels/{event.account_id}/").content.decode()
    assert "order.paid_amount" in page and "12,30" in page
    assert f"/settings/channels/{event.account_id}/events/{event.pk}/replay/" in page


def test_a_youzan_version_too_large_for_the_ledger_leaves_the_event_dead_not_retried(youzan, deliver, organization):
    deliver(youzan, youzan_trade(version=10**30))
    [event] = events(organization)
    assert event.status == Status.DEAD and event.attempts == 1 and str(10**30) in event.last_error
    assert orders(organization) == {}


@pytest.mark.parametrize(("language", "worker", "shown", "not_shown"), [
    ("zh-hans", "en", "字段 order.status：&#x27;maybe&#x27; 不是以下之一：", "is not one of"),
    ("en", "zh-hans", "Field order.status: &#x27;maybe&#x27; is not one of ", "不是以下之一"),
])
def test_a_shop_events_reason_and_a_replys_are_shown_in_the_readers_language(generic, deliver, client, ops_admin,
                                                                             organization, language, worker, shown,
                                                                             not_shown):
    """The worker records why in no one's language (the product's words as a code, the values as they came); the
    account's page words it for its reader."""
    from django.utils import translation

    from channels_ingest.models import OutboundMessage
    from channels_ingest.services import outbound_send
    from tests.channels_ingest.conftest import make_account
    from tests.tickets.factories import TicketFactory
    from tickets.models import Comment

    with translation.override(worker):
        deliver(generic, generic_order(status="maybe"))
    [event] = events(organization)
    assert event.status == InboundEvent.Status.DEAD
    oa = make_account(organization, slug="acme-oa-nosecret", secret="")
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, source_ref=f"{oa.slug}:oOpenid-1")
        comment = Comment.objects.create(organization=organization, ticket=ticket, body="您好", is_public=True)
        reply = OutboundMessage.objects.create(organization=organization, account=oa, comment=comment,
                                               to_user="oOpenid-1", body="您好")
    with translation.override(worker):
        outbound_send(outbound_id=reply.pk)
    client.force_login(ops_admin)
    client.cookies["django_language"] = language
    events_table = client.get(f"/settings/channels/{event.account_id}/").content.decode().split(
        'data-testid="problem-events"', 1)[1].split("</table>", 1)[0]
    assert shown in events_table and not_shown not in events_table
    replies = client.get(f"/settings/channels/{oa.pk}/").content.decode().split(
        'data-testid="outbound-problems"', 1)[1].split("</table>", 1)[0]
    no_secret = {"zh-hans": "该账号未设置 AppSecret", "en": "The account has no app secret"}
    assert no_secret[language] in replies and no_secret[worker] not in replies


@pytest.mark.parametrize(("language", "worker", "shown", "not_shown"), [
    ("zh-hans", "en", "金额 order.paid_amount 不是精确到分的元数：12,30。", "is not a number of yuan"),
    ("en", "zh-hans", "The amount order.paid_amount is not a number of yuan to the fen: 12,30.", "不是精确到分"),
])
def test_the_ledgers_refusal_of_a_shop_event_is_shown_in_the_readers_language(generic, deliver, client, ops_admin,
                                                                              organization, language, worker, shown,
                                                                              not_shown):
    from django.utils import translation

    with translation.override(worker):
        deliver(generic, generic_order(paid_amount="12,30"))
    [event] = events(organization)
    assert event.status == InboundEvent.Status.DEAD
    client.force_login(ops_admin)
    client.cookies["django_language"] = language
    table = client.get(f"/settings/channels/{event.account_id}/").content.decode().split(
        'data-testid="problem-events"', 1)[1].split("</table>", 1)[0]
    assert shown in table and not_shown not in table
