"""The signed feed of an organization's own shop system (docs/shop-feed.md is its public description).

A POST of JSON: one event, or {"events": [...]} with up to MAX_EVENTS. `X-Timestamp: <Unix seconds>` and
`X-Signature: sha256=<hex HMAC-SHA256 of X-Timestamp + "." + the raw body, keyed with the account's secret>`. The
signature covers the timestamp, so a captured request cannot be sent again with a fresh one: it is refused once
its timestamp is more than MAX_SKEW off our clock (the replay window), and within the window the event ids make a
replay a no-op. Each event carries the whole order (or refund) as it is now; `updated_at` orders them.
"""

import hashlib
import hmac
import json
import time

from django.http import JsonResponse

from channels_ingest.shops.base import (
    Adapter,
    Ignored,
    Incoming,
    LedgerItem,
    UnknownEvent,
    bad_field,
    json_exact,
    quantity,
    text,
    time_of,
    version_of,
)
from channels_ingest.wire import SignatureError, WireError
from scrm.platform.coded import coded
from settlement.snapshots import (
    AfterSaleSnapshot,
    LineSnapshot,
    OrderSnapshot,
    RefundSnapshot,
    currency_code,
    money,
)

MAX_SKEW = 300  # seconds
MAX_EVENTS = 100
ORDER_STATUSES = ("pending", "paid", "shipped", "completed", "cancelled", "closed")
REFUND_STATUSES = ("requested", "approved", "refused", "refunded", "cancelled")
ORDER_TIMES = ("placed_at", "paid_at", "shipped_at", "completed_at", "cancelled_at")
REFUND_TIMES = ("requested_at", "resolved_at", "refunded_at")
AFTERSALE_KINDS = ("return", "exchange")
AFTERSALE_STATUSES = ("requested", "approved", "refused", "completed", "cancelled")
BAD_REVIEW = 2  # stars: a review of this many or fewer is a complaint
# The object each family of event types carries.
OBJECTS = {"order": "order", "refund": "refund", "aftersale": "aftersale", "review": "review",
           "complaint": "complaint"}


MSG_STALE = ("stale timestamp: X-Timestamp must be the current time in Unix seconds, within %(skew)d seconds of "
             "ours (%(now)d)")
MSG_BAD_SIGNATURE = ('bad signature: X-Signature must be "sha256=" and the hex HMAC-SHA256 of X-Timestamp + "." + '
                     "the raw body, keyed with the store's secret")


