"""The agents' lists on a laptop screen (1366×768): every column heading on one line, and the last column inside the
window, not hidden behind a sideways scroll of the table."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scrm.customers.services import customer_create
from scrm.models import Customer, CustomerTag, Region, Role, Tag, TagGroup, User
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.e2e.conftest import login
from tests.forms_builder.factories import published_form
from tests.scrm.factories import TEST_PASSWORD, TeamFactory, UserFactory
from tests.sla.factories import office_calendar, sla_policy
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, TicketTypeFactory, make_agent
from tickets.models import Ticket

pytestmark = pytest.mark.e2e

# For each heading of the table: its text, how many lines it takes, and its right edge; then the right edge of the
# last cell of the first row, of the table's scrolling box, and the window's width.
# The lines an element's text takes (text nodes only: an element box has a top of its own).
LINES = """el => {
    const range = document.createRange(), tops = new Set();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent.trim()) continue;
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) tops.add(Math.round(r.top));
    }
    return tops.size;
}"""
MEASURE = """table => {
    const lines = """ + LINES + """;
    const heads = Array.from(table.tHead.rows[0].cells).map(th => [th.innerText.trim(), lines(th)]);
    const lastHead = table.tHead.rows[0].cells[table.tHead.rows[0].cells.length - 1].getBoundingClientRect();
    const row = table.tBodies[0].rows[0];
    const lastCell = row.cells[row.cells.length - 1].getBoundingClientRect();
    const box = table.parentElement.getBoundingClientRect();
    const widths = Array.from(table.tHead.rows[0].cells).map(th => Math.round(th.getBoundingClientRect().width));
    return {widths, heads, lastHead: lastHead.right, lastCell: lastCell.right, box: box.right,
            scroll: table.parentElement.scrollWidth - table.parentElement.clientWidth,
            window: document.documentElement.clientWidth};
}"""


def _assert_fits(page, testid, width=1366):
    page.set_viewport_size({"width": width, "height": 768})
    m = page.locator(f"[data-testid={testid}]").evaluate(MEASURE)
    assert [text for text, lines in m["heads"] if lines > 1] == []  # no heading breaks, e.g. 等 / 级
    assert m["lastHead"] <= m["box"] + 0.5 and m["lastCell"] <= m["box"] + 0.5  # inside the table's box ...
    assert m["box"] <= m["window"] and m["scroll"] <= 0  # ... which is inside the window, with nothing to scroll
    return m["widths"]


def _long_team_queue(organization):
    """A supervisor's team queue of tickets waiting on the customer, overdue and under long queue, agent and type
    names; returns the supervisor's username."""
    with platform_scope():
        supervisor = UserFactory(organization=organization, username="boss", roles=[Role.SUPERVISOR])
        team = TeamFactory(organization=organization, name="华东售后服务组", leader=supervisor)
        queue = QueueFactory(organization=organization, name="空调售后一线（华东）", code="l1", team=team,
                             auto_assign=False)
        agent = make_agent(organization, queues=[queue], username="wangxiaoming", team=team)
        User.objects.filter(pk=agent.pk).update(display_name="王晓明（华东二组）")
        kind = TicketTypeFactory(organization=organization, name="退换货申请（七天无理由）")
        customer = CustomerFactory(organization=organization, display_name="安静的美男子47", level="vip")
        policy = sla_policy(organization, office_calendar(organization))
        now = timezone.now()
        statuses = (Ticket.Status.PENDING, Ticket.Status.ON_HOLD, Ticket.Status.OPEN)
        for n in range(6):
            TicketFactory(organization=organization, customer=customer, queue=queue, team=team, assignee=agent,
                          type=kind, status=statuses[n % 3], priority=1 + n % 4, sla_policy=policy,
                          sla_breached=True, first_response_due_at=now - timedelta(hours=5, minutes=1),
                          resolution_due_at=now + timedelta(days=1, hours=16),
                          subject=f"电饭煲收到外壳有划痕，要求退货，顺便问一下发票什么时候能开出来{n}")
    return supervisor.username


