"""The organization's people and places configured in the product, in a real browser: ops create a team and add an
agent, create a colleague's account who then signs in with the password shown once, and rename a region, which the
ticket list's region filter then offers under its new name."""

import pytest
from playwright.sync_api import expect

from scrm.models import AgentProfile, Region, Role
from scrm.platform.tenancy import platform_scope
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(organization):
    with platform_scope():
        ops = UserFactory(organization=organization, username="ops", display_name="运营", roles=[Role.OPS_ADMIN])
        agent = UserFactory(organization=organization, username="xiaozhou", display_name="小周", roles=[Role.AGENT])
        east = Region.objects.create(organization=organization, name="华东", code="EAST", path="/EAST/",
                                     level=Region.Level.AREA)
    return {"ops": ops, "agent": agent, "east": east}


def test_ops_creates_a_team_and_adds_an_agent(page, live_server, desk):
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/settings/")
    page.locator("[data-testid=settings-pages]").get_by_role("link", name="团队").click()
    page.fill("#id_name", "售后夜班")
    page.fill("#id_code", "night")
    page.click("[data-testid=team-save]")
    expect(page.locator("[data-testid=team-members]")).to_contain_text("暂无成员")
    page.select_option("[data-testid=team-member-add-form] select", str(desk["agent"].pk))
    page.click("[data-testid=team-member-add]")
    expect(page.locator("[data-testid=team-member]")).to_contain_text("小周")
    expect(page.locator("[data-testid=team-rows]")).to_contain_text("售后夜班")
    expect(page.locator("[data-testid=settings-changes]")).to_be_visible()
    with platform_scope():
        assert AgentProfile.objects.get(user=desk["agent"]).team.name == "售后夜班"


def test_ops_creates_a_user_with_a_role_who_then_signs_in(page, live_server, desk):
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/settings/users/")
    page.click("[data-testid=user-new]")
    page.fill("#id_username", "xiaoli")
    page.fill("#id_display_name", "小李")
    page.fill("#id_mobile", "13800001111")
    page.check("input[name=roles][value=supervisor]")
    page.click("[data-testid=user-save]")
    password = page.locator("[data-testid=temporary-password-value]").inner_text().strip()
    assert len(password) >= 12

    page.context.clear_cookies()
    login(page, live_server, "xiaoli", password)
    expect(page).to_have_url(f"{live_server.url}/tickets/")
    expect(page.locator("body")).to_contain_text("小李")


def test_a_region_rename_shows_in_the_ticket_lists_region_filter(page, live_server, desk):
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/settings/regions/")
    row = page.locator("[data-testid=region-row]", has_text="华东")
    row.locator("[data-testid=region-edit]").click()
    page.fill("#id_name", "华东大区")
    page.click("[data-testid=region-save]")
    expect(page.locator("[data-testid=region-rows]")).to_contain_text("华东大区")

    page.goto(f"{live_server.url}/tickets/queues/")
    options = page.locator("#id_region option")
    expect(options).to_have_text(["全部", "华东大区"])
