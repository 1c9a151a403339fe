"""The SLA badge in a real browser: on an agent's list at 1366 px, tickets whose first response is overdue while the
resolution still runs name both targets, and the list still fits (the badge breaks between targets)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scrm.platform.tenancy import tenant_scope
from sla.models import PRESET_24X7
from sla.services import calendar_create
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD
from tests.sla.factories import sla_policy, staffed_queue
from tests.tickets.factories import CustomerFactory
from tickets.models import Ticket
from tickets.services import ticket_open

pytestmark = pytest.mark.e2e


@pytest.fixture
def late_desk(organization):
    """An agent holding 8 tickets with long subjects, each not answered 5 hours past its first response due time,
    with days of its resolution left."""
    with tenant_scope(organization):
        calendar = calendar_create(organization=organization, name="全天", weekly_hours=PRESET_24X7,
                                   follows_china_holidays=False)
        _queue, ticket_type, agent, _boss = staffed_queue(organization)
        sla_policy(organization, calendar)
        customer = CustomerFactory(organization=organization, display_name="安静的美男子47")
        now = timezone.now()
        for n in range(8):
            ticket = ticket_open(organization=organization, customer=customer, channel="wechat_oa",
                                 subject=f"订单 XH2026112200001{n} 的退款 RFXH2026112200001{n}", description="",
                                 type=ticket_type, priority=1)
            # As the SLA services leave a ticket 5 hours past its first response due time (the sweep recorded the
            # breach) whose resolution is due in 1 day 16 hours.
            Ticket.objects.filter(pk=ticket.pk).update(
                first_response_due_at=now - timedelta(hours=5, minutes=1),
                resolution_due_at=now + timedelta(days=1, hours=16), sla_breached=True, sla_warn_at=None)
    return agent


def test_the_agents_list_names_both_targets_and_fits_at_1366(page, live_server, late_desk):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live_server, late_desk.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/tickets/")
    badges = page.locator("[data-testid=sla-cell] .sla-badge")
    expect(badges).to_have_count(8)
    expect(badges.first).to_contain_text("首次响应已超时 5小时01分")
    expect(badges.first).to_contain_text("解决剩余 1天15小时")
    overflow = page.evaluate("() => { const t = document.querySelector('[data-testid=sla-cell]').closest('table');"
                             " return t.scrollWidth - t.parentElement.clientWidth; }")
    assert overflow <= 0
