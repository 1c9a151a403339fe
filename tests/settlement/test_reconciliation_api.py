"""`/api/v1/reconciliation-runs/` and `/api/v1/discrepancies/`: scoped, permission-checked, amounts to the fen."""

import pytest

from scrm.models import Role
from scrm.platform.tenancy import platform_scope
from settlement.reconciliation.services import reconciliation_run
from tests.scrm.factories import OrganizationFactory
from tests.settlement.recon import DAY, make_channel, make_order, make_statement, make_store, pay
from tests.tenancy import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(organization):
    channel = make_channel(organization)
    store = make_store(organization, channel)
    make_order(store, "N1", "10.00")
    make_order(store, "N2", "20.00")
    make_statement(channel, lines=[pay("N1", "10.00"), pay("N2", "19.99")])
    return reconciliation_run(channel=channel, period_start=DAY)


def rows(body):
    return body["results"] if isinstance(body, dict) else body


def test_finance_reads_runs_and_discrepancies(organization, make_user, run, django_assert_max_num_queries):
    api = api_client(make_user(organization, Role.FINANCE))
    [listed] = rows(api.get("/api/v1/reconciliation-runs/?channel_code=wechatpay").json())
    assert listed["summary"] == run.summary and listed["summary"]["amount_mismatch"]["amount"] == "19.99"
    with django_assert_max_num_queries(10):
        [d] = rows(api.get("/api/v1/discrepancies/?kind=amount_mismatch&status=open").json())
    assert (d["key"], d["statement_amount"], d["ledger_amount"], d["difference"]) == (
        "order:N2", "19.99", "20.00", "-0.01")
    assert d["reason"]["keys"] == ["order_number"]


def test_an_agent_and_another_organization_read_nothing(organization, make_user, run):
    assert api_client(make_user(organization, Role.AGENT)).get("/api/v1/discrepancies/").status_code == 403
    with platform_scope():
        other = OrganizationFactory(slug="other")
    outsider = api_client(make_user(other, Role.FINANCE, username="fin-other"))
    assert rows(outsider.get("/api/v1/discrepancies/").json()) == []
    assert rows(outsider.get("/api/v1/reconciliation-runs/").json()) == []
    assert outsider.get(f"/api/v1/reconciliation-runs/{run.pk}/").status_code == 404
