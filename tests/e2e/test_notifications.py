"""Notifications in a real browser: the bell counts up on its own when a supervisor assigns the agent a ticket,
and opening the notification marks it read."""

import re

import pytest
from playwright.sync_api import expect

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD
from tests.tickets.factories import TicketFactory
from tickets.services import ticket_assign

pytestmark = pytest.mark.e2e


def test_an_agent_sees_the_bell_count_rise_and_opens_the_notification(page, live_server, organization, make_user,
                                                                     settings):
    settings.NOTIFY_BELL_POLL_SECONDS = 1  # the live server runs in this process: the bell polls every second
    agent = make_user(organization, Role.AGENT, username="xiaoli", email="")
    supervisor = make_user(organization, Role.SUPERVISOR, username="boss")
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, subject="空调不制冷")

    login(page, live_server, agent.username, TEST_PASSWORD)
    bell = page.locator("[data-testid=notification-bell]")
    expect(bell).to_be_visible()
    expect(page.locator("[data-testid=notification-count]")).to_have_count(0)

    ticket_assign(ticket=ticket, assignee=agent, actor=supervisor)

    # "1" and a visually hidden "unread" for screen readers.
    expect(page.locator("[data-testid=notification-count]")).to_have_text(re.compile(r"^1\b"), timeout=10_000)
    page.locator("[data-testid=notification-bell]").click()
    item = page.locator("[data-testid=notification]")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-unread", "true")
    expect(item).to_contain_text(ticket.number)

    item.locator("[data-testid=notification-open]").click()
    page.wait_for_url(f"{live_server.url}/tickets/**")
    expect(page.locator("[data-testid=notification-count]")).to_have_count(0)
    page.goto(f"{live_server.url}/notifications/")
    expect(page.locator("[data-testid=notification]")).to_have_attribute("data-unread", "false")
