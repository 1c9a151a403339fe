"""The workspace on a phone (390×844): the page title on one line beside the bell and the user menu, the filters
folded behind a "筛选" button so the first ticket shows in the first screen, the subject readable in its column; and
at 1366 the same page as before (filters open, no button)."""

import pytest
from playwright.sync_api import expect

from scrm.customers.services import customer_create
from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from tests.e2e.conftest import browser_page, login
from tests.e2e.test_list_layout import LINES, _long_team_queue
from tests.scrm.factories import TEST_PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    with browser_page(browser, live_server, locale="en-US", viewport=PHONE, is_mobile=True, has_touch=True) as page:
        yield page


def _lines(page, selector):
    return page.locator(selector).first.evaluate(LINES)


def test_the_team_queue_on_a_phone(phone, live_server, organization):
    page = phone
    login(page, live_server, _long_team_queue(organization), TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/queues/")
    title = page.get_by_test_id("page-title")
    expect(title).to_have_attribute("title", "工单 · 团队队列")
    assert _lines(page, "[data-testid=page-title]") == 1  # not 工单 · / 团队 / 队列 beside the controls
    box = title.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    # The filters fold behind a button; the first ticket is in the first screen, not a screen of drop-downs away.
    toggle = page.get_by_test_id("filter-toggle")
    expect(toggle).to_have_text("筛选")
    expect(page.get_by_test_id("ticket-filter")).to_be_hidden()
    first = page.locator("[data-testid=ticket-table] tbody tr").first
    expect(first).to_be_visible()
    assert first.bounding_box()["y"] + first.bounding_box()["height"] <= PHONE["height"]
    assert page.evaluate("() => window.scrollY") == 0

    # The subject takes at least ten characters a line; the table scrolls inside its card, not the page.
    subject = page.locator("[data-testid=ticket-table] tbody tr td.tickets-col-subject a").first
    assert _lines(page, "[data-testid=ticket-table] tbody tr td.tickets-col-subject a") <= 4  # ~34 characters
    assert subject.bounding_box()["width"] >= 10 * 14
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    toggle.click()
    expect(page.get_by_test_id("ticket-filter")).to_be_visible()
    page.locator("#id_status").select_option(index=1)
    page.get_by_test_id("filter-submit").click()
    # Back with a filter in use: the button counts it and the card stays open to change it.
    expect(page.get_by_test_id("filter-toggle")).to_have_text("筛选 (1)")
    expect(page.get_by_test_id("ticket-filter")).to_be_visible()

    # A queue picked with the tabs above the card is not a filter to fold out: the list stays in the first screen.
    page.goto(f"{live_server.url}/tickets/queues/")
    page.locator("[data-testid=queue-picker] [data-queue]").first.click()
    expect(page.locator("[data-testid=queue-picker] .active[data-queue]")).to_have_count(1)
    expect(page.get_by_test_id("filter-toggle")).to_have_text("筛选")
    expect(page.get_by_test_id("ticket-filter")).to_be_hidden()


def test_the_language_moves_into_the_user_menu_on_a_phone(phone, live_server, organization):
    page = phone
    login(page, live_server, _long_team_queue(organization), TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/")
    expect(page.get_by_test_id("language-form")).to_be_hidden()
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("menu-language-form").locator("button[value=en]").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Tickets · My tickets")


def test_the_team_queue_at_1366_keeps_its_filters_open(page, live_server, organization):
    login(page, live_server, _long_team_queue(organization), TEST_PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/tickets/queues/")
    expect(page.get_by_test_id("ticket-filter")).to_be_visible()
    expect(page.get_by_test_id("filter-toggle")).to_be_hidden()
    expect(page.get_by_test_id("language-form")).to_be_visible()
    expect(page.get_by_test_id("page-title")).to_have_text("工单 · 团队队列")


def test_a_customer_page_on_a_phone_keeps_its_title_on_one_line(phone, live_server, organization, make_user):
    """Edit and New ticket beside the title squeezed it to "客户 / …": they go under it on a phone."""
    supervisor = make_user(organization, Role.SUPERVISOR)
    with tenant_scope(organization):
        customer = customer_create(organization=organization, display_name="王先生", mobile="13812345670")
    login(phone, live_server, supervisor.username, TEST_PASSWORD)
    phone.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(phone.get_by_test_id("page-title")).to_have_text("客户 / 王先生")
    assert _lines(phone, "[data-testid=page-title]") == 1
    title = phone.get_by_test_id("page-title")
    assert title.evaluate("el => el.scrollWidth <= el.clientWidth")  # nothing cut off
    expect(phone.get_by_test_id("customer-edit")).to_be_visible()
    assert _lines(phone, "[data-testid=customer-edit]") == 1
