"""Shopify webhooks (the REST resource as JSON).

`X-Shopify-Hmac-SHA256` = base64(HMAC-SHA256(app client secret, raw body)); the topic (orders/create,
orders/updated, orders/paid, orders/fulfilled, orders/cancelled, refunds/create) in `X-Shopify-Topic`, the shop in
`X-Shopify-Shop-Domain`, the delivery's id in `X-Shopify-Webhook-Id` (the same for every retry: the dedupe key).
Any 2xx within 5 seconds is an acknowledgement; Shopify retries 8 times over 4 hours with the original payload.

Returns (topics returns/request, returns/approve, returns/decline, returns/cancel, returns/close): the Return
resource {"id", "name", "status", "order": {"id"}, "return_line_items": [{"return_reason", "customer_note", ...}],
"exchange_line_items": [...]}; a return with exchange lines is an exchange. Each opens its own routed ticket; the
buyer is the order's. The resource carries no update time: the topic's stage orders the reports (a later stage
wins, so replays in any order end the same). Shopify has no review webhook.
"""

from decimal import Decimal

from django.http import JsonResponse

from channels_ingest.shops.base import (
    Adapter,
    Incoming,
    LedgerItem,
    UnknownEvent,
    base64_hmac_check,
    json_exact,
    quantity,
    text,
    time_of,
    version_of,
)
from channels_ingest.wire import SignatureError, WireError
from settlement.snapshots import (
    AfterSaleSnapshot,
    LineSnapshot,
    OrderSnapshot,
    RefundSnapshot,
    currency_code,
    money,
)

ORDER_TOPICS = {"orders/create", "orders/updated", "orders/paid", "orders/fulfilled", "orders/partially_fulfilled",
                "orders/cancelled", "orders/edited"}
REFUND_TOPICS = {"refunds/create"}
RETURN_TOPICS = {"returns/request": "requested", "returns/approve": "approved", "returns/decline": "refused",
                 "returns/cancel": "cancelled", "returns/close": "completed"}
_PAID = {"paid", "partially_paid", "partially_refunded"}


def _status(data):
    if data.get("cancelled_at"):
        return "cancelled"
    financial, fulfilment = data.get("financial_status"), data.get("fulfillment_status")
    if financial in ("refunded", "voided"):
        return "closed"
    if fulfilment == "fulfilled":
        return "completed" if data.get("closed_at") else "shipped"
    if financial in _PAID:
        return "paid"
    return "pending"


def _shipping(data):
    shipping = data.get("total_shipping_price_set") or {}
    amount = ((shipping.get("shop_money") or {}).get("amount")) if isinstance(shipping, dict) else None
    return money(amount or "0", name="total_shipping_price_set")


def _buyer(data):
    customer = data.get("customer") or {}
    if not isinstance(customer, dict):
        return {}
    name = " ".join(filter(None, [str(customer.get("first_name") or ""), str(customer.get("last_name") or "")]))
    return {"id": str(customer.get("id") or "")[:128], "mobile": str(customer.get("phone") or "")[:32],
            "name": name[:100]}


def _order(data):
    updated_at = time_of(data.get("updated_at"), "updated_at", required=True)
    address = data.get("shipping_address") or {}
    status = _status(data)
    lines = tuple(LineSnapshot(
        sku=text(item.get("sku"), f"line_items[{n}].sku", max_length=100, required=False),
        name=text(item.get("name") or item.get("title"), f"line_items[{n}].name", max_length=255),
        quantity=quantity(item.get("quantity", "1"), f"line_items[{n}].quantity"),
        unit_price=money(item.get("price", "0"), name=f"line_items[{n}].price"),
        amount=money(money(item.get("price", "0"), name=f"line_items[{n}].price")
                     * Decimal(str(item.get("quantity", "1"))), name=f"line_items[{n}].amount"),
    ) for n, item in enumerate(data.get("line_items") or []))
    snapshot = OrderSnapshot(
        number=text(data.get("id"), "id", max_length=64), status=status, version=version_of(updated_at),
        updated_at=updated_at, currency=currency_code(data.get("currency") or "USD"),
        goods_amount=money(data.get("total_line_items_price") or data.get("subtotal_price") or "0",
                           name="total_line_items_price"),
        discount_amount=money(data.get("total_discounts") or "0", name="total_discounts"),
        shipping_amount=_shipping(data), paid_amount=money(data.get("total_price") or "0", name="total_price"),
        placed_at=time_of(data.get("created_at"), "created_at"),
        paid_at=time_of(data.get("processed_at"), "processed_at") if status != "pending" else None,
        completed_at=time_of(data.get("closed_at"), "closed_at") if status == "completed" else None,
        cancelled_at=time_of(data.get("cancelled_at"), "cancelled_at"), lines=lines, raw=data,
        shipping_address={"province": str(address.get("province") or ""), "city": str(address.get("city") or ""),
                          "country": str(address.get("country") or ""),
                          "address": str(address.get("address1") or "")} if isinstance(address, dict) else {},
    )
    return LedgerItem(snapshot=snapshot, buyer=_buyer(data))


