"""WooCommerce webhooks (the REST API v3 resource as JSON).

`X-WC-Webhook-Signature` = base64(HMAC-SHA256(secret, raw body)); the topic (order.created, order.updated, ...) in
`X-WC-Webhook-Topic`. The delivery id is new for every delivery, so an event is deduplicated on (topic, resource id,
date_modified_gmt). WooCommerce retries nothing and disables a webhook after repeated failures, so only a bad
signature is refused. When a webhook is saved, WooCommerce posts an unsigned `webhook_id=<n>` form (its ping): it
is answered 200 and stored nowhere.

An order carries its refunds (id, reason, total as a negative amount): each becomes a refund of the ledger.
"""

import re

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
from channels_ingest.wire import WireError
from settlement.snapshots import LineSnapshot, OrderSnapshot, RefundSnapshot, currency_code, money

ORDER_STATUS = {
    "pending": "pending", "on-hold": "pending", "failed": "pending", "checkout-draft": "pending",
    "processing": "paid", "completed": "completed", "cancelled": "cancelled", "refunded": "closed",
    "trash": "closed",
}
_PING = re.compile(rb"^webhook_id=\d{1,20}$")


def _gmt(value, name):
    """WooCommerce's *_gmt times carry no offset: they are UTC."""
    if isinstance(value, str) and value and not value.endswith(("Z", "z")) and "+" not in value[10:]:
        value += "+00:00"
    return time_of(value, name)


def _order(data):
    updated_at = _gmt(data.get("date_modified_gmt"), "date_modified_gmt")
    if updated_at is None:
        updated_at = time_of(data.get("date_modified"), "date_modified", required=True)
    status = ORDER_STATUS.get(data.get("status"))
    if status is None:
        raise UnknownEvent(f"order status {data.get('status')!r}")
    total, shipping = money(data.get("total") or "0", name="total"), money(data.get("shipping_total") or "0",
                                                                           name="shipping_total")
    discount = money(data.get("discount_total") or "0", name="discount_total")
    items = data.get("line_items") or []
    lines = tuple(LineSnapshot(
        sku=text(item.get("sku"), f"line_items[{n}].sku", max_length=100, required=False),
        name=text(item.get("name"), f"line_items[{n}].name", max_length=255),
        quantity=quantity(item.get("quantity", "1"), f"line_items[{n}].quantity"),
        unit_price=money(item.get("price") or "0", name=f"line_items[{n}].price"),
        amount=money(item.get("total") or "0", name=f"line_items[{n}].total"),
    ) for n, item in enumerate(items))
    billing, shipping_to = data.get("billing") or {}, data.get("shipping") or {}
    number = text(data.get("id"), "id", max_length=64)
    customer_id = str(data.get("customer_id") or "")
    buyer = {"id": f"customer:{customer_id}" if customer_id not in ("", "0") else
             (f"email:{billing.get('email')}" if billing.get("email") else ""),
             "mobile": str(billing.get("phone") or "")[:32],
             "name": " ".join(filter(None, [str(billing.get("first_name") or ""),
                                            str(billing.get("last_name") or "")]))[:100]}
    order = LedgerItem(buyer=buyer, snapshot=OrderSnapshot(
        number=number, status=status, version=version_of(updated_at), updated_at=updated_at,
        currency=currency_code(data.get("currency") or "USD"),
        goods_amount=sum((money(item.get("subtotal") or "0", name=f"line_items[{n}].subtotal")
                          for n, item in enumerate(items)), money("0")), discount_amount=discount,
        shipping_amount=shipping, paid_amount=total,
        placed_at=_gmt(data.get("date_created_gmt"), "date_created_gmt"),
        paid_at=_gmt(data.get("date_paid_gmt"), "date_paid_gmt"),
        completed_at=_gmt(data.get("date_completed_gmt"), "date_completed_gmt"), lines=lines, raw=data,
        # The order resource's `transaction_id` (the payment gateway's "unique transaction ID"). Its
        # `payment_method` is the gateway plugin's own id, not one of our payment channel codes: not mapped.
        payment_transaction_id=text(data.get("transaction_id"), "transaction_id", max_length=64, required=False),
        shipping_address={"province": str(shipping_to.get("state") or ""), "city": str(shipping_to.get("city") or ""),
                          "country": str(shipping_to.get("country") or ""),
                          "address": str(shipping_to.get("address_1") or "")},
    ))
    refunds = [LedgerItem(snapshot=RefundSnapshot(
        number=text(item.get("id"), f"refunds[{n}].id", max_length=64), order_number=number, status="refunded",
        version=version_of(updated_at), amount=abs(money(item.get("total") or "0", name=f"refunds[{n}].total")),
        currency=order.snapshot.currency, reason=str(item.get("reason") or "")[:255], raw=item,
    )) for n, item in enumerate(data.get("refunds") or []) if isinstance(item, dict)]
    return [order, *refunds]


class WooCommerceAdapter(Adapter):
    kind = "woocommerce"

    def handshake(self, account, headers, body):
        if not headers.get("X-WC-Webhook-Signature") and _PING.match(body.strip()):
            return JsonResponse({"ok": True})
        return None

    def verify(self, account, headers, body):
        base64_hmac_check(account, body, headers, "X-WC-Webhook-Signature")

    def split(self, account, headers, body):
        payload = json_exact(body)
        if not isinstance(payload, dict):
            raise WireError("not a WooCommerce resource (a JSON object)")
        topic = headers.get("X-WC-Webhook-Topic", "")[:50]
        modified = payload.get("date_modified_gmt") or payload.get("date_modified") or ""
        key = f"{topic}:{payload.get('id')}:{modified}"
        return [Incoming(kind=f"woocommerce:{topic}", dedupe_key=key[:200], raw=body.decode("utf-8"),
                         fields={"topic": topic}, from_user=str(payload.get("customer_id") or "")[:128])]

    def to_ledger(self, event):
        topic = event.fields.get("topic", "")
        if topic in ("order.created", "order.updated", "order.restored"):
            return _order(json_exact(event.raw))
        raise UnknownEvent(topic or "?")

    def ack(self, incoming):
        return JsonResponse({"ok": True})
