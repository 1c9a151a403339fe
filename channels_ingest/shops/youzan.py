"""Youzan (有赞) push messages.

POST of JSON: {"client_id", "id" (the order number), "kdt_id", "kdt_name", "type" (trade_TradePaid,
trade_refund_SellerAgree, ...), "status", "msg" (the message itself: form-encoded JSON), "version" (newer is larger),
"msg_id", "test", "sendCount", "mode"}. Header `Event-Sign` = md5hex(client_id + raw body + client_secret),
`Event-Type` = the message type. Answer {"code":0,"msg":"success"}, or Youzan pushes it again.

Trade messages carry `full_order_info` {order_info, pay_info, buyer_info, address_info, orders}; refund messages the
refund (refund_id, tid, refunded_fee, refund_reason, update_time, refund_type). `refund_type` REFUND_AND_RETURN (退货
退款) is a return: recorded as a return (its own routed ticket) and as the refund of the same number (the money,
sharing that ticket); REFUND_ONLY or no type is a refund. Youzan's exchange and review messages are not read.
"""

import hashlib
import hmac
from urllib.parse import unquote_plus

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

# Youzan's trade status -> the ledger's.
ORDER_STATUS = {
    "WAIT_BUYER_PAY": "pending", "TRADE_NO_CREATE_PAY": "pending",
    "TRADE_PAID": "paid", "WAIT_CONFIRM": "paid", "WAIT_GROUP": "paid", "WAIT_SELLER_SEND_GOODS": "paid",
    "WAIT_BUYER_CONFIRM_GOODS": "shipped", "TRADE_SUCCESS": "completed",
    "TRADE_CLOSED": "closed", "TRADE_CLOSED_BY_USER": "cancelled",
}
# Refund message type -> the refund's status.
REFUND_STATUS = {
    "trade_refund_BuyerCreated": "requested", "trade_refund_BuyerModified": "requested",
    "trade_refund_SellerAgree": "approved", "trade_refund_SellerRefuse": "refused",
    "trade_refund_BuyerReturnGoods": "approved", "trade_refund_Success": "refunded",
    "trade_refund_BuyerCancel": "cancelled", "trade_refund_Closed": "cancelled",
}


def sign(client_id, body, secret):
    return hashlib.md5(client_id.encode() + body + secret.encode()).hexdigest()  # noqa: S324 - Youzan's formula


def _message(payload):
    msg = payload.get("msg")
    if not isinstance(msg, str) or not msg:
        raise bad_field("msg", "missing")
    # Form-encoded as Java's URLEncoder does it (Youzan's own samples decode with URLDecoder): "+" is a space, a
    # plus sign comes as %2B. A message encoded with %20 for spaces reads the same.
    message = json_exact(unquote_plus(msg))
    if not isinstance(message, dict):
        raise bad_field("msg", "not_json_object")
    return message


def _version(payload, fallback):
    version = payload.get("version")
    if isinstance(version, str) and version.isdigit():
        return int(version)
    return version_of(fallback) if fallback else 0


def _order(payload, message):
    info = message.get("full_order_info")
    if not isinstance(info, dict):
        raise bad_field("msg.full_order_info", "missing")
    order, pay = info.get("order_info") or {}, info.get("pay_info") or {}
    buyer, address = info.get("buyer_info") or {}, info.get("address_info") or {}
    status = ORDER_STATUS.get(order.get("status") or payload.get("status"))
    if status is None:
        raise bad_field("order_info.status", "unknown_status", value=repr(order.get("status")))
    updated_at = time_of(order.get("update_time"), "order_info.update_time")
    total, post = money(pay.get("total_fee", "0"), name="total_fee"), money(pay.get("post_fee", "0"), name="post_fee")
    paid = money(pay.get("payment", "0"), name="payment")
    lines = []
    for n, item in enumerate(info.get("orders") or []):
        lines.append(LineSnapshot(
            sku=text(item.get("outer_sku_id") or item.get("sku_id"), f"orders[{n}].outer_sku_id", max_length=100,
                     required=False),
            name=text(item.get("title"), f"orders[{n}].title", max_length=255),
            quantity=quantity(item.get("num", "1"), f"orders[{n}].num"),
            unit_price=money(item.get("price", "0"), name=f"orders[{n}].price"),
            amount=money(item.get("payment") or item.get("total_fee") or "0", name=f"orders[{n}].payment")))
    closed = time_of(order.get("close_time"), "order_info.close_time") if status in ("closed", "cancelled") else None
    snapshot = OrderSnapshot(
        number=text(order.get("tid") or payload.get("id"), "order_info.tid", max_length=64), status=status,
        version=_version(payload, updated_at), updated_at=updated_at, currency="CNY", goods_amount=total,
        discount_amount=max(total + post - paid, money("0")), shipping_amount=post, paid_amount=paid,
        placed_at=time_of(order.get("created"), "order_info.created"),
        paid_at=time_of(order.get("pay_time"), "order_info.pay_time"),
        shipped_at=time_of(order.get("consign_time"), "order_info.consign_time"),
        completed_at=time_of(order.get("success_time"), "order_info.success_time"),
        cancelled_at=closed, lines=tuple(lines), raw=message,
        shipping_address={"province": str(address.get("delivery_province") or ""),
                          "city": str(address.get("delivery_city") or ""),
                          "district": str(address.get("delivery_district") or ""),
                          "address": str(address.get("delivery_address") or "")},
    )
    return LedgerItem(snapshot=snapshot, buyer=_buyer(buyer))


