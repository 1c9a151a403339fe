"""Amounts on finance's pages read as finance writes them, grouped by thousands (1,234,567.89), in Chinese as in
English; a fraction of a fen still shows (7.194) and a negative amount keeps its sign. Workbooks, CSV and the API
keep plain numbers (their own tests)."""

from decimal import Decimal

import pytest
from django.conf import settings

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import Discrepancy
from settlement.money_text import money_display
from settlement.partner_services import statement_generate
from settlement.reconciliation.services import reconciliation_run
from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store, region
from tests.settlement.recon import DAY, make_channel, make_order, make_statement, make_store, pay

pytestmark = pytest.mark.django_db

BIG = "1,234,567.89"


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


@pytest.fixture(params=["zh-hans", "en"])
def reader(request, client, finance):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = request.param
    client.force_login(finance)
    return client


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("1234567.89"), "1,234,567.89"), (Decimal("-1234.5"), "-1,234.50"), ("7.19400", "7.194"),
    (Decimal("1249"), "1,249.00"), (Decimal("999.99"), "999.99"), ("-12345678.094", "-12,345,678.094"),
    (Decimal("0"), "0.00"), (None, None), ("", ""), ("***", "***"),
])
def test_money_display_groups_thousands_and_keeps_what_money_text_keeps(value, text):
    assert money_display(value) == text


@pytest.fixture
def reconciled(organization):
    """A day where the statement says 1,234,567.89 for an order the ledger has at 1,233,000.00."""
    channel = make_channel(organization, amount_tolerance=Decimal("0.00"))
    store = make_store(organization, channel)
    make_order(store, "BIG1", "1233000.00")
    make_statement(channel, lines=[pay("BIG1", "1234567.89")])
    run = reconciliation_run(channel=channel, period_start=DAY)
    with tenant_scope(organization):
        discrepancy = Discrepancy.objects.get()
    return channel, run, discrepancy


def test_the_reconciliation_pages_group_amounts_by_thousands(reader, reconciled):
    channel, _run, discrepancy = reconciled
    home = page(reader, "/settlement/reconciliation/")
    assert BIG in home and "1,233,000.00" in home and "1234567.89" not in home
    report = page(reader, f"/settlement/reconciliation/report/?channel={channel.pk}&day={DAY}")
    assert f'data-testid="statement-total">{BIG}<' in report
    assert "1,567.89" in report  # the open difference by age
    listing = page(reader, "/settlement/discrepancies/")
    assert BIG in listing and "1,233,000.00" in listing and "1,567.89" in listing and "1234567.89" not in listing
    detail = page(reader, f"/settlement/discrepancies/{discrepancy.pk}/")
    assert f"{BIG} CNY" in detail and 'data-testid="difference">1,567.89<' in detail
    assert ">1233000.00<" not in detail  # the reason's raw value stays in its tooltip only, for the API's reader


def test_a_negative_difference_keeps_its_sign(reader, organization):
    channel = make_channel(organization)
    store = make_store(organization, channel)
    make_order(store, "NEG1", "5000.00")
    make_statement(channel, lines=[pay("NEG1", "3765.50")])
    reconciliation_run(channel=channel, period_start=DAY)
    assert "-1,234.50" in page(reader, "/settlement/discrepancies/")


def test_the_orders_list_and_detail_group_amounts(reader, organization):
    channel = make_channel(organization)
    store = make_store(organization, channel)
    order = make_order(store, "BIG2", "1234567.89", goods_amount=Decimal("1234567.89"))
    listing = page(reader, "/settlement/orders/")
    assert BIG in listing and "1234567.89" not in listing
    detail = page(reader, f"/settlement/orders/{order.pk}/")
    assert f'data-testid="order-paid">{BIG} CNY<' in detail and "1234567.89" not in detail


def test_the_partner_statement_pages_and_the_dashboard_group_amounts(reader, organization):
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east)
    paid_order(organization, store, "P-BIG", "1234567.89", paid_at=oct_(3))
    statement, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    listing = page(reader, "/settlement/settlements/")
    assert BIG in listing and "1234567.89" not in listing
    detail = page(reader, f"/settlement/settlements/{statement.pk}/")
    assert BIG in detail and "1234567.89" not in detail
    assert f'data-testid="statement-payable">{money_display(statement.payable)} CNY<' in detail
    dashboard = page(reader, "/settlement/dashboard/")
    assert f'<td class="text-end">{BIG}</td>' in dashboard
