"""Who reads which orders, and whether amounts show: the one rule of `settlement.selectors` (order_visible_q,
ledger_masks_amounts, ledger_masks_address) on the orders pages, the API and the customer timeline."""

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from scrm.models import Customer, DataScope, MaskedField, Region, Role
from scrm.platform.tenancy import tenant_scope
from scrm.services import agent_profile_upsert, region_create, role_assign, role_save
from settlement.models import Order
from settlement.selectors import AMOUNT_MASK
from settlement.services import order_upsert, store_ensure
from tests.scrm.factories import UserFactory
from tests.settlement.ledger import at, order
from tests.tenancy import api_token, tenant_pair

pytestmark = pytest.mark.django_db

LEDGER = ["settlement.view_order", "settlement.view_refund"]


def _seed(tenant):
    org, m = tenant.organization, tenant.marker
    east = region_create(organization=org, name=f"{m} 华东", code="EAST", level=Region.Level.AREA)
    west = region_create(organization=org, name=f"{m} 西部", code="WEST", level=Region.Level.AREA)
    store = store_ensure(organization=org, channel="youzan", ref="shop", name=f"{m} 有赞店")
    clerk = UserFactory(organization=org, username=f"{org.slug}-clerk")
    agent_profile_upsert(user=clerk, regions=[east])
    orders = {}
    for n, (key, region, owner) in enumerate((("east", east, None), ("west", west, None), ("mine", west, clerk))):
        customer = Customer.objects.create(organization=org, display_name=f"{m} 买家-{key}", region=region,
                                           owner=owner)
        order_upsert(organization=org, store=store, customer=customer,
                     snapshot=order(number=f"{key.upper()}-1", paid_amount=Decimal(f"{101 + n}.00"),
                                    placed_at=at(n), shipping_address={"city": f"{m} 南京", "mobile": "13812345678"}))
        orders[key] = Order.objects.get(external_number=f"{key.upper()}-1")
        Order.objects.filter(pk=orders[key].pk).update(region=region)
    tenant.objects.update(orders=orders, clerk=clerk)


def _give(tenant, *, scope, permissions=LEDGER, masked=(), modules=("settlement", "customers")):
    with tenant_scope(tenant.organization):
        role = role_save(organization=tenant.organization, by=tenant.users[Role.OPS_ADMIN], name="对账员",
                         permissions=permissions, modules=list(modules), data_scope=scope,
                         masked_fields=list(masked))
        role_assign(role=role, user=tenant.objects["clerk"], by=tenant.users[Role.OPS_ADMIN])


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def _seen(user, tenant):
    page = _client(user).get("/settlement/orders/")
    assert page.status_code == 200
    by_page = {row.record.external_number for row in page.context["table"].page.object_list}
    rows = _api(user).get("/api/v1/orders/").json()["results"]
    assert {row["number"] for row in rows} == by_page
    for key, row in tenant.objects["orders"].items():
        expected = 200 if row.external_number in by_page else 404
        assert _client(user).get(f"/settlement/orders/{row.pk}/").status_code == expected, key
    assert tenant.marker in page.content.decode() or not by_page
    return {number.split("-")[0].lower() for number in by_page}


@pytest.mark.parametrize(("scope", "expected"), [
    (DataScope.OWN, {"mine"}),
    (DataScope.REGION, {"east", "mine"}),
    (DataScope.ORGANIZATION, {"east", "west", "mine"}),
])
def test_a_custom_role_reads_the_orders_of_its_data_scope_on_pages_and_api(scope, expected):
    a, b = tenant_pair(_seed)
    _give(a, scope=scope)
    assert _seen(a.objects["clerk"], a) == expected
    assert b.marker not in _api(a.objects["clerk"]).get("/api/v1/orders/").content.decode()


def test_finance_and_ops_read_every_order_and_a_role_without_the_permission_none():
    a, _b = tenant_pair(_seed)
    assert _seen(a.users[Role.FINANCE], a) == {"east", "west", "mine"}
    assert _seen(a.users[Role.OPS_ADMIN], a) == {"east", "west", "mine"}
    _give(a, scope=DataScope.ORGANIZATION, permissions=["scrm.view_customer"])
    clerk = a.objects["clerk"]
    assert _client(clerk).get("/settlement/orders/").status_code == 403
    assert _api(clerk).get("/api/v1/orders/").status_code == 403
    for role in (Role.AGENT, Role.SUPERVISOR, Role.VIEWER):
        assert _api(a.users[role]).get("/api/v1/orders/").status_code == 403


def test_a_role_masking_order_amounts_sees_them_masked_everywhere_and_cannot_filter_by_them():
    a, _b = tenant_pair(_seed)
    _give(a, scope=DataScope.ORGANIZATION, masked=[MaskedField.ORDER_AMOUNT],
          permissions=[*LEDGER, "scrm.view_customer"])
    clerk, mine = a.objects["clerk"], a.objects["orders"]["mine"]
    listing = _client(clerk).get("/settlement/orders/").content.decode()
    assert AMOUNT_MASK in listing and "103.00" not in listing and "101.00" not in listing
    detail = _client(clerk).get(f"/settlement/orders/{mine.pk}/").content.decode()
    assert "103.00" not in detail and "2999.00" not in detail and AMOUNT_MASK in detail
    rows = _api(clerk).get("/api/v1/orders/?amount_min=102").json()["results"]
    assert len(rows) == 3  # the amount filter is not offered: it would tell the amounts
    assert {row["paid_amount"] for row in rows} == {AMOUNT_MASK}
    assert {line["amount"] for row in rows for line in row["lines"]} == {AMOUNT_MASK}
    # The customer's timeline (where agents see orders) masks them too.
    page = _client(clerk).get(f"/customers/{mine.customer_id}/").content.decode()
    assert "MINE-1" in page and "103.00" not in page


def test_finance_sees_amounts_but_never_a_shipping_address_an_agent_sees_orders_on_the_timeline():
    a, _b = tenant_pair(_seed)
    rows = _api(a.users[Role.FINANCE]).get("/api/v1/orders/").json()["results"]
    assert {row["paid_amount"] for row in rows} == {"101.00", "102.00", "103.00"}
    assert {str(row["shipping_address"]) for row in rows} == {AMOUNT_MASK}  # finance masks addresses
    ops_rows = _api(a.users[Role.OPS_ADMIN]).get("/api/v1/orders/").json()["results"]
    assert all(row["shipping_address"]["mobile"] == "13812345678" for row in ops_rows)
    # An agent has no ledger, but reads a visible customer's orders (amounts shown) on the customer page.
    mine = a.objects["orders"]["mine"]
    with tenant_scope(a.organization):
        Customer.objects.filter(pk=mine.customer_id).update(owner=a.users[Role.AGENT])
    page = _client(a.users[Role.AGENT]).get(f"/customers/{mine.customer_id}/").content.decode()
    assert "MINE-1" in page and "103.00" in page