def test_the_team_queue_shows_its_created_column_at_1366(page, live_server, organization):
    """创建时间, the last column, was cut off inside the table (behind a sideways scroll) on a supervisor's team queue
    of tickets waiting on the customer, overdue and under long queue, agent and type names."""
    login(page, live_server, _long_team_queue(organization), TEST_PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/tickets/queues/")
    expect(page.locator("[data-testid=ticket-table] tbody tr")).to_have_count(6)
    widths = _assert_fits(page, "ticket-table")
    assert widths[2] >= 150  # the subject keeps room for its words


# Each SLA countdown of the page ("13 h 32 min") and how many lines it takes.
DURATION_LINES = """() => Array.from(document.querySelectorAll(".sla-countdown")).map(el => {
    const range = document.createRange(), tops = new Set();
    const found = /\\d(?:\\S|\\u00a0)*/.exec(el.textContent);  // the duration: "5 h 01 min", "5小时01分"
    range.setStart(el.firstChild, found.index);
    range.setEnd(el.firstChild, found.index + found[0].length);
    for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
    return [found[0], tops.size];
})"""


@pytest.mark.parametrize(("language", "width"), [("en", 1366), ("en", 1280), ("zh-hans", 1280)])
def test_the_team_queue_fits_in_english_and_at_1280(page, live_server, organization, language, width):
    """In English the SLA badge's targets are long words ("First response overdue by 5 h 01 min") that never broke:
    the SLA column took a third of the row and pushed Type and Created behind a sideways scroll. A target now breaks
    between its words, never inside its duration."""
    username = _long_team_queue(organization)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, live_server, username, TEST_PASSWORD)
    page.set_viewport_size({"width": width, "height": 768})
    page.goto(f"{live_server.url}/tickets/queues/")
    created = "Created" if language == "en" else "创建时间"
    expect(page.locator("[data-testid=ticket-table] thead")).to_contain_text(created)
    expect(page.locator("[data-testid=ticket-table] tbody tr")).to_have_count(6)
    _assert_fits(page, "ticket-table", width)  # Created in view, nothing to scroll sideways
    durations = page.evaluate(DURATION_LINES)
    assert durations and all(lines == 1 for _, lines in durations), durations


def test_the_customer_list_keeps_short_headings_on_one_line_at_1366(page, live_server, organization, make_user):
    supervisor = make_user(organization, Role.SUPERVISOR)
    with tenant_scope(organization):
        region = Region.objects.create(organization=organization, name="华东大区", code="EAST", path="/EAST/",
                                       level=Region.Level.AREA)
        group = TagGroup.objects.create(organization=organization, name="价值")
        tags = [Tag.objects.create(organization=organization, group=group, name=name, color="primary")
                for name in ("大客户", "投诉敏感", "复购")]
        for n in range(5):
            customer = customer_create(organization=organization, display_name=f"上海某某电器有限公司采购部{n}",
                                       mobile=f"1381234567{n}")
            Customer.objects.filter(pk=customer.pk).update(level="vip", region=region, owner=supervisor,
                                                           last_contact_at=timezone.now())
            for tag in tags:
                CustomerTag.objects.create(organization=organization, customer=customer, tag=tag)
    login(page, live_server, supervisor.username, TEST_PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator("[data-testid=customer-table] tbody tr")).to_have_count(5)
    _assert_fits(page, "customer-table")


# Every pair of a page's form controls that cover each other (by more than a pixel each way), named by their labels.
OVERLAPS = """() => {
    const boxes = Array.from(document.querySelectorAll(
        "form input:not([type=hidden]), form select, form button, form a.btn"))
        .filter(el => el.offsetParent !== null)
        .map(el => [el.name || el.textContent.trim(), el.getBoundingClientRect()]);
    const found = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const [a, ra] = boxes[i], [b, rb] = boxes[j];
        const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (x > 1 && y > 1) found.push(a + " / " + b);
    }
    return found;
}"""


@pytest.mark.parametrize("path", ["/settlement/orders/", "/settlement/statements/", "/settlement/discrepancies/",
                                  "/settlement/settlements/", "/settlement/partners/"])
def test_finance_filters_keep_their_date_ranges_clear_of_the_next_box_at_1366(page, live_server, organization,
                                                                                make_user, path):
    """A from–to range sat in a sixth of the row: its second date box ran under the next field (订单号或交易号) or under
    the 筛选 button, and a click landed on the wrong box. A range now takes a third of the row."""
    finance = make_user(organization, Role.FINANCE)
    login(page, live_server, finance.username, TEST_PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}{path}")
    expect(page.locator("form button[type=submit]").first).to_be_visible()
    assert page.evaluate(OVERLAPS) == []


@pytest.mark.parametrize("width", [1366, 1280])
def test_a_forms_submission_filters_keep_their_ranges_clear_of_the_next_box(page, live_server, organization,
                                                                             make_user, width):
    """A form's submissions (安装单 in the demo): the 完工日期 from–to range sat in a quarter of the row and its second
    date box ran under the 筛选 button. A range now takes twice a field's width."""
    supervisor = make_user(organization, Role.SUPERVISOR)
    with tenant_scope(organization):
        form = published_form(organization, slug="install", purpose="survey", name="安装单", schema={"sections": [
            {"key": "s", "fields": [
                {"key": "address", "type": "text", "label": "安装地址"},
                {"key": "model", "type": "text", "label": "机型"},
                {"key": "lift", "type": "dropdown", "label": "有无电梯",
                 "options": [{"value": "yes", "label": "有"}, {"value": "no", "label": "无"}]},
                {"key": "floor", "type": "number", "label": "楼层"},
                {"key": "fee", "type": "money", "label": "辅材费"},
                {"key": "done_at", "type": "date", "label": "完工日期"},
            ]}]})
    login(page, live_server, supervisor.username, TEST_PASSWORD)
    page.set_viewport_size({"width": width, "height": 768})
    page.goto(f"{live_server.url}/forms/{form.pk}/submissions/")
    expect(page.locator("[data-testid=submission-filter-submit]")).to_be_visible()
    assert page.evaluate(OVERLAPS) == []
