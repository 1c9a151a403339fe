"""Shop payloads built from the platforms' documented shapes, signed by the documented formulas (computed here,
independently of the adapters), and a sender that posts them."""

import hashlib
import hmac
import json
import time
from urllib.parse import quote

GENERIC_SECRET = "feed-secret-0123456789"
YOUZAN_CLIENT_ID = "6cd25b3f99727975b5"
YOUZAN_SECRET = "f0e1d2c3b4a5968778695a4b3c2d1e0f"


def generic_headers(body, *, secret=GENERIC_SECRET, timestamp=None, signed_timestamp=None):
    """The feed's headers as docs/shop-feed.md says: HMAC-SHA256 of `timestamp + "." + body`. `signed_timestamp`:
    sign another timestamp than the one sent (a replay with a fresh header)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signed = stamp if signed_timestamp is None else str(signed_timestamp)
    signature = hmac.new(secret.encode(), signed.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"HTTP_X_SIGNATURE": f"sha256={signature}", "HTTP_X_TIMESTAMP": stamp}


def generic_order(event_id="evt-1", number="SO1001", status="paid", updated_at="2026-11-11T10:02:00+08:00", **extra):
    order = {
        "number": number, "status": status, "updated_at": updated_at, "currency": "CNY",
        "placed_at": "2026-11-11T10:00:00+08:00", "paid_at": "2026-11-11T10:01:00+08:00",
        "goods_amount": "2999.00", "discount_amount": "100.00", "shipping_amount": "0.00", "paid_amount": "2899.00",
        "buyer": {"id": "u-42", "mobile": "13800138000", "name": "张三"},
        "shipping_address": {"province": "江苏省", "city": "南京市", "address": "中山路 1 号"},
        "lines": [{"sku": "KT-35", "name": "空调 1.5 匹", "quantity": "1", "unit_price": "2999.00",
                   "amount": "2999.00"}],
    }
    order.update(extra)
    return {"id": event_id, "type": "order.updated", "order": order}


def generic_refund(event_id="evt-r1", number="RF1001", order_number="SO1001", status="requested",
                   updated_at="2026-11-12T09:00:00+08:00", **extra):
    refund = {"number": number, "order_number": order_number, "status": status, "updated_at": updated_at,
              "amount": "2899.00", "currency": "CNY", "reason": "尺寸不合适", "requested_at": updated_at}
    refund.update(extra)
    return {"id": event_id, "type": "refund.updated", "refund": refund}


def youzan_trade(*, msg_id="m-1", tid="E20261111100000000001", kind="trade_TradePaid", status="WAIT_SELLER_SEND_GOODS",
                 version=1762826520, update_time="2026-11-11 10:02:00", buyer="yz-open-1", payment="0.02"):
    msg = {"full_order_info": {
        "order_info": {"tid": tid, "status": status, "created": "2026-11-11 10:00:00",
                       "pay_time": "2026-11-11 10:01:00", "update_time": update_time},
        "pay_info": {"total_fee": "0.02", "post_fee": "0.00", "payment": payment},
        "buyer_info": {"yz_open_id": buyer, "buyer_phone": "186****0000", "fans_nickname": "有赞买家"},
        "address_info": {"delivery_province": "浙江省", "delivery_city": "杭州市", "delivery_district": "西湖区",
                         "delivery_address": "文三路 1 号"},
        "orders": [{"oid": "1", "outer_sku_id": "SKU-1", "title": "测试商品", "num": 2, "price": "0.01",
                    "payment": "0.02"}],
    }}
    return {"client_id": YOUZAN_CLIENT_ID, "id": tid, "kdt_id": 63077, "kdt_name": "艾克美有赞店", "mode": 1,
            "msg": quote(json.dumps(msg, ensure_ascii=False)), "sendCount": 0, "status": status, "test": False,
            "type": kind, "version": version, "msg_id": msg_id}


def youzan_refund(*, msg_id="m-r1", tid="E20261111100000000001", kind="trade_refund_BuyerCreated",
                  refund_id="201711111000001", version=1762900000, fee="0.02"):
    msg = {"refund_id": refund_id, "tid": tid, "refunded_fee": fee, "refund_reason": "不想要了",
           "update_time": "2026-11-12 06:26:40"}
    return {"client_id": YOUZAN_CLIENT_ID, "id": tid, "kdt_id": 63077, "mode": 1,
            "msg": quote(json.dumps(msg, ensure_ascii=False)), "sendCount": 0, "test": False, "type": kind,
            "version": version, "msg_id": msg_id}


def youzan_headers(body, *, secret=YOUZAN_SECRET, kind="trade_TradePaid"):
    sign = hashlib.md5(YOUZAN_CLIENT_ID.encode() + body + secret.encode()).hexdigest()  # noqa: S324 - Youzan's
    return {"HTTP_EVENT_SIGN": sign, "HTTP_EVENT_TYPE": kind}


def body_of(payload):
    return payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()


class ShopSender:
    def __init__(self, client, path, sign):
        self.client, self.path, self.sign = client, path, sign

    def post(self, payload, **sign_kwargs):
        body = body_of(payload)
        return self.client.generic("POST", self.path, body, content_type="application/json",
                                   **self.sign(body, **sign_kwargs))


SHOPIFY_DOMAIN = "acme-store.myshopify.com"
SHOPIFY_SECRET = "shpss_0123456789abcdef"
WOO_SECRET = "woo-webhook-secret"


def _hmac_base64(secret, body):
    import base64

    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(body, *, secret=SHOPIFY_SECRET, topic="orders/updated", webhook_id="b54557e4-0001",
                    domain=SHOPIFY_DOMAIN):
    headers = {"HTTP_X_SHOPIFY_HMAC_SHA256": _hmac_base64(secret, body), "HTTP_X_SHOPIFY_TOPIC": topic,
               "HTTP_X_SHOPIFY_SHOP_DOMAIN": domain, "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id,
               "HTTP_X_SHOPIFY_API_VERSION": "2025-10"}
    return {name: value for name, value in headers.items() if value is not None}


def shopify_order(*, order_id=820982911946154508, financial="paid", fulfillment=None,
                  updated="2026-11-11T10:02:00-05:00", cancelled_at=None):
    return {
        "id": order_id, "name": "#1001", "order_number": 1001, "currency": "USD",
        "created_at": "2026-11-11T10:00:00-05:00",
        "updated_at": updated, "processed_at": "2026-11-11T10:01:00-05:00", "cancelled_at": cancelled_at,
        "closed_at": None, "financial_status": financial, "fulfillment_status": fulfillment,
        "total_price": "199.00", "subtotal_price": "189.00", "total_line_items_price": "199.00",
        "total_discounts": "10.00",
        "total_shipping_price_set": {"shop_money": {"amount": "0.00", "currency_code": "USD"}},
        "customer": {"id": 115310627314723954, "email": "bob@example.com", "phone": "+16135551111",
                     "first_name": "Bob", "last_name": "Norman"},
        "shipping_address": {"address1": "123 Amoebobacterial Lane", "city": "Ottawa", "province": "Ontario",
                             "country": "Canada", "zip": "K2P 0V6"},
        "line_items": [{"id": 866550311766439020, "sku": "IPOD-342-N", "name": "IPod Nano - 8GB", "title": "IPod Nano",
                        "quantity": 1, "price": "199.00"}],
    }


def shopify_refund(*, order_id=820982911946154508, refund_id=509562969):
    return {"id": refund_id, "order_id": order_id, "created_at": "2026-11-12T09:00:00-05:00",
            "processed_at": "2026-11-12T09:00:00-05:00", "note": "wrong size",
            "transactions": [{"id": 389404469, "kind": "refund", "status": "success", "amount": "41.94",
                              "currency": "USD"}]}


def woo_headers(body, *, secret=WOO_SECRET, topic="order.updated"):
    return {"HTTP_X_WC_WEBHOOK_SIGNATURE": _hmac_base64(secret, body), "HTTP_X_WC_WEBHOOK_TOPIC": topic,
            "HTTP_X_WC_WEBHOOK_RESOURCE": "order", "HTTP_X_WC_WEBHOOK_EVENT": topic.split(".")[-1],
            "HTTP_X_WC_WEBHOOK_ID": "12", "HTTP_X_WC_WEBHOOK_DELIVERY_ID": "9f0a"}


def woo_order(*, order_id=727, status="processing", modified="2026-11-11T02:02:00", refunds=()):
    return {
        "id": order_id, "number": str(order_id), "status": status, "currency": "CNY",
        "date_created_gmt": "2026-11-11T02:00:00", "date_modified_gmt": modified,
        "date_paid_gmt": "2026-11-11T02:01:00",
        "date_completed_gmt": None, "discount_total": "5.00", "shipping_total": "10.00", "total": "43.00",
        "customer_id": 26, "billing": {"first_name": "李", "last_name": "雷", "email": "lilei@example.com",
                                       "phone": "13900139000"},
        "shipping": {"state": "上海市", "city": "上海市", "address_1": "南京西路 1 号", "country": "CN"},
        "line_items": [{"id": 315, "name": "Woo Single #1", "sku": "", "quantity": 2, "price": 19,
                        "subtotal": "38.00", "total": "33.00"}],
        "refunds": [{"id": refund_id, "reason": reason, "total": total} for refund_id, reason, total in refunds],
    }


DOUYIN_APP_KEY = "7012345678901234567"
DOUYIN_SECRET = "dd-app-secret-0a1b2c3d4e5f"
DOUYIN_ORDER = "4781320682406083640"  # above 2^53, as Douyin's order ids are


def douyin_message(tag, data, *, msg_id=None):
    """One message of a push: `data` is the message as a JSON string, its ids written as bare numbers."""
    return {"tag": tag, "msg_id": msg_id or f"{tag}-{data.get('p_id', 0)}-{data.get('update_time', 0)}",
            "data": json.dumps(data)}


def douyin_order(tag="101", *, p_id=DOUYIN_ORDER, status=2, seconds=1762826520, **extra):
    """A trade message as Douyin pushes it: ids, status and the step's time (Unix seconds), no amounts or lines."""
    time_field = {"100": "create_time", "101": "pay_time", "103": "complete_time", "106": "cancel_time"}.get(
        tag, "update_time")
    data = {"p_id": int(p_id), "s_ids": [int(p_id) + 1], "shop_id": 77001, "order_status": status,
            "order_type": 0, "biz": 2, time_field: seconds, "update_time": seconds}
    data.update(extra)
    return douyin_message(tag, data)


def douyin_aftersale(tag="200", *, aftersale_id=7011223344556677889, p_id=DOUYIN_ORDER, seconds=1762900000,
                     refund_amount=2899, **extra):
    data = {"aftersale_id": aftersale_id, "p_id": int(p_id), "s_id": int(p_id) + 1, "shop_id": 77001,
            "aftersale_type": 1, "aftersale_status": 6, "refund_amount": refund_amount, "apply_time": 1762900000,
            "update_time": seconds, "reason_code": 3}
    data.update(extra)
    return douyin_message(tag, data)


def douyin_headers(body, *, secret=DOUYIN_SECRET, app_key=DOUYIN_APP_KEY, variant="md5"):
    signed = app_key.encode() + body + secret.encode()
    if variant == "md5":
        sign = hashlib.md5(signed).hexdigest()  # noqa: S324 - Douyin's formula
    else:
        sign = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return {"HTTP_APP_ID": app_key, "HTTP_EVENT_SIGN": sign}