def _buyer(buyer):
    external = buyer.get("yz_open_id") or buyer.get("buyer_id") or buyer.get("fans_id") or ""
    return {"id": str(external)[:128], "mobile": str(buyer.get("buyer_phone") or "")[:32],
            "name": str(buyer.get("fans_nickname") or "")[:100]}


RETURN_STATUS = {"requested": "requested", "approved": "approved", "refused": "refused", "refunded": "completed",
                 "cancelled": "cancelled"}


def _return(refund):
    """The return a REFUND_AND_RETURN refund also is."""
    snapshot = refund.snapshot
    return LedgerItem(snapshot=AfterSaleSnapshot(
        kind="return", number=snapshot.number, order_number=snapshot.order_number,
        status=RETURN_STATUS[snapshot.status], version=snapshot.version, reason=snapshot.reason,
        requested_at=snapshot.requested_at, raw=snapshot.raw))


def _refund(payload, message, status):
    updated_at = time_of(message.get("update_time"), "update_time")
    snapshot = RefundSnapshot(
        number=text(message.get("refund_id"), "refund_id", max_length=64),
        order_number=text(message.get("tid") or payload.get("id"), "tid", max_length=64), status=status,
        version=_version(payload, updated_at), amount=money(message.get("refunded_fee"), name="refunded_fee"),
        reason=text(message.get("refund_reason"), "refund_reason", max_length=255, required=False),
        requested_at=updated_at if status == "requested" else None,
        resolved_at=updated_at if status in ("approved", "refused") else None,
        refunded_at=updated_at if status == "refunded" else None, raw=message,
    )
    return LedgerItem(snapshot=snapshot, buyer={})


class YouzanAdapter(Adapter):
    kind = "youzan"

    def verify(self, account, headers, body):
        given = headers.get("Event-Sign", "")
        if not (account.secret and hmac.compare_digest(sign(account.app_id, body, account.secret), given.lower())):
            raise SignatureError("bad Event-Sign")

    def split(self, account, headers, body):
        payload = json_exact(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            raise WireError("not a Youzan push message (no type)")
        kind = payload["type"][:56]
        msg_id = payload.get("msg_id")
        if isinstance(msg_id, str) and msg_id:
            key = f"msg:{msg_id}"
        else:
            key = f"{kind}:{payload.get('id') or ''}:{payload.get('version') or ''}"
        return [Incoming(kind=f"youzan:{kind}", dedupe_key=key[:200], raw=body.decode("utf-8"),
                         fields={"type": kind, "id": str(payload.get("id") or "")[:64]})]

    def to_ledger(self, event):
        payload = json_exact(event.raw)
        kind = payload.get("type", "")
        if payload.get("test") in (True, "true"):
            raise TestPush
        if kind.startswith("trade_refund_"):
            status = REFUND_STATUS.get(kind)
            if status is None:
                raise UnknownEvent(kind)
            message = _message(payload)
            refund = _refund(payload, message, status)
            if message.get("refund_type") == "REFUND_AND_RETURN":
                return [_return(refund), refund]
            return [refund]
        if kind.startswith("trade_Trade"):
            return [_order(payload, _message(payload))]
        raise UnknownEvent(kind)
