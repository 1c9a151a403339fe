"""Text PostgreSQL cannot store, escaped in a correctly signed JSON body: a NUL (`\\u0000`) or half of a surrogate
pair (an in-house shop written in JavaScript that cut a nickname in the middle of an emoji). The callback is
acknowledged, stored once and applied, each such character read as U+FFFD; it used to answer 500 (the platform
pushed it again for ever) or leave the event failing in the worker."""

import json

import pytest

from channels_ingest.models import InboundEvent
from scrm.platform.tenancy import tenant_scope
from settlement.models import Order
from tests.channels_ingest.shops import GENERIC_SECRET, generic_headers, generic_order
from tests.channels_ingest.test_shop_hooks import make_shop

pytestmark = pytest.mark.django_db
HOOK = "/hooks/shop/acme-shop/"


@pytest.fixture
def shop(organization):
    return make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)


def _post(client, payload):
    body = json.dumps(payload).encode()  # ensure_ascii: what JSON.stringify writes for a lone surrogate
    return client.generic("POST", HOOK, body, content_type="application/json", **generic_headers(body))


def test_a_nickname_cut_in_the_middle_of_an_emoji_is_acknowledged_and_lands_in_the_ledger(
        shop, client, organization, django_capture_on_commit_callbacks, eager_tasks):
    payload = generic_order()
    payload["order"]["buyer"]["name"] = "张三\ud83d"  # "张三😀" cut after the emoji's first half
    payload["order"]["shipping_address"]["address"] = "中山路\x001 号"
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, payload)
        again = _post(client, payload)  # the platform's retry

    assert response.status_code == 200 and response.json() == {"ok": True, "received": 1}
    assert again.status_code == 200
    with tenant_scope(organization):
        [event] = InboundEvent.objects.all()
        order = Order.objects.select_related("customer").get(external_number="SO1001")
    assert (event.status, event.last_error) == (InboundEvent.Status.PROCESSED, "")
    assert order.customer.display_name == "张三\ufffd"
    assert order.shipping_address["address"] == "中山路\ufffd1 号"


def test_an_event_id_holding_a_nul_is_acknowledged_and_stored_once(shop, client, organization):
    payload = generic_order(event_id="evt-\u00001")
    responses = [_post(client, payload) for _ in range(2)]

    assert [r.status_code for r in responses] == [200, 200]
    with tenant_scope(organization):
        assert list(InboundEvent.objects.values_list("dedupe_key", flat=True)) == ["evt:evt-\ufffd1"]
