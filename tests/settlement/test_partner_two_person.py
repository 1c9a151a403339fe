"""Two people see every partner payout: whoever marked a statement reviewed may not approve it too, on the page as
through the API (one service); another finance user approves it."""

import pytest
from django.contrib.messages import get_messages
from django.utils import translation

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.errors import SettlementError
from settlement.models import SettlementStatement, SettlementStatementEvent
from settlement.partner_errors import MSG_STATEMENT_SELF_APPROVAL
from settlement.partner_services import statement_approve, statement_generate, statement_review
from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store, region
from tests.settlement.test_partner_api import client_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


@pytest.fixture
def finance2(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-2")


@pytest.fixture
def reviewed(organization, finance):
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east)
    paid_order(organization, store, "A1", "1500.00", paid_at=oct_(3))
    statement, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    return statement_review(statement=statement, actor=finance)


def unchanged(statement, reviewer):
    with tenant_scope(statement.organization_id):
        row = SettlementStatement.objects.get(pk=statement.pk)
        approvals = row.events.filter(action=SettlementStatementEvent.Action.APPROVED).count()
    return (row.status, row.reviewed_by_id, row.approved_by_id, row.approved_at, approvals) == (
        "reviewed", reviewer.pk, None, None, 0)


def zh(message):
    with translation.override("zh-hans"):
        return str(message)


def test_the_reviewer_may_not_approve_through_the_service(reviewed, finance):
    with pytest.raises(SettlementError) as refused:
        statement_approve(statement=reviewed, actor=finance)
    assert str(refused.value) == str(MSG_STATEMENT_SELF_APPROVAL)
    assert unchanged(reviewed, finance)


def test_the_reviewer_is_refused_on_the_page_and_another_finance_user_approves(client, reviewed, finance, finance2):
    url = f"/settlement/settlements/{reviewed.pk}/"
    client.force_login(finance)
    page = client.get(url).content.decode()
    assert 'data-testid="approve-by-another"' in page and 'data-testid="approve"' not in page
    assert zh(MSG_STATEMENT_SELF_APPROVAL) == "此结算单由您标记为已审核：须由另一位财务人员审批。" and zh(
        MSG_STATEMENT_SELF_APPROVAL) in page

    response = client.post(url + "approve/")  # a form kept open from before, or a hand-made POST
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [zh(MSG_STATEMENT_SELF_APPROVAL)]
    assert unchanged(reviewed, finance)

    client.force_login(finance2)
    assert 'data-testid="approve"' in client.get(url).content.decode()
    assert client.post(url + "approve/").status_code == 302
    with tenant_scope(reviewed.organization_id):
        row = SettlementStatement.objects.get(pk=reviewed.pk)
    assert (row.status, row.reviewed_by_id, row.approved_by_id) == ("approved", finance.pk, finance2.pk)


def test_the_reviewer_is_refused_by_the_api_too(reviewed, finance, finance2):
    refused = client_of(finance).post(f"/api/v1/settlements/{reviewed.pk}/approve/")
    assert refused.status_code == 400
    assert refused.json()["detail"] == zh(MSG_STATEMENT_SELF_APPROVAL)
    assert unchanged(reviewed, finance)
    approved = client_of(finance2).post(f"/api/v1/settlements/{reviewed.pk}/approve/")
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
