"""Douyin shop (抖店) message pushes.

A POST whose body is a JSON array of messages {"tag", "msg_id", "data"}: `tag` names the message type, `data` is the
message itself as a JSON string (its ids exceed 2^53: read as their exact digits). Headers `app-id` (the app_key)
and `event-sign` = md5hex(app_key + raw body + app_secret); an HMAC-SHA256 variant keyed with the app_secret over
the same string exists, the header that selects it is not confirmed, so either signature is accepted (both need the
secret). Answer {"code":0,"msg":"success"}, or Douyin pushes again. When the push URL is configured Douyin sends a
test message with tag "0": it is stored as ignored and answered the same way.

The pushes carry ids, the status and its time, never the whole order: an order message is a status-only report
(settlement keeps the amounts and lines it holds; an order known only from pushes waits for its details, see
Order.details_version). A push that moved the order, or left it without details, queues a fetch of the details
from the open API (order.orderDetail, through the outbox: channels_ingest/services/shop_fetch.py); the answer is
read by `detail_to_ledger` below, amounts in fen, the buyer by its doudian_open_id. After-sale messages carry the
after-sale id, the order id and the refund amount in fen.

An after-sale message's `aftersale_type` says what the buyer asked for: 0 a return with its refund (退货退款), 1 and
2 a refund only (after or before shipping), 3 an exchange (换货). A return is recorded as a return (its own routed
ticket) and as the refund of the same number (the money, sharing that ticket); an exchange only as an exchange;
any other or no type as a refund, as before. (The type values follow the 抖店 after-sale documentation; the values
above 3 are not confirmed and are read as a refund.) Douyin pushes no review or complaint message we read.

Tags read (the trade and after-sale families of the message list):
  100 order created, 101 paid, 102 shipped, 103 completed, 106 cancelled, 110 paid and awaiting the seller;
  200 after-sale requested, 201 refund agreed, 202 return agreed, 203 goods returned by the buyer, 204 refund
  refused, 205 return refused, 206 refunded, 207 after-sale closed, 208 after-sale modified by the buyer.
"""

import hashlib
import hmac
import json
from decimal import Decimal

from channels_ingest.shops.base import (
    Adapter,
    Incoming,
    LedgerItem,
    TestPush,
    UnknownEvent,
    bad_field,
    json_exact,
    quantity,
    text,
    time_of,
    version_of,
)
from channels_ingest.wire import SignatureError, WireError
from settlement.snapshots import AfterSaleSnapshot, LineSnapshot, OrderSnapshot, RefundSnapshot, money

TEST_TAG = "0"
MAX_MESSAGES = 100
# tag -> (the ledger's status, the data field holding the time of that step).
ORDER_TAGS = {
    "100": ("pending", "create_time"), "101": ("paid", "pay_time"), "110": ("paid", "pay_time"),
    "102": ("shipped", "update_time"), "103": ("completed", "complete_time"), "106": ("cancelled", "cancel_time"),
}
REFUND_TAGS = {
    "200": "requested", "208": "requested", "201": "approved", "202": "approved", "203": "approved",
    "204": "refused", "205": "refused", "206": "refunded", "207": "cancelled",
}
# tag -> the status of a return or exchange.
AFTERSALE_STATUS = {
    "200": "requested", "208": "requested", "201": "approved", "202": "approved", "203": "approved",
    "204": "refused", "205": "refused", "206": "completed", "207": "cancelled",
}
RETURN_TYPE, EXCHANGE_TYPE = "0", "3"
MILESTONE = {"pending": "placed_at", "paid": "paid_at", "shipped": "shipped_at", "completed": "completed_at",
             "cancelled": "cancelled_at"}


def sign(app_key, body, secret):
    return hashlib.md5(app_key.encode() + body + secret.encode()).hexdigest()  # noqa: S324 - Douyin's formula


def sign_hmac(app_key, body, secret):
    return hmac.new(secret.encode(), app_key.encode() + body + secret.encode(), hashlib.sha256).hexdigest()


def _fen(value, name):
    """An amount Douyin gives in fen (an integer) as yuan."""
    if not isinstance(value, str) or not value.isdigit():
        raise bad_field(name, "not_fen")
    return money(Decimal(value) / 100, name=name)


