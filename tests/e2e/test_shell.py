"""The foundation shell in a real browser: sign-in per role, navigation, refusals, lockout, language, sign-out."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from scrm.models import Role
from scrm.platform.roles import MODULE_ROLES, ROLE_HOME_MODULE
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD

pytestmark = pytest.mark.e2e

MODULE_PATHS = {
    "tickets": "/tickets/",
    "customers": "/customers/",
    "forms": "/forms/",
    "settlement": "/settlement/",
    "reports": "/reports/",
    "settings": "/settings/",
}
# Written out by hand so that a wrong MODULE_ROLES table fails here instead of being mirrored.
EXPECTED_NAV = {
    Role.OPS_ADMIN: {"tickets", "customers", "forms", "settlement", "reports", "settings"},
    Role.SUPERVISOR: {"tickets", "customers", "forms", "reports"},
    Role.AGENT: {"tickets", "customers"},
    Role.FINANCE: {"settlement", "reports"},
    Role.VIEWER: {"tickets", "customers", "reports"},
}
EXPECTED_HOME = {
    Role.OPS_ADMIN: "/settings/",
    Role.SUPERVISOR: "/tickets/",
    Role.AGENT: "/tickets/",
    Role.FINANCE: "/settlement/",
    Role.VIEWER: "/reports/",
}
NAV_LINKS = "[data-testid=main-nav] a[data-module]"
TRANSLATIONS_COMPILED = (settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists()


def nav_modules(page):
    return set(page.locator(NAV_LINKS).evaluate_all("links => links.map(a => a.dataset.module)"))


@pytest.fixture
def agent_page(page, live_server, agent):
    login(page, live_server, agent.username, TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/tickets/")
    return page


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_each_role_signs_in_to_its_home_and_sees_exactly_its_navigation(
    page, live_server, organization, make_user, role
):
    expected = {module for module, roles in MODULE_ROLES.items() if role in roles}
    assert expected == EXPECTED_NAV[role]
    assert MODULE_PATHS[ROLE_HOME_MODULE[role]] == EXPECTED_HOME[role]
    user = make_user(organization, role, username=f"{role.value}-acme")

    login(page, live_server, user.username, TEST_PASSWORD)

    expect(page).to_have_url(f"{live_server.url}{EXPECTED_HOME[role]}")
    expect(page.locator(NAV_LINKS)).to_have_count(len(expected))
    assert nav_modules(page) == expected
    # Every entry the navigation offers opens a page of that module, none a refusal.
    hrefs = page.locator(NAV_LINKS).evaluate_all("links => links.map(a => [a.dataset.module, a.getAttribute('href')])")
    for module, href in hrefs:
        assert href == MODULE_PATHS[module]
        response = page.goto(href)
        assert response.status == 200, (module, response.status)
        expect(page.locator(f"{NAV_LINKS}[data-module={module}]")).to_have_attribute("aria-current", "page")
    # And every module it leaves out is refused, not merely hidden (fetched with the browser's session cookie; the
    # 403 page itself is rendered in a browser by test_agent_is_refused_admin_and_settings).
    for module in sorted(set(MODULE_PATHS) - expected):
        response = page.request.get(MODULE_PATHS[module], max_redirects=0)
        assert response.status == 403, (module, response.status)
        assert 'data-testid="error-title"' in response.text()


def test_agent_is_refused_admin_and_settings(agent_page, live_server):
    page = agent_page

    page.goto("/admin/")
    # Agents are not staff: the admin sends them to its own login form instead of showing the index.
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    expect(page.locator("#login-form")).to_be_visible()

    response = page.goto("/settings/")
    assert response.status == 403
    expect(page.get_by_test_id("error-title")).to_be_visible()
    expect(page.get_by_test_id("main-nav")).to_have_count(0)


def test_wrong_password_shows_error_and_repeated_failures_lock_the_account(page, live_server, agent):
    login(page, live_server, agent.username, "not-the-password")
    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")

    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        login(page, live_server, agent.username, "still-not-the-password")

    login(page, live_server, agent.username, TEST_PASSWORD)
    expect(page.get_by_test_id("locked-out")).to_be_visible()

    # Not signed in: a page of the app sends the browser back to the login form.
    page.goto("/tickets/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/tickets/$"))
    expect(page.locator("#id_username")).to_be_visible()


def test_ui_is_chinese_by_default_and_english_can_be_chosen(agent_page):
    """The browser asks for English (see the page fixture); Chinese is shown until the user chooses otherwise."""
    page = agent_page
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    page.locator("#language-select").select_option("en")
    page.get_by_test_id("language-form").locator("button[type=submit]").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/tickets/$"))
    # The choice sticks for the next page.
    page.goto("/customers/")
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.skipif(not TRANSLATIONS_COMPILED, reason="locale/zh_Hans/LC_MESSAGES/django.mo not compiled yet")
def test_navigation_labels_follow_the_chosen_language(agent_page):
    page = agent_page
    tickets_link = page.locator(f"{NAV_LINKS}[data-module=tickets]")
    expect(tickets_link).to_have_text("工单")

    page.locator("#language-select").select_option("en")
    page.get_by_test_id("language-form").locator("button[type=submit]").click()

    expect(tickets_link).to_have_text("Tickets")


def test_sign_out_from_the_user_menu_returns_to_the_login_page(agent_page, live_server):
    page = agent_page

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.locator("#id_username")).to_be_visible()
    page.goto("/tickets/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/tickets/$"))


def test_finance_finds_its_reports_and_settlement_pages(page, live_server, organization, make_user):
    finance = make_user(organization, Role.FINANCE)
    login(page, live_server, finance.username, TEST_PASSWORD)
    page.goto("/reports/")
    expect(page.get_by_test_id("report-finance-dashboard")).to_be_visible()
    expect(page.get_by_test_id("module-pending")).to_have_count(0)

    page.goto("/settlement/")
    page.get_by_test_id("section-discrepancies").click()
    expect(page).to_have_url(re.compile(r"/settlement/discrepancies/$"))


def test_the_forms_module_lists_the_forms(page, live_server, organization, make_user):
    supervisor = make_user(organization, Role.SUPERVISOR)
    login(page, live_server, supervisor.username, TEST_PASSWORD)
    page.goto("/forms/")

    expect(page.get_by_test_id("form-table")).to_be_visible()
    expect(page.get_by_test_id("module-pending")).to_have_count(0)


def test_a_sign_in_link_to_a_page_of_another_role_lands_on_the_users_home(page, live_server, agent):
    """A colleague's link to /settlement/ opened the sign-in form; signing in as an agent showed a bare 403."""
    page.goto(f"{live_server.url}/settlement/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/settlement/$"))
    page.fill("#id_username", agent.username)
    page.fill("#id_password", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/tickets/")
    expect(page.get_by_text("您要打开的页面需要其他角色的权限")).to_be_visible()


# For each sidebar entry: its label, whether its icon sits on the label's first line, and whether a wrapped label keeps
# clear of the icon's column (every line starts right of the icon).
# (Entries folded under another module are not on screen and not measured.)
NAV_ENTRY_SHAPES = """() => Array.from(document.querySelectorAll("[data-testid=main-nav] a"))
    .filter(a => a.getClientRects().length).map(a => {
    const icon = a.querySelector(".bi").getBoundingClientRect(), range = document.createRange();
    const rects = [];
    for (const node of a.childNodes) {
        if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) continue;
        range.selectNodeContents(node);
        rects.push(...Array.from(range.getClientRects()).filter(r => r.width > 0));
    }
    const first = rects[0], middle = (icon.top + icon.bottom) / 2;
    return [a.textContent.trim(), middle > first.top && middle < first.bottom, rects.every(r => r.left >= icon.right)];
})"""


def unfold_every_module(page):
    """Open every module's pages in the sidebar (only the current module's are open), as a click on its chevron does."""
    folded = page.eval_on_selector_all("[data-testid^=subnav-toggle-].collapsed",
                                       "els => els.map(e => e.dataset.testid)")
    for testid in folded:
        page.get_by_test_id(testid).click()
    for pages in page.locator("[data-testid^=subnav-]:not([data-testid^=subnav-toggle-])").all():
        expect(pages).to_be_visible()
        expect(pages).not_to_have_class(re.compile(r"\bcollapsing\b"))


def test_a_long_english_sidebar_label_wraps_beside_its_icon(page, live_server, organization, make_user):
    """In English an ops admin's sidebar showed 对账 Reconciliation, 差异 Discrepancies and 配置变更记录 Configuration
    changes as an icon alone on a line with the words under it, and the second line of Accepted currencies, Payment
    channels, Notification channels ... under the icon; a label now wraps beside its icon."""
    ops = make_user(organization, Role.OPS_ADMIN)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login(page, live_server, ops.username, TEST_PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/settings/")
    expect(page.locator("[data-testid=main-nav]")).to_contain_text("Notification channels")
    unfold_every_module(page)
    shapes = page.evaluate(NAV_ENTRY_SHAPES)
    assert len(shapes) > 35  # every module and its pages
    assert [label for label, beside, clear in shapes if not (beside and clear)] == []


def test_only_the_current_modules_pages_are_open_and_a_chevron_opens_another_in_place(page, live_server,
                                                                                      organization, make_user):
    """An ops admin's sidebar listed every module's pages at once (about 40 entries, two screens on a laptop): only
    the current module's are open now; the others fold under their entry, and its chevron opens them where they
    are, without leaving the page."""
    ops = make_user(organization, Role.OPS_ADMIN)
    login(page, live_server, ops.username, TEST_PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/tickets/queues/")
    expect(page.get_by_test_id("subnav-tickets")).to_be_visible()
    expect(page.get_by_test_id("subnav-settings")).to_be_hidden()
    expect(page.get_by_test_id("subnav-settlement")).to_be_hidden()
    nav_height = page.get_by_test_id("main-nav").bounding_box()["height"]
    assert nav_height < 768 - 100  # the whole sidebar on one laptop screen

    toggle = page.get_by_test_id("subnav-toggle-settings")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-label", "设置的页面")
    toggle.click()
    expect(page.get_by_test_id("subnav-settings")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert page.url == f"{live_server.url}/tickets/queues/"
    page.get_by_test_id("subnav-settings").get_by_role("link", name="队列").click()
    expect(page.get_by_test_id("subnav-settings")).to_be_visible()  # now the current module's
    expect(page.get_by_test_id("subnav-tickets")).to_be_hidden()