def signature_of(secret, body, timestamp):
    """`sha256=<hex>` of HMAC-SHA256(secret, timestamp + "." + body): the timestamp is signed with the body."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _buyer(data):
    buyer = data.get("buyer") or {}
    if not isinstance(buyer, dict):
        raise bad_field("buyer", "not_object")
    return {"id": text(buyer.get("id"), "buyer.id", max_length=128, required=False),
            "mobile": text(buyer.get("mobile"), "buyer.mobile", max_length=32, required=False),
            "name": text(buyer.get("name"), "buyer.name", max_length=100, required=False)}


def _object(event, name):
    data = event.get(name)
    if not isinstance(data, dict):
        raise bad_field(name, "missing_or_not_object")
    return data


def _status(data, name, allowed):
    status = data.get("status")
    if status not in allowed:
        raise bad_field(f"{name}.status", "not_one_of", value=repr(status), allowed=", ".join(allowed))
    return status


def _order(event):
    data = _object(event, "order")
    updated_at = time_of(data.get("updated_at"), "order.updated_at", required=True)
    lines = data.get("lines") or []
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise bad_field("order.lines", "not_list")
    address = data.get("shipping_address") or {}
    if not isinstance(address, dict):
        raise bad_field("order.shipping_address", "not_object")
    fee = data.get("platform_fee")
    snapshot = OrderSnapshot(
        number=text(data.get("number"), "order.number", max_length=64), status=_status(data, "order", ORDER_STATUSES),
        version=version_of(updated_at), updated_at=updated_at, currency=currency_code(data.get("currency") or "CNY"),
        goods_amount=money(data.get("goods_amount", "0"), name="order.goods_amount"),
        discount_amount=money(data.get("discount_amount", "0"), name="order.discount_amount"),
        shipping_amount=money(data.get("shipping_amount", "0"), name="order.shipping_amount"),
        paid_amount=money(data.get("paid_amount", "0"), name="order.paid_amount"),
        platform_fee=None if fee in (None, "") else money(fee, name="order.platform_fee"),
        lines=tuple(LineSnapshot(
            sku=text(line.get("sku"), f"order.lines[{n}].sku", max_length=100, required=False),
            name=text(line.get("name"), f"order.lines[{n}].name", max_length=255),
            quantity=quantity(line.get("quantity", "1"), f"order.lines[{n}].quantity"),
            unit_price=money(line.get("unit_price", "0"), name=f"order.lines[{n}].unit_price"),
            amount=money(line.get("amount", "0"), name=f"order.lines[{n}].amount"),
        ) for n, line in enumerate(lines)),
        shipping_address={key: str(value)[:255] for key, value in address.items() if isinstance(value, str)},
        raw=event,
        payment_channel=text(data.get("payment_channel"), "order.payment_channel", max_length=32,
                             required=False),
        payment_transaction_id=text(data.get("payment_transaction_id"), "order.payment_transaction_id",
                                    max_length=64, required=False),
        **{name: time_of(data.get(name), f"order.{name}") for name in ORDER_TIMES},
    )
    return LedgerItem(snapshot=snapshot, buyer=_buyer(data))


def _refund(event):
    data = _object(event, "refund")
    updated_at = time_of(data.get("updated_at"), "refund.updated_at", required=True)
    snapshot = RefundSnapshot(
        number=text(data.get("number"), "refund.number", max_length=64),
        order_number=text(data.get("order_number"), "refund.order_number", max_length=64),
        status=_status(data, "refund", REFUND_STATUSES), version=version_of(updated_at),
        amount=money(data.get("amount"), name="refund.amount"), currency=currency_code(data.get("currency") or "CNY"),
        reason=text(data.get("reason"), "refund.reason", max_length=255, required=False), raw=event,
        **{name: time_of(data.get(name), f"refund.{name}") for name in REFUND_TIMES},
    )
    return LedgerItem(snapshot=snapshot, buyer=_buyer(data))


def _aftersale(event):
    data = _object(event, "aftersale")
    updated_at = time_of(data.get("updated_at"), "aftersale.updated_at", required=True)
    kind = data.get("kind")
    if kind not in AFTERSALE_KINDS:
        raise bad_field("aftersale.kind", "not_one_of", value=repr(kind), allowed=", ".join(AFTERSALE_KINDS))
    snapshot = AfterSaleSnapshot(
        kind=kind, number=text(data.get("number"), "aftersale.number", max_length=64),
        order_number=text(data.get("order_number"), "aftersale.order_number", max_length=64),
        status=_status(data, "aftersale", AFTERSALE_STATUSES), version=version_of(updated_at),
        reason=text(data.get("reason"), "aftersale.reason", max_length=255, required=False),
        detail=text(data.get("detail"), "aftersale.detail", max_length=2000, required=False),
        requested_at=time_of(data.get("requested_at"), "aftersale.requested_at"), raw=event)
    return LedgerItem(snapshot=snapshot, buyer=_buyer(data))


def _rating(value):
    if isinstance(value, str) and value.isascii() and value.isdigit() and 1 <= int(value) <= 5:
        return int(value)
    raise bad_field("review.rating", "bad_rating")


def _complaint(event, name):
    """A complaint, or a review: a bad one is a complaint, a good one is acknowledged and ignored."""
    data = _object(event, name)
    updated_at = time_of(data.get("updated_at") or data.get("created_at"), f"{name}.updated_at", required=True)
    rating = _rating(data.get("rating")) if name == "review" else None
    if rating is not None and rating > BAD_REVIEW:
        raise Ignored(coded("channels_ingest.good_review", rating=rating, bad=BAD_REVIEW))
    snapshot = AfterSaleSnapshot(
        kind="complaint", number=text(data.get("number"), f"{name}.number", max_length=64),
        order_number=text(data.get("order_number"), f"{name}.order_number", max_length=64, required=False),
        status="requested", version=version_of(updated_at), rating=rating,
        reason=text(data.get("reason"), f"{name}.reason", max_length=255, required=False),
        detail=text(data.get("content"), f"{name}.content", max_length=2000, required=False),
        requested_at=time_of(data.get("created_at"), f"{name}.created_at") or updated_at, raw=event)
    return LedgerItem(snapshot=snapshot, buyer=_buyer(data))


class GenericAdapter(Adapter):
    kind = "generic"

    def verify(self, account, headers, body):
        stamp, now = headers.get("X-Timestamp", "").strip(), time.time()
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or abs(now - int(stamp)) > MAX_SKEW:
            raise SignatureError(MSG_STALE % {"skew": MAX_SKEW, "now": int(now)})
        given = headers.get("X-Signature", "").strip().lower()
        if not (account.secret and hmac.compare_digest(signature_of(account.secret, body, stamp), given)):
            raise SignatureError(MSG_BAD_SIGNATURE)

    def forbid(self, error):
        """The shop system's developer reads why: a stale timestamp or a bad signature (never what we expected)."""
        return JsonResponse({"ok": False, "error": str(error)}, status=403)

    def split(self, account, headers, body):
        payload = json_exact(body)
        if isinstance(payload, dict) and "events" in payload:
            events, batch = payload["events"], True
            if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
                raise WireError(f"events must be a list of 1 to {MAX_EVENTS} events")
        else:
            events, batch = [payload], False
        incoming = []
        for n, event in enumerate(events):
            where = f"events[{n}]" if batch else "the event"
            if not isinstance(event, dict):
                raise WireError(f"{where} is not a JSON object")
            event_id, kind = event.get("id"), event.get("type")
            if not isinstance(event_id, str) or not 1 <= len(event_id) <= 150:
                raise WireError(f"{where}: id must be a string of 1 to 150 characters")
            if not isinstance(kind, str) or not 1 <= len(kind) <= 60:
                raise WireError(f"{where}: type must be a string of 1 to 60 characters")
            data = next((event[name] for name in OBJECTS if isinstance(event.get(name), dict)), None)
            buyer = (data.get("buyer") if isinstance(data, dict) else None) or {}
            raw = body.decode("utf-8") if not batch else json.dumps(event, ensure_ascii=False)
            incoming.append(Incoming(kind=kind, dedupe_key=f"evt:{event_id}", raw=raw, fields={"id": event_id},
                                     from_user=str(buyer.get("id") or "") if isinstance(buyer, dict) else ""))
        return incoming

    def to_ledger(self, event):
        payload = json_exact(event.raw)
        kind = payload.get("type", "")
        if kind.startswith("order."):
            return [_order(payload)]
        if kind.startswith("refund."):
            return [_refund(payload)]
        if kind.startswith("aftersale."):
            return [_aftersale(payload)]
        if kind.startswith(("review.", "complaint.")):
            return [_complaint(payload, kind.split(".")[0])]
        raise UnknownEvent(kind)

    def ack(self, incoming):
        return JsonResponse({"ok": True, "received": len(incoming)})

    def refuse(self, message):
        return JsonResponse({"ok": False, "error": message}, status=400)
