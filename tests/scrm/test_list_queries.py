"""Customer lists cost the same number of queries at two page sizes: the list page and /api/v1/customers/ (which ran
163 queries for 50 rows when the identities' prefetch loaded fewer fields than the serializer shows)."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from scrm.models import Channel, ChannelIdentity, Customer, CustomerTag, Region, Tag, TagGroup
from tests.queries import assert_same_cost, queries_of

pytestmark = pytest.mark.django_db


def _customers(organization, start, count, owner):
    region = Region.objects.get_or_create(organization=organization, code="EAST", defaults={
        "name": "华东", "path": "/EAST/", "level": Region.Level.AREA})[0]
    group = TagGroup.objects.get_or_create(organization=organization, name="偏好")[0]
    tag = Tag.objects.get_or_create(organization=organization, group=group, name="空调")[0]
    for n in range(start, start + count):
        customer = Customer.objects.create(organization=organization, display_name=f"客户{n}", region=region,
                                           owner=owner, mobile=f"+86138000{n:05d}")
        CustomerTag.objects.create(organization=organization, customer=customer, tag=tag)
        ChannelIdentity.objects.create(organization=organization, customer=customer, channel=Channel.WECHAT_OA,
                                       app_id="wx", external_id=f"o-{n}", union_id=f"u-{n}")
        ChannelIdentity.objects.create(organization=organization, customer=customer, channel=Channel.YOUZAN,
                                       external_id=f"b-{n}")


def test_the_customer_list_page_costs_the_same_at_two_page_sizes(scoped, ops_admin):
    _customers(scoped, 0, 40, ops_admin)
    client = Client()
    client.force_login(ops_admin)
    client.get("/customers/")  # the session is written on the first request
    short, few = queries_of(lambda: client.get("/customers/", {"per_page": 5}))
    long, many = queries_of(lambda: client.get("/customers/", {"per_page": 40}))
    assert short.content.decode().count('name="ids"') == 5 and long.content.decode().count('name="ids"') == 40
    assert_same_cost(few, many, what="/customers/")


def test_the_customers_api_costs_the_same_for_five_rows_and_fifty(scoped, ops_admin):
    api = APIClient()
    api.force_authenticate(ops_admin)
    _customers(scoped, 0, 5, ops_admin)
    api.get("/api/v1/customers/")  # the first request of a user loads its permissions once
    short, few = queries_of(lambda: api.get("/api/v1/customers/"))
    _customers(scoped, 5, 45, ops_admin)
    long, many = queries_of(lambda: api.get("/api/v1/customers/"))
    assert len(short.json()["results"]) == 5 and len(long.json()["results"]) == 50
    assert {i["union_id"] for i in long.json()["results"][0]["identities"]} >= {""}
    assert_same_cost(few, many, what="/api/v1/customers/")
