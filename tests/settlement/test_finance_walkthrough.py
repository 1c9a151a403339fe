"""What a finance team saw walking the settlement pages, each pinned by the page as they read it: statuses named as
statuses (not as a time), statement lines in the reader's language, an adjustment typed wrong kept and explained."""

from decimal import Decimal

import pytest
from django.conf import settings

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import SettlementAdjustment, SettlementStatement
from settlement.partner_forms import MSG_ADJUSTMENT_AMOUNT
from settlement.partner_services import statement_approve, statement_generate, statement_mark_paid, statement_review
from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-walk")


@pytest.fixture
def statement(organization):
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east, code="P1")
    paid_order(organization, store, "A1", "1500.00", paid_at=oct_(3), fee="9.00")
    statement, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    return statement


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_a_paid_statement_reads_paid_not_payment_time_in_chinese(client, finance, statement):
    statement_review(statement=statement, actor=finance)
    statement_approve(statement=statement, actor=finance)
    statement_mark_paid(statement=statement, actor=finance, reference="CMB001")
    client.force_login(finance)

    listing = client.get("/settlement/settlements/").content.decode()
    detail = client.get(f"/settlement/settlements/{statement.pk}/").content.decode()

    assert "已付款" in listing and "付款时间" not in listing
    assert 'data-testid="statement-status">已付款<' in detail


def test_the_order_page_still_labels_its_timestamps_as_times(client, finance, statement):
    with tenant_scope(statement.organization_id):
        order_pk = statement.partner.stores.get().orders.get().pk
    client.force_login(finance)

    page = client.get(f"/settlement/orders/{order_pk}/").content.decode()

    assert "付款时间" in page and "完成时间" in page


def test_statement_lines_are_named_in_the_readers_language_whoever_generated_them(client, finance, statement):
    client.force_login(finance)

    chinese = client.get(f"/settlement/settlements/{statement.pk}/").content.decode()
    _english(client)
    english = client.get(f"/settlement/settlements/{statement.pk}/").content.decode()

    assert "销售 (CNY)" in chinese
    assert "Sales (CNY)" in english and "销售" not in english


def test_an_adjustment_typed_wrong_is_explained_and_kept_on_the_page(client, finance, statement):
    client.force_login(finance)

    response = client.post(f"/settlement/settlements/{statement.pk}/adjust/",
                           {"amount": "12abc", "reason": "运费补差"})

    page = response.content.decode()
    assert response.status_code == 400
    assert str(MSG_ADJUSTMENT_AMOUNT) in page
    assert 'value="12abc"' in page and 'value="运费补差"' in page
    with tenant_scope(statement.organization_id):
        assert SettlementAdjustment.objects.count() == 0
        assert SettlementStatement.objects.get().payable == statement.payable


def test_a_good_adjustment_still_changes_the_draft(client, finance, statement):
    client.force_login(finance)

    response = client.post(f"/settlement/settlements/{statement.pk}/adjust/",
                           {"amount": "-35.50", "reason": "运费补差"})

    assert response.status_code == 302
    with tenant_scope(statement.organization_id):
        assert SettlementStatement.objects.get().payable == statement.payable - Decimal("35.50")
