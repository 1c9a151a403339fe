"""Partner statements in a real browser: finance generates a partner's statement of a month and reviews it, another
finance user approves it and downloads it as Excel."""

import re
from datetime import date

import openpyxl
import pytest
from playwright.sync_api import expect

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import SettlementStatement
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD
from tests.settlement.partners import monthly_rule, oct_, paid_order, partner_with_store, region

pytestmark = pytest.mark.e2e


def test_finance_generates_reviews_approves_and_exports_a_statement(page, live_server, organization, make_user,
                                                                    tmp_path):
    finance = make_user(organization, Role.FINANCE, username="finance-e2e")
    approver = make_user(organization, Role.FINANCE, username="finance-e2e-2")
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east, valid_from=date(2026, 1, 1))
    partner, store = partner_with_store(organization, east, name="华东经销商", bank_account="6225881234567890")
    paid_order(organization, store, "A1", "1500.00", paid_at=oct_(3), fee="9.00")

    login(page, live_server, finance.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/settlement/settlements/")
    page.fill("#gen-day", "2026-10-15")
    # The partner is found by typing part of its name: the select then offers the matches, the first chosen.
    page.fill("[data-testid=partner-search]", "华东经销")
    expect(page.locator("#gen-partner")).to_have_value(str(partner.pk))
    page.click("[data-testid=generate]")
    expect(page.locator("[data-testid=statement-payable]")).to_contain_text("1,426.00")
    expect(page.locator("[data-testid=statement-lines]")).to_contain_text("1,500.00")
    expect(page.locator("[data-testid=bank-account]")).to_contain_text("**** **** 7890")
    page.click("[data-testid=review]")
    # Who reviewed may not approve too: the page says another finance user approves it, who signs in to do so.
    expect(page.locator("[data-testid=approve-by-another]")).to_be_visible()
    expect(page.locator("[data-testid=approve]")).to_have_count(0)
    url = page.url
    page.context.clear_cookies()
    login(page, live_server, approver.username, TEST_PASSWORD)
    page.goto(url)
    # Approving locks the statement: the browser asks first, naming the partner and the amount; cancelling
    # approves nothing.
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.click("[data-testid=approve]")
    expect(page.locator("[data-testid=approve]")).to_be_visible()
    assert asked == ["确认审批并锁定华东经销商的结算单（1,426.00 CNY）？锁定后不能再修改：更正将计入下一期。"]
    with tenant_scope(organization):
        assert SettlementStatement.objects.get().status == "reviewed"
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.click("[data-testid=approve]")
    expect(page.locator("[data-testid=mark-paid]")).to_be_visible()
    with page.expect_download() as download:
        page.click("[data-testid=export-xlsx]")
    path = tmp_path / "statement.xlsx"
    download.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet["B1"].value == "华东经销商"
    amounts = [row[-1] for row in sheet.iter_rows(values_only=True) if isinstance(row[-1], int | float)]
    assert 1500.0 in amounts and 1426.0 in amounts
    with tenant_scope(organization):
        statement = SettlementStatement.objects.get()
        assert (statement.status, statement.approved_by_id) == ("approved", approver.pk)
        assert [e.action for e in statement.events.all()] == ["generated", "reviewed", "approved", "exported"]


def test_finance_filters_the_statements_by_period_with_the_date_pickers(page, live_server, organization,
                                                                         make_user):
    """The period's boxes were text boxes where one guessed the format: they are date pickers sending ISO dates."""
    from settlement.partner_services import statement_generate
    from tests.settlement.partners import PERIOD
    finance = make_user(organization, Role.FINANCE, username="finance-e2e-dates")
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east, valid_from=date(2026, 1, 1))
    partner, store = partner_with_store(organization, east, name="华东经销商")
    paid_order(organization, store, "A1", "1500.00", paid_at=oct_(3), fee="9.00")
    statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])

    login(page, live_server, finance.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/settlement/settlements/")
    filters = page.locator("[data-testid=statement-filters]")
    after, before = filters.locator("input[name=period_after]"), filters.locator("input[name=period_before]")
    expect(after).to_have_attribute("type", "date")
    expect(before).to_have_attribute("type", "date")
    after.fill(PERIOD[0].isoformat())
    before.fill(PERIOD[1].isoformat())
    filters.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(f"period_after={PERIOD[0]:%Y-%m-%d}&period_before={PERIOD[1]:%Y-%m-%d}"))
    expect(page.locator("[data-testid=statements] tbody tr")).to_have_count(1)
    expect(page.locator("[data-testid=statements]")).to_contain_text("华东经销商")
    expect(after).to_have_value(PERIOD[0].isoformat())  # the pickers keep what was chosen
    page.locator("[data-testid=statement-filters] input[name=period_after]").fill(PERIOD[1].isoformat())
    filters.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=statements]")).not_to_contain_text("华东经销商")
