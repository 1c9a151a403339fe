"""After sending a reply the ticket page reloaded at its top: the agent scrolled down through the whole conversation
to see their message. It now lands on the message just sent, and what the page says about it (a warning that
nothing was sent) is shown there, beside the reply box, and announced."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from scrm.models import Channel
from scrm.platform.tenancy import platform_scope
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.errors import MSG_REPLY_NOT_SENT
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.e2e


@pytest.fixture
def long_ticket(organization):
    """A phone ticket (no channel to send a reply on) assigned to 小李, with a conversation longer than a screen."""
    with platform_scope():
        queue = QueueFactory(organization=organization, name="售后一线", code="l1", auto_assign=False)
        agent = make_agent(organization, queues=[queue], username="xiaoli")
        customer = CustomerFactory(organization=organization, display_name="王小明")
        ticket = TicketFactory(organization=organization, queue=queue, customer=customer, assignee=agent,
                               channel="phone", status=Ticket.Status.OPEN, subject="空调不制冷")
        start = timezone.now() - timedelta(hours=3)
        for n in range(14):
            Comment.objects.create(organization=organization, ticket=ticket, customer=customer if n % 2 == 0 else None,
                                   author=None if n % 2 == 0 else agent, is_public=True,
                                   body=f"第{n + 1}条：空调开了一个小时还是吹热风，遥控器显示正常。" * 3,
                                   created_at=start + timedelta(minutes=n))
    return ticket


# Whether each element's top (its first 40 px) is inside the window.
IN_VIEW = """(selectors) => selectors.every(selector => {
    const element = document.querySelector(selector);
    if (!element) return false;
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.top + Math.min(box.height, 40) <= window.innerHeight;
})"""


def test_a_sent_reply_lands_on_itself_with_its_warning_in_view(page, live_server, long_ticket):
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, "xiaoli", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/{long_ticket.pk}/")
    page.fill("[data-testid=reply-body]", "已为您登记上门检修，师傅明天上午联系您。")
    page.click("[data-testid=reply-submit]")

    with platform_scope():
        reply = Comment.objects.get(ticket=long_ticket, body="已为您登记上门检修，师傅明天上午联系您。")
    expect(page).to_have_url(f"{live_server.url}/tickets/{long_ticket.pk}/#comment-{reply.pk}")
    mine = page.locator(f"#comment-{reply.pk}")
    expect(mine).to_contain_text("已为您登记上门检修")
    warning = page.locator("[data-testid=reply-messages] [role=alert]")
    with translation.override("zh-hans"):
        expected = str(MSG_REPLY_NOT_SENT % {"channel": Channel.PHONE.label})
    expect(warning).to_have_text(expected)
    # The page opened on the reply, not at its top, with the warning in view too. Bootstrap scrolls smoothly, and on
    # a loaded machine its frames may pause longer than any fixed wait: poll until both are in view (or time out).
    page.wait_for_function(IN_VIEW, arg=[f"#comment-{reply.pk}", "[data-testid=reply-messages] [role=alert]"],
                           timeout=10_000)
    assert page.evaluate("window.scrollY") > 0
    # Said once: not a second time at the top of the page, out of sight.
    expect(page.get_by_text(expected)).to_have_count(1)


def test_a_refused_reply_still_opens_at_the_top_with_its_message(page, live_server, long_ticket):
    """Only a reply that went through lands on the conversation: a refusal keeps the page's top message."""
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, "xiaoli", TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/{long_ticket.pk}/")
    page.fill("[data-testid=reply-body]", "   ")
    page.click("[data-testid=reply-submit]")
    expect(page).to_have_url(f"{live_server.url}/tickets/{long_ticket.pk}/")
    expect(page.locator("main > .alert-danger")).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