def _refund(data):
    created = time_of(data.get("processed_at") or data.get("created_at"), "created_at", required=True)
    transactions = [t for t in data.get("transactions") or []
                    if isinstance(t, dict) and t.get("kind") == "refund" and t.get("status") == "success"]
    amount = sum((money(t.get("amount"), name="transactions.amount") for t in transactions), Decimal("0.00"))
    currency = next((t.get("currency") for t in transactions if t.get("currency")), None) or "USD"
    snapshot = RefundSnapshot(
        number=text(data.get("id"), "id", max_length=64), order_number=text(data.get("order_id"), "order_id",
                                                                           max_length=64),
        status="refunded", version=version_of(created), amount=amount, currency=currency_code(currency),
        reason=str(data.get("note") or "")[:255], requested_at=created, refunded_at=created, raw=data)
    return LedgerItem(snapshot=snapshot)


def _return(data, status):
    order = data.get("order") or {}
    items = [item for item in data.get("return_line_items") or [] if isinstance(item, dict)]
    reasons = [str(item.get("return_reason") or "") for item in items]
    notes = [str(item.get("customer_note") or item.get("return_reason_note") or "") for item in items]
    snapshot = AfterSaleSnapshot(
        kind="exchange" if data.get("exchange_line_items") else "return",
        number=text(data.get("id"), "id", max_length=64),
        order_number=text(order.get("id") if isinstance(order, dict) else None, "order.id", max_length=64),
        status=status, version=0, reason=", ".join(filter(None, reasons))[:255],
        detail="\n".join(filter(None, notes))[:2000], raw=data)
    return LedgerItem(snapshot=snapshot)


def shop_domain(value):
    """A shop domain as Shopify sends it (`acme-store.myshopify.com`): lower case, without a scheme or a trailing
    slash an operator may have pasted with it."""
    value = value.strip().lower()
    for scheme in ("https://", "http://"):
        value = value.removeprefix(scheme)
    return value.rstrip("/")


class ShopifyAdapter(Adapter):
    kind = "shopify"

    def verify(self, account, headers, body):
        """The HMAC, then the shop: one app's client secret signs the webhooks of every shop that installed it, so a
        signed call naming another shop than the account's (its app id, the shop domain) is refused as unsigned.
        An account with no shop domain set accepts any shop its secret signs for."""
        base64_hmac_check(account, body, headers, "X-Shopify-Hmac-SHA256")
        expected = shop_domain(account.app_id)
        if expected and shop_domain(headers.get("X-Shopify-Shop-Domain", "")) != expected:
            raise SignatureError("X-Shopify-Shop-Domain is not the account's shop")

    def split(self, account, headers, body):
        payload = json_exact(body)
        if not isinstance(payload, dict):
            raise WireError("not a Shopify resource (a JSON object)")
        topic = headers.get("X-Shopify-Topic", "")[:50]
        webhook_id = headers.get("X-Shopify-Webhook-Id", "")
        key = (f"wh:{webhook_id}" if webhook_id else f"{topic}:{payload.get('id')}:{payload.get('updated_at')}")
        return [Incoming(kind=f"shopify:{topic}", dedupe_key=key[:200], raw=body.decode("utf-8"),
                         fields={"topic": topic, "shop": headers.get("X-Shopify-Shop-Domain", "")[:100]},
                         from_user=str((payload.get("customer") or {}).get("id") or "")
                         if isinstance(payload.get("customer"), dict) else "")]

    def to_ledger(self, event):
        topic = event.fields.get("topic", "")
        if topic in ORDER_TOPICS:
            return [_order(json_exact(event.raw))]
        if topic in REFUND_TOPICS:
            return [_refund(json_exact(event.raw))]
        if topic in RETURN_TOPICS:
            return [_return(json_exact(event.raw), RETURN_TOPICS[topic])]
        raise UnknownEvent(topic or "?")

    def ack(self, incoming):
        return JsonResponse({"ok": True})



