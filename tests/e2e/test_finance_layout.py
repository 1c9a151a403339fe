"""Finance's lists on a laptop screen (1366×768), in Chinese and in English: a heading, a date and an amount each on one
line, and the table inside its card. The rules list broke 结算 / 周期 and 2026-08- / 31; the service jobs list broke
工单 (one character a line), 城市 / 等级 and 260.00 / CNY. And ops' channel accounts at 1280×720: 已处 / 理 and a
编 / 辑 button one character a line."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import ServiceJob
from tests.channels_ingest.conftest import make_account
from tests.e2e.conftest import login
from tests.e2e.test_list_layout import LINES, OVERLAPS, _assert_fits
from tests.scrm.factories import TEST_PASSWORD
from tests.settlement.partners import monthly_rule, partner_with_store, region

pytestmark = pytest.mark.e2e

# The values of a table's cells that look like a date or an amount and take more than one line.
BROKEN_VALUES = """table => {
    const lines = """ + LINES + r""";
    const value = /^(-?[\d,]+\.\d{2}( [A-Z]{3})?|\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?)$/;
    return Array.from(table.querySelectorAll("tbody td"))
        .filter(td => value.test(td.innerText.trim()) && lines(td) > 1).map(td => td.innerText.trim());
}"""

TIERS = [{"from": "0", "to": "50000", "rate": "0"}, {"from": "50000", "to": "200000", "rate": "0.01"},
         {"from": "200000", "to": None, "rate": "0.02"}]


def _finance(page, live_server, make_user, organization, language):
    finance = make_user(organization, Role.FINANCE)
    if language == "en":
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login(page, live_server, finance.username, TEST_PASSWORD)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_rules_list_keeps_headings_and_dates_on_one_line_at_1366(page, live_server, organization, make_user,
                                                                      language):
    hong_kong = region(organization, "HK", "香港")
    north_america = region(organization, "NA", "北美")
    monthly_rule(organization, region=hong_kong, name="香港月结（港币）", currency="HKD", rebate_tiers=TIERS,
                 valid_from=date(2026, 8, 31))
    monthly_rule(organization, region=north_america, name="North America monthly (USD)", currency="USD",
                 commission_rate=Decimal("0.08"), tax_rate=Decimal("0.0725"), valid_from=date(2026, 8, 31),
                 rebate_tiers=[{"from": "0", "to": "10000", "rate": "0"},
                               {"from": "10000", "to": None, "rate": "0.015"}])
    monthly_rule(organization, name="内地月结（阶梯返利）", rebate_tiers=TIERS, valid_from=date(2026, 8, 31))
    _finance(page, live_server, make_user, organization, language)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/settlement/rules/")
    expect(page.locator("[data-testid=rules] tbody tr")).to_have_count(3)
    _assert_fits(page, "rules")
    assert page.locator("[data-testid=rules]").evaluate(BROKEN_VALUES) == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_service_jobs_list_keeps_headings_and_prices_on_one_line_at_1366(page, live_server, organization,
                                                                             make_user, language):
    east = region(organization, "EAST", "华东")
    partner, _store = partner_with_store(organization, east, code="INSTALL", name="星河安装服务（华东）",
                                         kind="installer")
    with tenant_scope(organization):
        for n in range(6):
            ServiceJob.objects.create(organization=organization, number=f"SJ2026110{n:02d}", kind="installation",
                                      partner=partner, region=east, tier=1 + n % 2, price_total=Decimal("260.00"),
                                      status="confirmed" if n else "completed")
    _finance(page, live_server, make_user, organization, language)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/settlement/service-jobs/")
    expect(page.locator("[data-testid=service-jobs] tbody tr")).to_have_count(6)
    _assert_fits(page, "service-jobs")
    assert page.locator("[data-testid=service-jobs]").evaluate(BROKEN_VALUES) == []
    assert page.evaluate(OVERLAPS) == []  # the 完工 form of the completed job stays in its column



@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_channel_accounts_keep_headings_and_edit_buttons_on_one_line_at_1280(page, live_server, organization,
                                                                                 ops_admin, language):
    make_account(organization, kind="wecom", slug="xinghe-demo-wecom", app_id="ww0123456789abcdef",
                 agent_id="1000002")
    make_account(organization, slug="xinghe-demo-official-account")
    if language == "en":
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login(page, live_server, ops_admin.username, TEST_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{live_server.url}/settings/channels/")
    table = page.locator("[data-testid=channel-accounts]")
    expect(table.locator("tbody tr")).to_have_count(2)
    texts = table.locator("th, .btn").all() + [page.locator("[data-testid=account-add]")]
    assert [t.inner_text() for t in texts if t.evaluate(LINES) > 1] == []
