"""`/api/v1/settlements/` and `/api/v1/service-jobs/`: finance lists, approves and marks statements paid."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from scrm.models import DataScope, Role
from scrm.platform.tenancy import tenant_scope
from scrm.services.roles import role_assign, role_save
from settlement.models import ServiceJob, SettlementStatement
from settlement.partner_services import statement_generate, statement_review
from tests.scrm.factories import UserFactory
from tests.settlement.partners import (
    PERIOD,
    monthly_rule,
    oct_,
    paid_order,
    partner_with_store,
    region,
    second_finance,
)
from tests.tenancy import api_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


def client_of(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def statement(organization):
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east)
    paid_order(organization, store, "A1", "100.00", paid_at=oct_(3))
    return statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])[0]


def test_finance_lists_approves_and_marks_a_statement_paid(finance, statement):
    api = client_of(finance)
    body = api.get("/api/v1/settlements/", {"status": "draft"}).json()
    [row] = body["results"] if "results" in body else body
    assert (row["partner"], row["payable"], row["lines"][0]["kind"]) == ("P1", "95.00", "sales")
    refused = api.post(f"/api/v1/settlements/{statement.pk}/approve/")
    assert refused.status_code == 400 and "draft" in refused.json()["detail"].lower() or refused.status_code == 400
    statement_review(statement=statement, actor=second_finance(statement.organization))  # another approves
    assert api.post(f"/api/v1/settlements/{statement.pk}/approve/").json()["status"] == "approved"
    assert api.post(f"/api/v1/settlements/{statement.pk}/mark-paid/", {}).status_code == 400
    paid = api.post(f"/api/v1/settlements/{statement.pk}/mark-paid/", {"reference": "CMB9"}).json()
    assert (paid["status"], paid["payment_reference"]) == ("paid", "CMB9")


def test_an_agent_may_not_read_settlements_or_service_jobs(organization, make_user, statement):
    api = client_of(make_user(organization, Role.AGENT))
    assert api.get("/api/v1/settlements/").status_code == 403
    assert api.get("/api/v1/service-jobs/").status_code == 403
    with tenant_scope(organization):
        assert SettlementStatement.objects.get().status == "draft"


def test_service_jobs_are_listed(finance, organization):
    with tenant_scope(organization):
        ServiceJob.objects.create(organization=organization, number="SJ1", kind="repair", technician="李师傅")
    body = client_of(finance).get("/api/v1/service-jobs/").json()
    rows = body["results"] if "results" in body else body
    assert [(r["number"], r["kind"], r["ticket"]) for r in rows] == [("SJ1", "repair", None)]


@pytest.fixture
def open_job(organization):
    from settlement.models import ServiceItem
    from settlement.partner_services import service_price_set

    east = region(organization, "EAST", "华东")
    installer, _store = partner_with_store(organization, east, code="I1", name="安装服务商", kind="installer")
    with tenant_scope(organization):
        item = ServiceItem.objects.create(organization=organization, code="ac-install", name="空调安装",
                                          kind="installation")
        job = ServiceJob.objects.create(organization=organization, number="SJ1", region=east)
    service_price_set(organization=organization, item=item, tier=3, price="180", material_cost="30",
                      technician_payout="85")
    return job


def test_ops_complete_then_confirm_a_job_through_the_api(organization, ops_admin, open_job):
    api = client_of(ops_admin)
    response = api.post(f"/api/v1/service-jobs/{open_job.pk}/complete/", {
        "partner": "I1", "technician": "王师傅", "items": [{"item": "ac-install", "quantity": "2"}]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["partner"], body["technician"], body["price_total"]) == (
        "completed", "I1", "王师傅", "360.00")
    assert [(line["item"], line["unit_payout"]) for line in body["lines"]] == [("ac-install", "85.00")]
    response = api.post(f"/api/v1/service-jobs/{open_job.pk}/confirm/")
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    with tenant_scope(organization):
        open_job.refresh_from_db()
    assert (open_job.status, open_job.payout_total) == ("confirmed", Decimal("170.00"))


def test_an_unknown_item_or_an_open_job_confirmed_is_refused_and_nothing_changes(organization, ops_admin, open_job):
    api = client_of(ops_admin)
    response = api.post(f"/api/v1/service-jobs/{open_job.pk}/complete/", {
        "partner": "I1", "items": [{"item": "nope", "quantity": "1"}]}, format="json")
    assert response.status_code == 400
    assert "nope" in response.json()["items"][0]
    response = api.post(f"/api/v1/service-jobs/{open_job.pk}/confirm/")
    assert response.status_code == 400
    with tenant_scope(organization):
        open_job.refresh_from_db()
        assert (open_job.status, open_job.partner_id, open_job.lines.count()) == ("open", None, 0)


def test_who_may_not_change_jobs_may_not_complete_or_confirm_them(organization, make_user, open_job):
    agent = make_user(organization, Role.AGENT, username="agent-jobs")
    supervisor = make_user(organization, Role.SUPERVISOR, username="sup-jobs")
    for user in (agent, supervisor):
        api = client_of(user)
        assert api.post(f"/api/v1/service-jobs/{open_job.pk}/complete/", {
            "partner": "I1", "items": [{"item": "ac-install", "quantity": "1"}]}, format="json").status_code == 403
        assert api.post(f"/api/v1/service-jobs/{open_job.pk}/confirm/").status_code == 403
    with tenant_scope(organization):
        open_job.refresh_from_db()
        assert open_job.status == "open"


@pytest.mark.usefixtures("scoped")
def test_a_custom_role_the_page_lets_approve_and_pay_may_do_it_through_the_api(organization, make_user, statement):
    # Changes statements (approve, pay) without generating them: the statement page's rule is the change permission.
    ops = make_user(organization, Role.OPS_ADMIN, username="ops-roles")
    cashier = UserFactory(organization=organization, username="cashier")
    role = role_save(organization=organization, by=ops, name="出纳", modules=["settlement"],
                     permissions=["settlement.view_settlementstatement", "settlement.change_settlementstatement"],
                     data_scope=DataScope.ORGANIZATION)
    role_assign(role=role, user=cashier, by=ops)
    statement_review(statement=statement, actor=ops)
    page = Client()
    page.force_login(cashier)
    assert page.get(reverse("settlement:settlement-detail", args=[statement.pk])).status_code == 200
    api = client_of(cashier)

    approved = api.post(f"/api/v1/settlements/{statement.pk}/approve/")
    paid = api.post(f"/api/v1/settlements/{statement.pk}/mark-paid/", {"reference": "CMB10"})

    assert approved.status_code == 200, approved.json()
    assert (paid.status_code, paid.json()["status"]) == (200, "paid")
    # ... and the read-only role of the same page is refused, with nothing written.
    viewer_role = role_save(organization=organization, by=ops, name="查看结算", modules=["settlement"],
                            permissions=["settlement.view_settlementstatement"], data_scope=DataScope.ORGANIZATION)
    reader = UserFactory(organization=organization, username="reader")
    role_assign(role=viewer_role, user=reader, by=ops)
    assert client_of(reader).post(f"/api/v1/settlements/{statement.pk}/mark-paid/",
                                  {"reference": "X"}).status_code == 403
    with tenant_scope(organization):
        assert SettlementStatement.objects.get().payment_reference == "CMB10"


@pytest.mark.parametrize("quantity", ["NaN", "Infinity", "0.001", "20000"])
def test_a_quantity_the_api_refuses_is_refused_by_the_jobs_page_too_and_nothing_changes(organization, ops_admin,
                                                                                       open_job, quantity):
    # "NaN" was a server error on the page (a comparison of NaN raises); the others were stored, which the API
    # refuses.
    from django.contrib.messages import get_messages

    from settlement.models import Partner
    from settlement.partner_errors import MSG_JOB_QUANTITY_RANGE

    with tenant_scope(organization):
        installer = Partner.objects.get(code="I1")
    page = Client()
    page.force_login(ops_admin)

    response = page.post(f"/settlement/service-jobs/{open_job.pk}/complete/", {
        "partner": installer.pk, "items": f"ac-install x {quantity}"})
    answered = client_of(ops_admin).post(f"/api/v1/service-jobs/{open_job.pk}/complete/", {
        "partner": "I1", "items": [{"item": "ac-install", "quantity": quantity}]}, format="json")

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        str(MSG_JOB_QUANTITY_RANGE % {"min": "0.01", "max": "10000", "value": quantity})]
    assert answered.status_code == 400 and "quantity" in str(answered.json()["items"])
    with tenant_scope(organization):
        open_job.refresh_from_db()
        assert (open_job.status, open_job.partner_id, open_job.lines.count()) == ("open", None, 0)


def test_a_payment_reference_too_long_is_refused_by_the_page_as_by_the_api_not_cut(organization, finance, statement):
    from django.contrib.messages import get_messages

    from settlement.partner_errors import MSG_PAYMENT_REFERENCE_TOO_LONG

    statement_review(statement=statement, actor=second_finance(organization))  # another approves
    api = client_of(finance)
    assert api.post(f"/api/v1/settlements/{statement.pk}/approve/").status_code == 200
    reference = "CMB" + "9" * 62  # 65 characters
    page = Client()
    page.force_login(finance)

    response = page.post(reverse("settlement:settlement-action", args=[statement.pk, "pay"]),
                         {"reference": reference})
    answered = api.post(f"/api/v1/settlements/{statement.pk}/mark-paid/", {"reference": reference})

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        str(MSG_PAYMENT_REFERENCE_TOO_LONG % {"limit": 64, "length": 65})]
    assert answered.status_code == 400 and list(answered.json()) == ["reference"]
    with tenant_scope(organization):
        statement.refresh_from_db()
    assert (statement.status, statement.payment_reference) == ("approved", "")
