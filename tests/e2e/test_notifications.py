"""Notifications in a real browser: the bell counts up on its own when a supervisor assigns the agent a ticket,
a click on it opens a panel of the newest ones, and opening the notification there marks it read; a new
unassigned P1 in a manual queue reaches its supervisor at once; an English reader reads them in English."""

import re

import pytest
from playwright.sync_api import expect

from notifications.models import Notification
from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD, TeamFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory
from tickets.models import Ticket
from tickets.services import ticket_assign, ticket_open

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
    item = page.locator("[data-testid=notification-panel-item]")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-unread", "true")
    expect(item).to_contain_text(ticket.number)

    item.locator("[data-testid=notification-panel-open]").click()
    page.wait_for_url(f"{live_server.url}/tickets/**")
    expect(page.locator("[data-testid=notification-count]")).to_have_count(0)
    page.goto(f"{live_server.url}/notifications/")
    expect(page.locator("[data-testid=notification]")).to_have_attribute("data-unread", "false")


def test_a_new_unassigned_p1_in_a_manual_queue_reaches_the_supervisor_at_once(page, live_server, organization,
                                                                             make_user, settings):
    """Issue 10's alert: the queue's supervisor, signed in, sees the bell count up for a P1 nobody was given and
    opens the ticket from the notification."""
    settings.NOTIFY_BELL_POLL_SECONDS = 1
    supervisor = make_user(organization, Role.SUPERVISOR, username="lead", email="")
    with tenant_scope(organization):
        team = TeamFactory(organization=organization, leader=supervisor)
        queue = QueueFactory(organization=organization, name="投诉专席", code="complaints", team=team,
                             auto_assign=False)
        customer = CustomerFactory(organization=organization, display_name="王小明")

    login(page, live_server, supervisor.username, TEST_PASSWORD)
    expect(page.locator("[data-testid=notification-bell]")).to_be_visible()
    expect(page.locator("[data-testid=notification-count]")).to_have_count(0)

    with tenant_scope(organization):
        ticket = ticket_open(organization=organization, customer=customer, subject="订单丢失，我要投诉",
                             description="", channel="wechat_oa", queue=queue, priority=Ticket.Priority.P1)
    assert ticket.assignee_id is None

    expect(page.locator("[data-testid=notification-count]")).to_have_text(re.compile(r"^1\b"), timeout=10_000)
    page.locator("[data-testid=notification-bell]").click()
    item = page.locator("[data-testid=notification-panel-item]")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(ticket.number)
    expect(item).to_contain_text("投诉专席")
    item.locator("[data-testid=notification-panel-open]").click()
    page.wait_for_url(f"{live_server.url}/tickets/{ticket.pk}/")
    expect(page.locator("body")).to_contain_text("订单丢失，我要投诉")


def test_an_english_reader_sees_the_notification_in_english(page, live_server, organization, make_user, settings):
    """Notifications are stored in no language: the SLA warning a Chinese colleague reads in Chinese reads in
    English for an agent who chose English, and a row written before (a sentence) still shows as it was."""
    settings.NOTIFY_BELL_POLL_SECONDS = 1
    agent = make_user(organization, Role.AGENT, username="emma", email="")
    supervisor = make_user(organization, Role.SUPERVISOR, username="boss")
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, subject="空调不制冷")
        Notification.objects.create(organization=organization, recipient=agent, kind=Notification.Kind.SLA_BREACH,
                                    title="SLA：工单 T20261101-000001 首次响应已超时")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login(page, live_server, agent.username, TEST_PASSWORD)
    expect(page.locator("[data-testid=notification-count]")).to_have_text(re.compile(r"^1\b"))

    ticket_assign(ticket=ticket, assignee=agent, actor=supervisor)

    expect(page.locator("[data-testid=notification-count]")).to_have_text(re.compile(r"^2\b"), timeout=10_000)
    page.locator("[data-testid=notification-bell]").click()
    items = page.locator("[data-testid=notification-panel-item]")
    expect(items).to_have_count(2)
    expect(items.first.locator("[data-testid=notification-panel-title]")).to_have_text(
        f"Ticket {ticket.number} was assigned to you")
    expect(items.first).to_contain_text("Ticket assigned")  # the kind's badge, in English too
    expect(items.nth(1).locator("[data-testid=notification-panel-title]")).to_have_text(
        "SLA：工单 T20261101-000001 首次响应已超时")
    expect(page.locator("[data-testid=notification-panel-all]")).to_have_text("View all")

    page.goto(f"{live_server.url}/notifications/")  # the centre, worded the same way
    items = page.locator("[data-testid=notification]")
    expect(items.first.locator("[data-testid=notification-open]")).to_have_text(
        f"Ticket {ticket.number} was assigned to you")


