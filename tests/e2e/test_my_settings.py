"""个人设置 in a real browser: an agent opens it from the user menu, turns off the email of assigned tickets,
saves, sees it saved; a ticket assigned to them afterwards still shows in the product and sends no email."""

import pytest
from playwright.sync_api import expect

from notifications.models import Notification, NotificationDelivery
from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD
from tests.tickets.factories import TicketFactory
from tickets.services import ticket_assign

pytestmark = pytest.mark.e2e


def test_an_agent_turns_off_the_assignment_email_from_the_user_menu(page, live_server, organization, make_user):
    agent = make_user(organization, Role.AGENT, username="xiaoli", email="xiaoli@example.com")
    supervisor = make_user(organization, Role.SUPERVISOR, username="boss")

    login(page, live_server, agent.username, TEST_PASSWORD)
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("my-settings-link").click()
    page.wait_for_url(f"{live_server.url}/accounts/settings/")
    expect(page.locator(".scrm-page-title")).to_contain_text("个人设置")
    expect(page.get_by_test_id("my-in-app-note")).to_contain_text("站内通知始终开启")
    assigned = page.get_by_label("工单分配给我")
    expect(assigned).to_be_checked()
    expect(page.get_by_label("工单已超出 SLA 时限（升级规则通知到我时）")).not_to_be_checked()

    assigned.uncheck()
    page.get_by_test_id("my-settings-save").click()

    page.wait_for_url(f"{live_server.url}/accounts/settings/")
    expect(page.locator(".alert-success")).to_contain_text("已保存你的设置")
    expect(page.get_by_label("工单分配给我")).not_to_be_checked()
    expect(page.get_by_label("有人在工单中提到我")).to_be_checked()

    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, subject="空调不制冷")
        ticket_assign(ticket=ticket, assignee=agent, actor=supervisor)
        notification = Notification.objects.get(recipient=agent)
        assert notification.kind == Notification.Kind.ASSIGNED
        assert not NotificationDelivery.objects.filter(notification=notification).exists()
