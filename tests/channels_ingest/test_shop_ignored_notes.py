"""Why a shop event was ignored (a test push, an unknown event type, a good review) is worded for whoever reads it:
the worker stores a coded note (scrm.platform.coded), not a sentence in its own language."""

import pytest
from django.utils import translation

from channels_ingest.models import InboundEvent
from scrm.platform.tenancy import tenant_scope
from tests.channels_ingest.shops import (
    DOUYIN_APP_KEY,
    DOUYIN_SECRET,
    GENERIC_SECRET,
    ShopSender,
    douyin_headers,
    generic_headers,
)
from tests.channels_ingest.test_shop_aftersales import review
from tests.channels_ingest.test_shop_hooks import make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def generic(client, organization):
    make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    return ShopSender(client, "/hooks/shop/acme-shop/", generic_headers)


@pytest.fixture
def douyin(client, organization):
    make_shop(organization, "douyin", "acme-dd", DOUYIN_APP_KEY, DOUYIN_SECRET)
    return ShopSender(client, "/hooks/shop/acme-dd/", douyin_headers)


def notes(organization):
    with tenant_scope(organization):
        rows = list(InboundEvent.objects.filter(status=InboundEvent.Status.IGNORED).order_by("pk"))
    worded = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            worded[language] = [row.last_error_display for row in rows]
    return worded


def test_the_ignored_notes_are_worded_in_the_readers_language(generic, douyin, deliver, organization):
    with translation.override("en"):  # a worker running in English stores no English sentence
        deliver(douyin, [{"tag": "0", "msg_id": "0", "data": "{}"}])
        deliver(generic, {"id": "evt-9", "type": "customer.created", "customer": {"id": "u-1"}})
        deliver(generic, review(event_id="evt-v2", number="RV2002", rating="5"))
    worded = notes(organization)
    assert worded["en"] == [
        "The platform's test push; nothing to record.",
        "Event type customer.created is not one the orders ledger reads; stored and acknowledged.",
        "A review of 5 stars: only a bad review (2 stars or fewer) opens a ticket.",
    ]
    assert worded["zh-hans"] == [
        "平台的测试推送，无需记录。",
        "事件类型 customer.created 不在订单台账处理范围内；已保存并应答。",
        "5 星评价：只有差评（2 星及以下）才会建工单。",
    ]
