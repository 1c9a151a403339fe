"""Two people see every partner payout: whoever marked a statement reviewed may not approve it too, on the page as
through the API (one service); another finance user approves it."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.utils import translation

from scrm.models import Role, SettingsChange
from scrm.platform.tenancy import tenant_scope
from settlement.errors import SettlementError
from settlement.models import SettlementRule, SettlementStatement, SettlementStatementEvent
from settlement.money_text import money_display
from settlement.partner_errors import MSG_STATEMENT_SELF_APPROVAL, MSG_STATEMENT_SELF_APPROVAL_ABOVE_LIMIT
from settlement.partner_services import rule_update, statement_approve, statement_generate, statement_review
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


# --- a one-person finance team: the rule's limit up to which the reviewer approves too ------------------------------

def _with_limit(statement, actor, limit):
    """The statement's rule set to let its reviewer approve a payable up to `limit` (an audited rule change)."""
    with tenant_scope(statement.organization_id):
        rule = SettlementRule.objects.get(pk=statement.rule_id)
    rule_update(rule=rule, actor=actor, self_approval_limit=limit)
    with tenant_scope(statement.organization_id):
        return SettlementStatement.objects.select_related("rule").get(pk=statement.pk)


@pytest.mark.parametrize(("over_payable", "allowed"), [
    (Decimal("100.00"), True), (Decimal("0.00"), True), (Decimal("-0.01"), False)], ids=["below", "at", "above"])
def test_the_reviewer_approves_a_payable_within_the_rules_limit_and_not_above(reviewed, finance, over_payable,
                                                                              allowed):
    """A company with one finance user could approve no statement at all. Up to the rule's limit the reviewer
    approves it too; above it, another finance user still must."""
    assert reviewed.payable > 0
    statement = _with_limit(reviewed, finance, reviewed.payable + over_payable)
    if allowed:
        approved = statement_approve(statement=statement, actor=finance)
        assert (approved.status, approved.reviewed_by_id, approved.approved_by_id) == ("approved", finance.pk,
                                                                                       finance.pk)
        return
    with pytest.raises(SettlementError) as refused:
        statement_approve(statement=statement, actor=finance)
    assert str(refused.value) == str(MSG_STATEMENT_SELF_APPROVAL_ABOVE_LIMIT % {
        "limit": money_display(statement.rule.self_approval_limit), "currency": "CNY"})
    assert unchanged(statement, finance)


def test_within_the_limit_the_page_says_so_and_the_reviewer_approves_there(client, reviewed, finance):
    statement = _with_limit(reviewed, finance, Decimal("100000"))
    url = f"/settlement/settlements/{statement.pk}/"
    client.force_login(finance)
    page = client.get(url).content.decode()
    assert 'data-testid="approve"' in page and 'data-testid="approve-by-another"' not in page
    assert "金额不超过 100,000.00 CNY，可由复核人本人批准。" in page
    assert client.post(url + "approve/").status_code == 302
    with tenant_scope(statement.organization_id):
        row = SettlementStatement.objects.get(pk=statement.pk)
    assert (row.status, row.approved_by_id) == ("approved", finance.pk)


def test_above_the_limit_the_page_names_it_and_refuses_the_reviewer(client, reviewed, finance):
    statement = _with_limit(reviewed, finance, Decimal("1.00"))
    url = f"/settlement/settlements/{statement.pk}/"
    client.force_login(finance)
    page = client.get(url).content.decode()
    note = "此结算单由您标记为已审核，金额超过 1.00 CNY，需另一位财务批准。"
    assert 'data-testid="approve-by-another"' in page and 'data-testid="approve"' not in page and note in page
    response = client.post(url + "approve/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [note]
    assert unchanged(statement, finance)


def test_the_api_follows_the_same_limit(reviewed, finance):
    statement = _with_limit(reviewed, finance, Decimal("1.00"))
    refused = client_of(finance).post(f"/api/v1/settlements/{statement.pk}/approve/")
    assert refused.status_code == 400
    assert refused.json()["detail"] == "此结算单由您标记为已审核，金额超过 1.00 CNY，需另一位财务批准。"
    assert unchanged(statement, finance)
    statement = _with_limit(statement, finance, statement.payable)
    approved = client_of(finance).post(f"/api/v1/settlements/{statement.pk}/approve/")
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    with tenant_scope(statement.organization_id):
        assert SettlementStatement.objects.get(pk=statement.pk).approved_by_id == finance.pk


def test_a_rule_says_two_people_by_default_and_its_limit_is_set_on_the_form_and_audited(client, organization, finance):
    """The limit is the rule's (its currency is the statements' currency): 0 unless finance sets it, set on the rule
    form, shown on the rules page and recorded in the change log like every other field of a rule."""
    assert monthly_rule(organization).self_approval_limit == 0
    client.force_login(finance)
    assert "始终需两人" in client.get("/settlement/rules/").content.decode()
    values = {"name": "小团队", "valid_from": "2026-11-01", "currency": "CNY", "conversion_date": "order",
              "cycle": "monthly", "tax_rate": "0", "commission_rate": "0", "tier_mode": "progressive",
              "minimum_payout": "0", "rounding": "0.01", "tiers": "", "self_approval_limit": "-1"}
    refused = client.post("/settlement/rules/new/", values)
    assert refused.status_code == 400 and "复核人可批准的金额上限 不能为负数" in refused.content.decode()
    assert client.post("/settlement/rules/new/", {**values, "self_approval_limit": "5000"}).status_code == 302
    with tenant_scope(organization):
        rule = SettlementRule.objects.get(name="小团队")
        change = SettingsChange.objects.get(subject="settlement.settlementrule", subject_id=rule.pk)
    assert rule.self_approval_limit == Decimal("5000.00")
    assert change.detail["self_approval_limit"] == {"before": None, "after": "5000.00"}
    assert "5,000.00" in client.get("/settlement/rules/").content.decode()
    assert "复核人可批准的金额上限" in client.get("/settlement/configuration-changes/").content.decode()
