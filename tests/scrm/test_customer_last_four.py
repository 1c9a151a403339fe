"""Customer 360: an agent finds a customer by the last four digits of their mobile (尾号), through an index; the
customers stored earlier under a raw openid get "微信用户" and its last four characters, once."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from scrm.customers.services import customer_create, customers_rename_raw_ids
from scrm.models import Channel, ChannelIdentity, Customer, Role

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_list_finds_customers_by_the_last_four_digits_of_their_mobile(scoped, make_user):
    agent = make_user(scoped, Role.AGENT)
    one = customer_create(organization=scoped, display_name="张三", mobile="13812345678")
    two = customer_create(organization=scoped, display_name="李四", mobile="13900005678")
    customer_create(organization=scoped, display_name="王五", mobile="13900001234")
    body = _client(agent).get("/customers/", {"q": "5678"}).content.decode()
    assert f"/customers/{one.pk}/" in body and f"/customers/{two.pk}/" in body and "王五" not in body
    # The query the filter runs can use the expression index.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'customer_org_mobile_last4_idx'")
        assert "right" in cursor.fetchone()[0].lower()


def test_customers_named_by_their_raw_openid_are_renamed_once(scoped):
    raw = Customer.objects.create(organization=scoped, display_name="oNBtestUser0001")
    ChannelIdentity.objects.create(organization=scoped, customer=raw, channel=Channel.WECHAT_OA, app_id="wx1",
                                   external_id="oNBtestUser0001")
    named = Customer.objects.create(organization=scoped, display_name="王小明")
    ChannelIdentity.objects.create(organization=scoped, customer=named, channel=Channel.WECHAT_OA, app_id="wx1",
                                   external_id="oNBtestUser0002")
    assert customers_rename_raw_ids(organization=scoped) == 1
    raw.refresh_from_db()
    named.refresh_from_db()
    assert raw.display_name == "微信用户0001" and named.display_name == "王小明"
    call_command("customers_rename_raw_ids", organization=scoped.slug)
    assert customers_rename_raw_ids(organization=scoped) == 0