def test_an_agent_opens_the_newest_notification_from_the_bell(page, live_server, organization, make_user):
    """The bell's panel: the newest on top, worded in Chinese, a click lands on its ticket and the count drops."""
    agent = make_user(organization, Role.AGENT, username="xiaowang", email="")
    supervisor = make_user(organization, Role.SUPERVISOR, username="boss")
    with tenant_scope(organization):
        older = TicketFactory(organization=organization, subject="洗衣机漏水")
        newest = TicketFactory(organization=organization, subject="冰箱不制冷")
    ticket_assign(ticket=older, assignee=agent, actor=supervisor)
    ticket_assign(ticket=newest, assignee=agent, actor=supervisor)

    login(page, live_server, agent.username, TEST_PASSWORD)
    count = page.locator("[data-testid=notification-count]")
    expect(count).to_have_text(re.compile(r"^2\b"))
    panel = page.locator("[data-testid=notification-panel]")
    expect(panel).to_be_hidden()
    expect(page.locator("[data-testid=notification-panel-item]")).to_have_count(0)  # not loaded with the page

    page.locator("[data-testid=notification-bell]").click()
    expect(panel).to_be_visible()
    items = panel.locator("[data-testid=notification-panel-item]")
    expect(items).to_have_count(2)
    expect(items.first.locator("[data-testid=notification-panel-title]")).to_have_text(
        f"工单 {newest.number} 已分配给你")
    expect(items.first).to_contain_text("工单已指派")
    expect(panel.locator("[data-testid=notification-panel-all]")).to_have_text("查看全部")

    items.first.locator("[data-testid=notification-panel-open]").click()
    page.wait_for_url(f"{live_server.url}/tickets/{newest.pk}/")
    expect(page.locator("body")).to_contain_text("冰箱不制冷")
    expect(count).to_have_text(re.compile(r"^1\b"))


def test_the_bell_by_keyboard_and_mark_all_read(page, live_server, organization, make_user):
    """Tab to the bell, Enter opens it, the arrow keys reach a notification; "全部标为已读" empties the count at once
    and the panel says there is nothing new."""
    agent = make_user(organization, Role.AGENT, username="xiaozhao", email="")
    supervisor = make_user(organization, Role.SUPERVISOR, username="boss")
    with tenant_scope(organization):
        tickets = [TicketFactory(organization=organization, subject=f"售后{n}") for n in range(3)]
    for ticket in tickets:
        ticket_assign(ticket=ticket, assignee=agent, actor=supervisor)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    login(page, live_server, agent.username, TEST_PASSWORD)
    count = page.locator("[data-testid=notification-count]")
    expect(count).to_have_text(re.compile(r"^3\b"))

    bell = page.locator("[data-testid=notification-bell]")
    bell.focus()
    page.keyboard.press("Enter")
    panel = page.locator("[data-testid=notification-panel]")
    expect(panel.locator("[data-testid=notification-panel-item]")).to_have_count(3)
    page.keyboard.press("ArrowDown")
    expect(panel.locator("[data-testid=notification-panel-open]").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(bell).to_be_focused()

    bell.click()
    panel.locator("[data-testid=notification-panel-read-all]").click()
    expect(panel.locator("[data-testid=notification-panel-empty]")).to_have_text("没有新通知")
    expect(panel).to_be_visible()  # a click inside keeps the panel open
    expect(count).to_have_count(0)
    expect(panel.locator("[data-unread=true]")).to_have_count(0)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