def _data(message):
    data = message.get("data")
    if isinstance(data, str):
        data = json_exact(data)
    if not isinstance(data, dict):
        raise bad_field("data", "not_json_object")
    return data


def _step_time(data, field):
    """The time of the step the message reports (Unix seconds): its own field, else update_time."""
    name = field if data.get(field) not in (None, "", "0") else "update_time"
    return time_of(data.get(name), f"data.{name}", required=True)


def _order(data, status, field):
    moment = _step_time(data, field)
    snapshot = OrderSnapshot(
        number=text(data.get("p_id"), "data.p_id", max_length=64), status=status, version=version_of(moment),
        updated_at=moment, partial=True, raw=data, **{MILESTONE[status]: moment})
    return LedgerItem(snapshot=snapshot, buyer={}, fetch_details={"shop_ref": str(data.get("shop_id") or "")[:64]})


def _aftersale(data, kind, tag):
    moment = _step_time(data, "update_time")
    snapshot = AfterSaleSnapshot(
        kind=kind, number=text(data.get("aftersale_id"), "data.aftersale_id", max_length=64),
        order_number=text(data.get("p_id"), "data.p_id", max_length=64), status=AFTERSALE_STATUS[tag],
        version=version_of(moment), reason=text(data.get("reason"), "data.reason", max_length=255, required=False),
        requested_at=time_of(data.get("apply_time"), "data.apply_time"), raw=data)
    return LedgerItem(snapshot=snapshot, buyer={})


def _aftersale_items(data, tag):
    """A return: the return and its refund (one ticket); an exchange: the exchange; anything else: the refund."""
    kind = data.get("aftersale_type")
    if kind == EXCHANGE_TYPE:
        return [_aftersale(data, "exchange", tag)]
    if kind == RETURN_TYPE:
        return [_aftersale(data, "return", tag), _refund(data, REFUND_TAGS[tag])]
    return [_refund(data, REFUND_TAGS[tag])]


def _refund(data, status):
    moment = _step_time(data, "update_time")
    snapshot = RefundSnapshot(
        number=text(data.get("aftersale_id"), "data.aftersale_id", max_length=64),
        order_number=text(data.get("p_id"), "data.p_id", max_length=64), status=status, version=version_of(moment),
        amount=_fen(data.get("refund_amount"), "data.refund_amount"),
        reason=text(data.get("reason"), "data.reason", max_length=255, required=False),
        requested_at=time_of(data.get("apply_time"), "data.apply_time") or (moment if status == "requested" else None),
        resolved_at=moment if status in ("approved", "refused") else None,
        refunded_at=moment if status == "refunded" else None, raw=data,
    )
    return LedgerItem(snapshot=snapshot, buyer={})


class DouyinAdapter(Adapter):
    kind = "douyin"

    def verify(self, account, headers, body):
        given = headers.get("event-sign", "").lower()
        if not (account.secret and given and headers.get("app-id", account.app_id) == account.app_id):
            raise SignatureError("bad event-sign")
        expected = (sign(account.app_id, body, account.secret), sign_hmac(account.app_id, body, account.secret))
        if not any(hmac.compare_digest(candidate, given) for candidate in expected):
            raise SignatureError("bad event-sign")

    def split(self, account, headers, body):
        messages = json_exact(body)
        if not isinstance(messages, list) or not messages:
            raise WireError("not a Douyin push (a JSON array of messages)")
        if len(messages) > MAX_MESSAGES:
            raise WireError(f"more than {MAX_MESSAGES} messages in one push")
        incoming = []
        for message in messages:
            if not isinstance(message, dict) or not isinstance(message.get("tag"), str) or not message["tag"]:
                raise WireError("a message without a tag")
            msg_id = message.get("msg_id")
            if not isinstance(msg_id, str) or not msg_id:
                raise WireError("a message without a msg_id")
            tag = message["tag"][:40]
            raw = json.dumps({"tag": tag, "msg_id": msg_id, "data": message.get("data")}, ensure_ascii=False)
            incoming.append(Incoming(kind=f"douyin:{tag}", dedupe_key=f"msg:{msg_id}"[:200], raw=raw,
                                     fields={"tag": tag, "msg_id": msg_id[:64]}))
        return incoming

    def to_ledger(self, event):
        message = json_exact(event.raw)
        tag = message.get("tag", "")
        if tag == TEST_TAG:
            raise TestPush
        if tag in ORDER_TAGS:
            status, field = ORDER_TAGS[tag]
            return [_order(_data(message), status, field)]
        if tag in REFUND_TAGS:
            return _aftersale_items(_data(message), tag)
        raise UnknownEvent(f"douyin tag {tag}")



