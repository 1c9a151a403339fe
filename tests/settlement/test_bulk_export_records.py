"""The period summary and the bank payment file (full account numbers) are recorded on every statement they hold,
like one statement's export: who took which file and when, in the statement's history. A refused export records
nothing."""

import pytest

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import SettlementStatementEvent
from settlement.partner_services import statement_approve, statement_generate, statement_review
from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store, region, second_finance

pytestmark = pytest.mark.django_db

EXPORTED = SettlementStatementEvent.Action.EXPORTED


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


@pytest.fixture
def statements(organization):
    """Two statements of October: P1 with a sale, P2 with nothing to pay."""
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    made = []
    for code, amount in (("P1", "1500.00"), ("P2", None)):
        partner, store = partner_with_store(organization, east, name=f"经销商{code}", code=code,
                                            bank_account="6225881234567890")
        if amount:
            paid_order(organization, store, f"A-{code}", amount, paid_at=oct_(3), fee="9.00")
        made.append(statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])[0])
    return made


def _exports(organization):
    with tenant_scope(organization):
        return sorted(SettlementStatementEvent.objects.filter(action=EXPORTED)
                      .values_list("statement__partner__code", "by__username", "detail"))


def test_the_period_summary_is_recorded_on_each_statement_it_holds(client, finance, organization, statements):
    client.force_login(finance)

    response = client.get("/settlement/settlements/summary.xlsx?period_after=2026-10-01")

    assert response.status_code == 200
    assert _exports(organization) == [("P1", "finance-acme", {"format": "summary-xlsx"}),
                                      ("P2", "finance-acme", {"format": "summary-xlsx"})]
    page = client.get(f"/settlement/settlements/{statements[0].pk}/").content.decode()
    history = page.split('data-testid="statement-history"')[1].split("</ul>")[0]
    assert f"已导出 · {finance} · 期间汇总（Excel）" in history


def test_the_bank_file_is_recorded_on_each_statement_it_pays_and_only_those(client, finance, organization,
                                                                            statements):
    paid, nothing = statements
    second = second_finance(organization)
    for statement in statements:
        statement_review(statement=statement, actor=finance)
        statement_approve(statement=statement, actor=second)
    client.force_login(finance)

    response = client.get("/settlement/settlements/bank-payments.csv")

    assert response.status_code == 200 and "6225881234567890" in response.content.decode()
    assert _exports(organization) == [("P1", "finance-acme", {"format": "bank-csv"})]
    page = client.get(f"/settlement/settlements/{paid.pk}/").content.decode()
    history = page.split('data-testid="statement-history"')[1].split("</ul>")[0]
    assert f"已导出 · {finance} · 银行付款文件（CSV）" in history


@pytest.mark.parametrize("export", ["bank-payments.csv", "summary.xlsx"])
def test_a_refused_export_records_nothing(client, finance, organization, statements, export):
    client.force_login(finance)

    response = client.get(f"/settlement/settlements/{export}?period_after=2026-13-01")

    assert response.status_code == 302
    assert _exports(organization) == []


def test_a_role_refused_the_bank_file_records_nothing(client, organization, statements, make_user):
    client.force_login(make_user(organization, Role.OPS_ADMIN, username="ops"))

    assert client.get("/settlement/settlements/bank-payments.csv").status_code == 403
    assert _exports(organization) == []
