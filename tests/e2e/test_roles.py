"""Custom roles in a real browser: ops define a role that sees one region's tickets, hand it to a colleague, and the
colleague's queue then holds that region's tickets only."""

import pytest
from playwright.sync_api import expect

from scrm.models import AgentProfile, Region, Role
from scrm.platform.tenancy import platform_scope
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD, UserFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def regions_desk(organization):
    with platform_scope():
        ops = UserFactory(organization=organization, username="ops", roles=[Role.OPS_ADMIN])
        east = Region.objects.create(organization=organization, name="华东", code="EAST", path="/EAST/",
                                     level=Region.Level.AREA)
        west = Region.objects.create(organization=organization, name="华西", code="WEST", path="/WEST/",
                                     level=Region.Level.AREA)
        clerk = UserFactory(organization=organization, username="xiaozhou", display_name="小周")
        profile = AgentProfile.objects.create(organization=organization, user=clerk)
        profile.regions.set([east])
        queue = QueueFactory(organization=organization, name="售后一线", auto_assign=False)
        customer = CustomerFactory(organization=organization, display_name="王小明")
        TicketFactory(organization=organization, customer=customer, queue=queue, region=east, subject="华东空调不制冷")
        TicketFactory(organization=organization, customer=customer, queue=queue, region=west, subject="华西冰箱异响")
    return {"ops": ops, "clerk": clerk}


def test_ops_creates_a_region_role_assigns_it_and_the_holder_sees_only_that_region(page, live_server, regions_desk):
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/settings/roles/")
    expect(page.locator("[data-testid=preset-role-agent]")).to_be_visible()
    page.click("[data-testid=role-new]")
    page.fill("#id_name", "华东专员")
    page.check("input[name=modules][value=tickets]")
    page.check("input[name=permissions][value='tickets.view_ticket']")
    page.check("input[name=data_scope][value=region]")
    page.check("input[name=masked_fields][value=mobile]")
    page.click("[data-testid=role-save]")
    expect(page.locator("[data-testid=role-holders]")).to_be_visible()

    page.select_option("[data-testid=role-assign-form] select", str(regions_desk["clerk"].pk))
    page.click("[data-testid=role-assign]")
    expect(page.locator("[data-testid=role-holder]")).to_contain_text("小周")
    page.goto(f"{live_server.url}/settings/roles/")
    expect(page.locator("[data-testid=custom-role-row]")).to_contain_text("华东专员")

    page.context.clear_cookies()
    login(page, live_server, "xiaozhou", TEST_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/tickets/")
    expect(page.locator("main")).to_contain_text("华东空调不制冷")
    expect(page.locator("main")).not_to_contain_text("华西冰箱异响")
