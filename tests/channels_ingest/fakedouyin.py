"""A local fake of the Douyin shop (抖店) open API (the fake WeChat server's machinery, Douyin's paths and answers):
token.create and order.orderDetail. Tests script its answers and read what it was sent."""

import hashlib
import json

from tests.channels_ingest.fakeapi import FakeWeChat

TOKEN = "DY-FAKE-TOKEN"  # noqa: S105 - the fake's


def order_detail_answer(order_id, *, status=2, update_time=1762826600, pay_amount=289900, buyer="dy-open-1"):
    """order.orderDetail's answer as the 抖店 documentation shapes it: amounts in fen, ids as bare numbers."""
    detail = {
        "order_id": order_id, "order_status": status, "order_status_desc": "备货中", "shop_id": 77001,
        "order_amount": 299900, "pay_amount": pay_amount, "post_amount": 0, "promotion_amount": 10000,
        "create_time": 1762826400, "pay_time": 1762826520, "update_time": update_time, "finish_time": 0,
        "ship_time": 0, "doudian_open_id": buyer, "encrypt_post_tel": "#ENC#",
        "post_addr": {"province": {"name": "江苏省", "id": "32"}, "city": {"name": "南京市", "id": "3201"},
                      "town": {"name": "玄武区"}, "street": {"name": "梅园新村街道"}, "encrypt_detail": "#ENC#"},
        "sku_order_list": [{"order_id": order_id + 1, "product_name": "空调 1.5 匹", "code": "KT-35",
                            "item_num": 1, "origin_amount": 299900, "pay_amount": pay_amount}],
    }
    return {"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "2026111110",
            "data": {"shop_order_detail": detail}}


class FakeDouyin(FakeWeChat):
    @property
    def base(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _next(self, path):
        with self.lock:
            queue = self.answers.get(path)
            if queue:
                return queue.pop(0) if len(queue) > 1 else queue[0]
        if path == "/token/create":
            return 200, {"code": 10000, "msg": "success",
                         "data": {"access_token": TOKEN, "expires_in": 604800, "shop_id": 77001}}, None
        return 200, {"code": 40004, "msg": "unknown method"}, None

    def body_json(self, call):
        return json.loads(call[2])


def expected_sign(app_key, secret, query, body):
    raw = (f"{secret}app_key{app_key}method{query['method']}param_json{body.decode()}"
           f"timestamp{query['timestamp']}v2{secret}")
    return hashlib.md5(raw.encode()).hexdigest()  # noqa: S324 - Douyin's formula
