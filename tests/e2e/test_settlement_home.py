"""Finance's home page in a real browser: the discrepancy figure leads to the list showing exactly that many rows, and
the grouped tiles with their figures fit a 1280 px laptop in Chinese and in English."""

import re

import pytest
from playwright.sync_api import expect

from scrm.models import Role
from tests.e2e.conftest import login
from tests.e2e.test_list_layout import LINES
from tests.e2e.test_shell import NAV_ENTRY_SHAPES
from tests.scrm.factories import TEST_PASSWORD
from tests.settlement.partners import monthly_rule, partner_with_store, region
from tests.settlement.recon import make_channel
from tests.settlement.test_home import discrepancies, partner_statement, service_jobs

pytestmark = pytest.mark.e2e


def test_finance_clicks_the_discrepancy_figure_and_lands_on_those_rows(page, live_server, organization, make_user):
    channel = make_channel(organization)
    discrepancies(organization, channel, days_ago=1, count=3)
    discrepancies(organization, channel, days_ago=12, count=2)
    discrepancies(organization, channel, days_ago=2, status="resolved")
    finance = make_user(organization, Role.FINANCE)
    login(page, live_server, finance.username, TEST_PASSWORD)

    page.goto(f"{live_server.url}/settlement/")
    expect(page.get_by_test_id("figure-discrepancies-open")).to_have_text("5 条差异待处理")
    page.get_by_test_id("figure-discrepancies-open").click()
    expect(page).to_have_url(re.compile(r"/settlement/discrepancies/$"))
    expect(page.locator("[data-testid=discrepancies] tbody tr")).to_have_count(5)

    page.go_back()
    page.get_by_test_id("figure-discrepancies-old").click()
    expect(page).to_have_url(re.compile(r"/settlement/discrepancies/\?age_min=7$"))
    expect(page.locator("[data-testid=discrepancies] tbody tr")).to_have_count(2)
    expect(page.locator("#id_age_min")).to_have_value("7")


# Tile titles, group captions and each figure's number on one line; figures' lines inside their tile.
HOME_SHAPES = """() => {
    const lines = """ + LINES + """;
    const broken = Array.from(document.querySelectorAll(
        "[data-testid=settlement-sections] h2, [data-testid=settlement-sections] h3, .fin-home-count"))
        .filter(el => lines(el) > 1).map(el => el.innerText.trim());
    const outside = Array.from(document.querySelectorAll(".fin-home-figures li")).filter(li => {
        const card = li.closest(".card").getBoundingClientRect(), box = li.getBoundingClientRect();
        return box.right > card.right + 0.5 || box.left < card.left - 0.5;
    }).map(li => li.innerText.trim());
    const tall = Array.from(document.querySelectorAll(".fin-home-figures a, .fin-home-figures span"))
        .filter(el => lines(el) > 2).map(el => el.innerText.trim());
    return {broken, outside, tall, scroll: document.documentElement.scrollWidth - document.documentElement.clientWidth};
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_home_page_fits_a_1280_laptop(page, live_server, organization, make_user, language):
    channel = make_channel(organization, name="微信支付（服务商模式）")
    discrepancies(organization, channel, days_ago=1, count=3)
    discrepancies(organization, channel, days_ago=12, count=12)
    make_channel(organization, "alipay")
    east = region(organization, "EAST", "华东")
    partner, _store = partner_with_store(organization, east, kind="installer")
    rule = monthly_rule(organization, region=east)
    partner_statement(organization, partner, rule, month=1, status="draft")
    partner_statement(organization, partner, rule, month=2, status="reviewed")
    service_jobs(organization, partner, east, ["open", "completed"] * 6)
    finance = make_user(organization, Role.FINANCE)
    if language == "en":
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login(page, live_server, finance.username, TEST_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{live_server.url}/settlement/")
    expect(page.get_by_test_id("figure-jobs-completed")).to_be_visible()
    if language == "en":
        expect(page.get_by_test_id("figure-jobs-completed")).to_have_text("6 awaiting customer confirmation")
        expect(page.get_by_test_id("home-group-daily")).to_contain_text("Daily work")

    shapes = page.evaluate(HOME_SHAPES)
    assert shapes == {"broken": [], "outside": [], "tall": [], "scroll": 0}
    # The sidebar's group captions leave every entry's icon beside its label.
    assert [label for label, beside, clear in page.evaluate(NAV_ENTRY_SHAPES) if not (beside and clear)] == []
