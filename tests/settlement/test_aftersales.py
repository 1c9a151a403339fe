"""Returns, exchanges and complaints in `/api/v1/aftersales/` and on the order's page: read by whoever reads the
ledger (the one rule of settlement.selectors), each with the ticket it opened, one organization only."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from scrm.models import Customer, DataScope, Role
from scrm.platform.tenancy import tenant_scope
from scrm.services import role_assign, role_save
from settlement.models import Order
from settlement.services import aftersale_upsert, order_upsert, store_ensure
from settlement.snapshots import AfterSaleSnapshot
from tests.scrm.factories import UserFactory
from tests.settlement.ledger import at, order
from tests.tenancy import api_token, tenant_pair

pytestmark = pytest.mark.django_db


def _case(kind, number, *, order_number, status="requested", version=20, **kwargs):
    return AfterSaleSnapshot(kind=kind, number=number, order_number=order_number, status=status, version=version,
                             requested_at=at(20), **kwargs)


def _seed(tenant):
    org, m = tenant.organization, tenant.marker
    store = store_ensure(organization=org, channel="youzan", ref="shop", name=f"{m} 有赞店")
    clerk = UserFactory(organization=org, username=f"{org.slug}-clerk")
    mine = Customer.objects.create(organization=org, display_name=f"{m} 买家-mine", owner=clerk)
    other = Customer.objects.create(organization=org, display_name=f"{m} 买家-other")
    for number, customer in (("MINE-1", mine), ("OTHER-1", other)):
        order_upsert(organization=org, store=store, customer=customer, snapshot=order(number=number))
    aftersale_upsert(organization=org, store=store, snapshot=_case("return", "AS-R1", order_number="MINE-1",
                                                                 reason=f"{m} 尺码不合适"))
    aftersale_upsert(organization=org, store=store, snapshot=_case("exchange", "AS-E1", order_number="OTHER-1"))
    aftersale_upsert(organization=org, store=store, snapshot=_case("complaint", "RV-1", order_number="MINE-1",
                                                                 rating=1, detail="噪音太大"))
    tenant.objects.update(clerk=clerk, store=store, mine=Order.objects.get(external_number="MINE-1"))


def _api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def _numbers(response):
    assert response.status_code == 200, response.status_code
    return {row["number"] for row in response.json()["results"]}


def test_finance_and_ops_list_every_case_with_its_ticket_and_never_the_raw_snapshot(django_assert_max_num_queries):
    a, b = tenant_pair(_seed)
    for role in (Role.FINANCE, Role.OPS_ADMIN):
        with django_assert_max_num_queries(12):
            response = _api(a.users[role]).get("/api/v1/aftersales/")
        assert _numbers(response) == {"AS-R1", "AS-E1", "RV-1"}
        assert b.marker not in response.content.decode()
    rows = {row["number"]: row for row in response.json()["results"]}
    assert (rows["RV-1"]["kind"], rows["RV-1"]["rating"], rows["RV-1"]["detail"]) == ("complaint", 1, "噪音太大")
    assert all(row["ticket"] for row in rows.values()) and "raw" not in rows["AS-R1"]
    assert rows["AS-R1"]["order_number"] == "MINE-1" and rows["AS-R1"]["store_name"] == f"{a.marker} 有赞店"


def test_the_cases_filter_by_kind_and_order():
    a, _b = tenant_pair(_seed)
    api = _api(a.users[Role.FINANCE])
    assert _numbers(api.get("/api/v1/aftersales/?kind=return&kind=exchange")) == {"AS-R1", "AS-E1"}
    assert _numbers(api.get("/api/v1/aftersales/?order_number=MINE-1")) == {"AS-R1", "RV-1"}
    assert _numbers(api.get("/api/v1/aftersales/?waiting_for_order=true")) == set()


def test_the_api_is_read_only_and_closed_to_roles_without_the_ledger():
    a, b = tenant_pair(_seed)
    api = _api(a.users[Role.FINANCE])
    assert api.post("/api/v1/aftersales/", {"number": "X"}, format="json").status_code in (403, 405)
    for role in (Role.AGENT, Role.SUPERVISOR, Role.VIEWER):
        assert _api(a.users[role]).get("/api/v1/aftersales/").status_code == 403
    with tenant_scope(b.organization):
        b_case = b.objects["mine"].aftersales.first()
    assert api.get(f"/api/v1/aftersales/{b_case.pk}/").status_code == 404


def test_a_custom_role_reads_the_cases_of_its_data_scope():
    a, _b = tenant_pair(_seed)
    with tenant_scope(a.organization):
        role = role_save(organization=a.organization, by=a.users[Role.OPS_ADMIN], name="售后专员",
                         permissions=["settlement.view_aftersale"], modules=["settlement"],
                         data_scope=DataScope.OWN, masked_fields=[])
        role_assign(role=role, user=a.objects["clerk"], by=a.users[Role.OPS_ADMIN])
    assert _numbers(_api(a.objects["clerk"]).get("/api/v1/aftersales/")) == {"AS-R1", "RV-1"}
    # Without settlement.view_aftersale the ledger's other rows do not open the cases.
    assert _api(a.users[Role.AGENT]).get("/api/v1/aftersales/").status_code == 403


def test_the_orders_page_shows_its_returns_exchanges_and_complaints_with_their_tickets(
        django_assert_max_num_queries):
    a, _b = tenant_pair(_seed)
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    mine = a.objects["mine"]
    with django_assert_max_num_queries(22):
        response = client.get(f"/settlement/orders/{mine.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "AS-R1" in page and "RV-1" in page and "AS-E1" not in page
    assert f"{a.marker} 尺码不合适" in page and "噪音太大" in page
    cases = list(response.context["order"].aftersales.all())
    assert {case.external_number for case in cases} == {"AS-R1", "RV-1"}
    for case in cases:
        assert f'href="/tickets/{case.ticket_id}/"' in page
    assert {case.ticket_id for case in cases} <= {ticket.pk for ticket in response.context["tickets"]}
