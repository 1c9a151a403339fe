"""Customers in a real browser: find by mobile and read the timeline; reveal personal data (logged)."""

import pytest
from playwright.sync_api import expect

from scrm.customers.services import customer_create, customer_resolve
from scrm.models import Channel, PiiReveal, Role
from scrm.platform.tenancy import platform_scope
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def customers(organization):
    target = customer_resolve(organization=organization, channel=Channel.WECHAT_OA, app_id="wx-demo",
                              external_id="oA1b2c3d4", mobile="13812345678", profile={"nickname": "晴天"})
    customer_create(organization=organization, display_name="别的客户", mobile="13900000000")
    return target


def test_an_agent_finds_a_customer_by_mobile_and_opens_the_timeline(page, live_server, agent, customers):
    login(page, live_server, agent.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/")
    page.fill("#id_q", "138 1234 5678")
    page.click("[data-testid=filter-submit]")
    rows = page.locator("[data-testid=customer-table] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("138****5678")
    rows.first.get_by_role("link", name="晴天").click()
    expect(page.locator("[data-testid=customer-card]")).to_contain_text("晴天")
    expect(page.locator("[data-testid=timeline] [data-kind=identity]")).to_contain_text("微信公众号")
    expect(page.locator("[data-testid=customer-mobile]")).to_have_text("138****5678")
    expect(page.locator("[data-testid=reveal-pii]")).to_have_count(0)


def test_a_supervisor_reveals_the_full_mobile_and_the_look_is_logged(page, live_server, organization, make_user,
                                                                   customers):
    supervisor = make_user(organization, Role.SUPERVISOR)
    login(page, live_server, supervisor.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/{customers.pk}/")
    expect(page.locator("[data-testid=customer-mobile]")).to_have_text("138****5678")
    page.click("[data-testid=reveal-pii]")
    expect(page.locator("[data-testid=customer-mobile]")).to_have_text("13812345678")
    with platform_scope():
        assert PiiReveal.objects.filter(user=supervisor, customer=customers).count() == 1
