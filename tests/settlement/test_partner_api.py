"""`/api/v1/settlements/` and `/api/v1/service-jobs/`: finance lists, approves and marks statements paid."""

import pytest
from rest_framework.test import APIClient

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import ServiceJob, SettlementStatement
from settlement.partner_services import statement_generate, statement_review
from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store, region
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
    statement_review(statement=statement, actor=finance)
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
