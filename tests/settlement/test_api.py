"""`/api/v1/orders/` and `/api/v1/refunds/`: the ledger for finance's tools, filtered, read only, one organization."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from scrm.errors import MSG_REGION_FILTER_OUT_OF_REACH
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import Order
from settlement.services import refund_upsert
from tests.scrm.factories import OrganizationFactory
from tests.settlement.ledger import refund
from tests.settlement.partners import region
from tests.settlement.test_pages import make_orders
from tests.tenancy import api_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(organization, make_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(make_user(organization, Role.FINANCE))}")
    return client


def test_orders_are_listed_with_lines_and_refunds_and_amounts_to_the_fen(api, organization,
                                                                         django_assert_max_num_queries):
    store = make_orders(organization, 3)
    refund_upsert(organization=organization, store=store,
                  snapshot=refund(number="RF1", order_number="NO0001", amount=Decimal("12.30")))
    with django_assert_max_num_queries(12):
        body = api.get("/api/v1/orders/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [row["number"] for row in rows] == ["NO0002", "NO0001", "NO0000"]
    second = rows[1]
    assert (second["paid_amount"], second["status"], second["store_name"]) == ("101.00", "paid", "有赞店")
    assert second["lines"][0]["sku"] == "KT-35"
    assert [(r["number"], r["amount"]) for r in second["refunds"]] == [("RF1", "12.30")]


def test_orders_filter_by_status_and_amount(api, organization):
    make_orders(organization, 3)
    make_orders(organization, 1, store_name="抖店", status="completed", start=10)
    rows = api.get("/api/v1/orders/?status=completed").json()
    assert [row["number"] for row in (rows["results"] if isinstance(rows, dict) else rows)] == ["NO0010"]
    rows = api.get("/api/v1/orders/?amount_min=101&amount_max=102").json()
    assert [row["number"] for row in (rows["results"] if isinstance(rows, dict) else rows)] == ["NO0002", "NO0001"]


@pytest.mark.parametrize("moment", ["0561-12-27T12:43:12.67-18:44", "0001-01-01T00:10:00+14:00",
                                    "2026-12-03T08:00:00+15:59"])
def test_odd_moments_in_the_date_filters_answer_rather_than_fail(api, organization, moment):
    make_orders(organization, 2)
    for name in ("placed_after", "placed_before", "updated_after"):
        response = api.get("/api/v1/orders/", {name: moment})
        assert response.status_code == 200, (name, response.status_code)


def test_refunds_waiting_for_their_order_can_be_listed(api, organization):
    store = make_orders(organization, 1)
    refund_upsert(organization=organization, store=store, snapshot=refund(number="RF-LATE", order_number="NO9999"))
    rows = api.get("/api/v1/refunds/?waiting_for_order=true").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert [(row["number"], row["order"]) for row in rows] == [("RF-LATE", None)]


def test_the_ledger_api_is_read_only_and_closed_to_agents(api, organization, agent):
    assert api.post("/api/v1/orders/", {"number": "X"}, format="json").status_code in (403, 405)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(agent)}")
    assert client.get("/api/v1/orders/").status_code == 403


def test_another_organizations_orders_are_not_listed(api, organization):
    with platform_scope():
        other = OrganizationFactory(slug="other")
    make_orders(other, 2)
    rows = api.get("/api/v1/orders/").json()
    assert (rows["results"] if isinstance(rows, dict) else rows) == []


def test_an_order_region_filter_naming_no_region_of_the_organization_answers_400(api, organization):
    """`?region=<id>` of another organization's region or of none answered an empty list, read as "no orders
    there"; it answers 400 naming the parameter, as the customers API does. A region of the organization filters."""
    make_orders(organization, 2)
    east = region(organization, "EAST", "华东")
    with platform_scope():
        other = OrganizationFactory(slug="other")
    other_region = region(other, "EAST", "华东")
    with tenant_scope(organization):
        Order.objects.filter(external_number="NO0001").update(region=east)
    for value in (other_region.pk, 999999, "east"):
        response = api.get(f"/api/v1/orders/?region={value}", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, value
        assert response.json() == {"region": [str(MSG_REGION_FILTER_OUT_OF_REACH) % {"value": value}]}
    rows = api.get(f"/api/v1/orders/?region={east.pk}").json()
    assert [row["number"] for row in (rows["results"] if isinstance(rows, dict) else rows)] == ["NO0001"]
