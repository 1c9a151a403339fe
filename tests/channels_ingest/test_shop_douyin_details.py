"""A Douyin push carries only ids and a status: the order's details (amounts, lines, address, buyer) are fetched
from the Douyin API through the outbox (kind shop_order_fetch), against a local fake Douyin server."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from channels_ingest.models import ShopOrderFetch
from channels_ingest.services.shop_fetch import KIND, MAX_ATTEMPTS, order_fetch_run
from scrm.platform import outbox
from scrm.platform.tenancy import tenant_scope
from tests.channels_ingest.fakedouyin import TOKEN, expected_sign, order_detail_answer
from tests.channels_ingest.shops import (
    DOUYIN_APP_KEY,
    DOUYIN_ORDER,
    DOUYIN_SECRET,
    ShopSender,
    douyin_headers,
    douyin_order,
)
from tests.channels_ingest.test_shop_hooks import make_shop, orders

pytestmark = pytest.mark.django_db
DETAIL = "/order/orderDetail"


@pytest.fixture
def douyin(client, organization):
    make_shop(organization, "douyin", "acme-dd", DOUYIN_APP_KEY, DOUYIN_SECRET)
    return ShopSender(client, "/hooks/shop/acme-dd/", douyin_headers)


def fetches(organization):
    with tenant_scope(organization):
        return list(ShopOrderFetch.objects.order_by("pk"))


def test_a_paid_push_fetches_the_orders_details_from_the_douyin_api(douyin, deliver, organization, fake_douyin):
    fake_douyin.answer(DETAIL, (200, order_detail_answer(int(DOUYIN_ORDER)), None))
    assert deliver(douyin, [douyin_order("101")]).status_code == 200
    order = orders(organization)[DOUYIN_ORDER]
    assert not order.details_missing and order.status == "paid"
    assert (str(order.paid_amount), str(order.goods_amount), str(order.discount_amount)) == (
        "2899.00", "2999.00", "100.00")
    assert [(line.sku, line.name, str(line.amount)) for line in order.lines.all()] == [
        ("KT-35", "空调 1.5 匹", "2999.00")]
    assert order.shipping_address["city"] == "南京市"
    with tenant_scope(organization):
        assert order.customer.identities.get().external_id == "dy-open-1"
    [fetch] = fetches(organization)
    assert (fetch.status, fetch.order_number, fetch.shop_ref, fetch.attempts) == ("fetched", DOUYIN_ORDER, "77001", 1)
    # Signed as Douyin documents, the token from token.create, the order's id exact.
    [token_call] = fake_douyin.calls_to("/token/create")
    [detail_call] = fake_douyin.calls_to(DETAIL)
    _path, query, body = detail_call
    assert query["access_token"] == TOKEN and query["app_key"] == DOUYIN_APP_KEY and query["v"] == "2"
    assert query["sign"] == expected_sign(DOUYIN_APP_KEY, DOUYIN_SECRET, query, body)
    assert body.decode() == f'{{"shop_order_id":"{DOUYIN_ORDER}"}}'
    assert fake_douyin.body_json(token_call) == {"code": "", "grant_type": "authorization_self", "shop_id": "77001"}


def test_the_token_is_shared_and_one_row_per_order_is_queued_again_by_a_newer_push(douyin, deliver, organization,
                                                                                  fake_douyin):
    fake_douyin.answer(DETAIL, (200, order_detail_answer(int(DOUYIN_ORDER)), None),
                       (200, order_detail_answer(int(DOUYIN_ORDER), status=3, update_time=1762913000), None))
    deliver(douyin, [douyin_order("101")])
    deliver(douyin, [douyin_order("102", seconds=1762912900)])
    deliver(douyin, [douyin_order("101", seconds=1762826550)])  # late and older than the details: nothing to fetch
    [fetch] = fetches(organization)
    assert (fetch.status, fetch.attempts) == ("fetched", 1) and len(fake_douyin.calls_to(DETAIL)) == 2
    assert len(fake_douyin.calls_to("/token/create")) == 1
    assert orders(organization)[DOUYIN_ORDER].status == "shipped"


def _due_now(fetch):
    ShopOrderFetch.objects.filter(pk=fetch.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_an_api_error_is_retried_redacted_and_the_order_waits(douyin, deliver, organization, fake_douyin):
    fake_douyin.answer(DETAIL, (200, {"code": 50002, "msg": f"签名错误 app_secret={DOUYIN_SECRET}"}, None),
                       (200, order_detail_answer(int(DOUYIN_ORDER)), None))
    deliver(douyin, [douyin_order("101")])
    [fetch] = fetches(organization)
    assert fetch.status == "failed" and fetch.next_attempt_at > timezone.now()
    assert "50002" in fetch.last_error and DOUYIN_SECRET not in fetch.last_error
    assert orders(organization)[DOUYIN_ORDER].details_missing
    cache.clear()
    with tenant_scope(organization):
        _due_now(fetch)
    assert order_fetch_run(fetch_id=fetch.pk) == "fetched"
    assert not orders(organization)[DOUYIN_ORDER].details_missing
    assert len(fake_douyin.calls_to("/token/create")) == 2  # the token was dropped with the error


@pytest.mark.parametrize(("path", "sub_code", "sub_msg"), [
    (DETAIL, "isv.app-permissions-insufficient", "应用无权限调用该接口，请先申请接口权限包"),
    ("/token/create", "dop.authorization-closed", "店铺授权已被关闭，请联系商家打开授权开关"),
])
def test_an_authorization_douyin_refuses_is_dead_at_once(douyin, deliver, organization, fake_douyin, path,
                                                         sub_code, sub_msg):
    # 30001 操作权限不足: no retry passes until someone grants it on Douyin's side.
    fake_douyin.answer(path, (200, {"code": 30001, "msg": "操作权限不足", "sub_code": sub_code, "sub_msg": sub_msg},
                              None))
    deliver(douyin, [douyin_order("101")])
    [fetch] = fetches(organization)
    assert (fetch.status, fetch.attempts) == ("dead", 1)
    assert "30001" in fetch.last_error and sub_msg in fetch.last_error
    assert orders(organization)[DOUYIN_ORDER].details_missing


def test_an_expired_access_token_is_still_retried(douyin, deliver, organization, fake_douyin):
    fake_douyin.answer(DETAIL, (200, {"code": 40003, "msg": "非法的参数", "sub_code": "isv.access-token-expired",
                                      "sub_msg": "access_token已过期"}, None),
                       (200, order_detail_answer(int(DOUYIN_ORDER)), None))
    deliver(douyin, [douyin_order("101")])
    [fetch] = fetches(organization)
    assert fetch.status == "failed" and "40003" in fetch.last_error
    with tenant_scope(organization):
        _due_now(fetch)
    assert order_fetch_run(fetch_id=fetch.pk) == "fetched"
    assert not orders(organization)[DOUYIN_ORDER].details_missing


def test_an_answer_that_cannot_be_read_is_dead_at_once(douyin, deliver, organization, fake_douyin):
    answer = order_detail_answer(int(DOUYIN_ORDER), status=999)
    fake_douyin.answer(DETAIL, (200, answer, None))
    deliver(douyin, [douyin_order("101")])
    [fetch] = fetches(organization)
    assert fetch.status == "dead" and "order_status" in fetch.last_error
    assert orders(organization)[DOUYIN_ORDER].details_missing


def test_a_douyin_that_stays_down_makes_the_fetch_dead_after_its_attempts(douyin, deliver, organization,
                                                                          fake_douyin):
    fake_douyin.answer(DETAIL, (502, b"bad gateway", "text/plain"))
    deliver(douyin, [douyin_order("101")])
    [fetch] = fetches(organization)
    for _ in range(MAX_ATTEMPTS - 1):
        with tenant_scope(organization):
            _due_now(fetch)
        order_fetch_run(fetch_id=fetch.pk)
    [fetch] = fetches(organization)
    assert (fetch.status, fetch.attempts) == ("dead", MAX_ATTEMPTS) and "HTTP 502" in fetch.last_error
    assert outbox.kind_of(KIND).attempts_allowed() == MAX_ATTEMPTS