# --- order details from the open API (order.orderDetail), fetched through the outbox ---------------------------------

# shop_order_detail.order_status -> the ledger's status (抖店's order status list; 101 partly shipped counts as
# shipped, 103 partly paid as pending; 21/22/39 are orders closed by a full refund).
DETAIL_STATUS = {
    "1": "pending", "103": "pending", "105": "paid", "2": "paid", "101": "shipped", "3": "shipped",
    "5": "completed", "4": "cancelled", "21": "closed", "22": "closed", "39": "closed",
}


def _fen_or_zero(data, name):
    value = data.get(name)
    return _fen(value, f"shop_order_detail.{name}") if value not in (None, "") else money("0")


def _name(value):
    return str(value.get("name") or "") if isinstance(value, dict) else str(value or "")


def detail_to_ledger(answer):
    """The ledger item of an order.orderDetail answer's `data`: the full order (amounts, lines, address, the buyer's
    doudian_open_id); PayloadError (bad_field) when it cannot be read."""
    detail = answer.get("shop_order_detail") if isinstance(answer, dict) else None
    if not isinstance(detail, dict):
        raise bad_field("data.shop_order_detail", "missing")
    status = DETAIL_STATUS.get(str(detail.get("order_status")))
    if status is None:
        raise bad_field("shop_order_detail.order_status", "unknown_status",
                        value=repr(detail.get("order_status")))
    updated_at = time_of(detail.get("update_time"), "shop_order_detail.update_time", required=True)
    items = [item for item in detail.get("sku_order_list") or [] if isinstance(item, dict)]
    lines = []
    for n, item in enumerate(items):
        quantity_ = quantity(item.get("item_num") or "1", f"sku_order_list[{n}].item_num")
        amount = _fen_or_zero(item, "origin_amount")
        lines.append(LineSnapshot(
            sku=text(item.get("code") or item.get("sku_id"), f"sku_order_list[{n}].code", max_length=100,
                     required=False),
            name=text(item.get("product_name"), f"sku_order_list[{n}].product_name", max_length=255),
            quantity=quantity_, unit_price=money(amount / quantity_, name=f"sku_order_list[{n}].unit_price"),
            amount=amount))
    post = _fen_or_zero(detail, "post_amount")
    goods = sum((line.amount for line in lines), money("0")) if lines else (
        _fen_or_zero(detail, "order_amount") - post)
    address = detail.get("post_addr") if isinstance(detail.get("post_addr"), dict) else {}
    closed = status in ("cancelled", "closed")
    snapshot = OrderSnapshot(
        number=text(detail.get("order_id"), "shop_order_detail.order_id", max_length=64), status=status,
        version=version_of(updated_at), updated_at=updated_at, currency="CNY", goods_amount=goods,
        discount_amount=_fen_or_zero(detail, "promotion_amount"), shipping_amount=post,
        paid_amount=_fen_or_zero(detail, "pay_amount"),
        placed_at=time_of(detail.get("create_time"), "shop_order_detail.create_time"),
        paid_at=time_of(detail.get("pay_time"), "shop_order_detail.pay_time") if status != "pending" else None,
        shipped_at=time_of(detail.get("ship_time"), "shop_order_detail.ship_time"),
        completed_at=time_of(detail.get("finish_time"), "shop_order_detail.finish_time")
        if status == "completed" else None,
        cancelled_at=updated_at if closed else None, lines=tuple(lines), raw=detail,
        shipping_address={"province": _name(address.get("province")), "city": _name(address.get("city")),
                          "district": _name(address.get("town")), "street": _name(address.get("street"))},
    )
    buyer = text(detail.get("doudian_open_id"), "shop_order_detail.doudian_open_id", max_length=128,
                 required=False)
    return LedgerItem(snapshot=snapshot, buyer={"id": buyer} if buyer else {})
