"""A user's language follows them from one browser to another: chosen with the switch in one, every browser they
sign in on afterwards opens in it."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEOUT_MS, login
from tests.scrm.factories import TEST_PASSWORD

pytestmark = pytest.mark.e2e

TICKETS_LINK = "[data-testid=main-nav] a[data-module=tickets]"


def test_english_chosen_on_one_browser_opens_the_next_one_in_english(browser, page, live_server, agent):
    login(page, live_server, agent.username, TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/tickets/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.locator("#language-select").select_option("en")
    page.get_by_test_id("language-form").locator("button[type=submit]").click()
    expect(page.locator(TICKETS_LINK)).to_have_text("Tickets")

    # Another browser (a phone, a colleague's desk): nothing chosen there, no cookie of the first one.
    other_context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    other_context.set_default_timeout(TIMEOUT_MS)
    try:
        other = other_context.new_page()
        other.goto("/accounts/login/")
        expect(other.locator("html")).to_have_attribute("lang", "zh-hans")  # signed out: the product's language
        login(other, live_server, agent.username, TEST_PASSWORD)
        expect(other).to_have_url(f"{live_server.url}/tickets/")
        expect(other.locator("html")).to_have_attribute("lang", "en")
        expect(other.locator(TICKETS_LINK)).to_have_text("Tickets")
        expect(other.locator("#language-select")).to_have_value("en")
    finally:
        other_context.close()
