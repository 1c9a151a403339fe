"""The last headings that broke on a laptop screen (1366 and 1280 wide): each on one line, in Chinese and English."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scrm.models import DataScope, Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.services.roles import role_assign, role_save
from sla.models import PRESET_24X7
from sla.services import calendar_create
from tests.e2e.conftest import login
from tests.e2e.test_list_layout import LINES, _assert_fits
from tests.forms_builder.factories import published_form
from tests.scrm.factories import TEST_PASSWORD, AgentProfileFactory, TeamFactory, UserFactory
from tests.sla.factories import office_calendar, sla_policy, staffed_queue
from tests.tickets.factories import CustomerFactory, QueueFactory
from tickets.services import ticket_open, ticket_reply

pytestmark = pytest.mark.e2e

WIDTHS = [("zh-hans", 1366), ("zh-hans", 1280), ("en", 1366), ("en", 1280)]


def _open(page, live_server, user, path, language, width):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, live_server, user.username, TEST_PASSWORD)
    page.set_viewport_size({"width": width, "height": 768})
    page.goto(f"{live_server.url}{path}")


@pytest.mark.parametrize(("language", "width"), WIDTHS)
def test_the_forms_list_keeps_its_headings_on_one_line(page, live_server, organization, ops_admin, language,
                                                       width):
    """Beside the 新建表单 card the list had two thirds of the row: 当前版本, 版本, 提交记录 and the updated date each
    broke over two lines (Current version in English)."""
    with tenant_scope(organization):
        for n, name in enumerate(("空调安装预约登记表（华东区）", "售后维修上门服务满意度回访问卷", "报修")):
            published_form(organization, slug=f"form-{n}", name=name)
    _open(page, live_server, ops_admin, "/forms/", language, width)
    expect(page.locator("[data-testid=form-table] tbody tr")).to_have_count(3)
    _assert_fits(page, "form-table", width)


# Every drop-down of a ladder step whose chosen option is cut ("At a percentage of the t…"), and every label or
# heading of a step that breaks over lines (移 / 除).
LADDER_CUTS = """() => {
    const canvas = document.createElement("canvas").getContext("2d");
    const cut = [];
    for (const select of document.querySelectorAll("[data-testid=ladder-step] select")) {
        const style = getComputedStyle(select);
        canvas.font = style.font;
        const text = select.options[select.selectedIndex].text;
        const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        if (canvas.measureText(text).width > room) cut.push(text);
    }
    for (const label of document.querySelectorAll("[data-testid=ladder-step] label")) {
        const range = document.createRange(), tops = new Set();
        range.selectNodeContents(label);
        for (const r of range.getClientRects()) tops.add(Math.round(r.top));
        if (tops.size > 1) cut.push(label.textContent.trim());
    }
    return cut;
}"""


@pytest.mark.parametrize(("language", "width"), WIDTHS)
def test_the_escalation_ladder_shows_each_step_whole(page, live_server, organization, ops_admin, language, width):
    """A step's 移除 broke over two lines beside its checkbox, and in English the trigger read 'At a percentage of
    the t…', cut by its box. Each now reads whole."""
    with tenant_scope(organization):
        calendar = calendar_create(organization=organization, name="全天", weekly_hours=PRESET_24X7,
                                   follows_china_holidays=False)
        policy = sla_policy(organization, calendar, name="标准服务", steps=[
            {"position": 0, "metric": "resolution", "trigger": "percent", "trigger_value": 80,
             "notify_assignee": True},
            {"position": 1, "metric": "first_response", "trigger": "after_breach", "trigger_value": 30,
             "notify_supervisor": True}])
    _open(page, live_server, ops_admin, f"/sla/policies/{policy.pk}/", language, width)
    expect(page.locator("[data-testid=ladder-step]")).to_have_count(2)
    assert page.evaluate(LADDER_CUTS) == []


@pytest.mark.parametrize("width", [1366, 1280])
def test_the_teams_and_queues_settings_keep_english_headings_on_one_line(page, live_server, organization, ops_admin,
                                                                         width):
    """At 1280, in English, the queues' "Assignment strategy" broke over two lines; the teams' headings stay whole."""
    with tenant_scope(organization):
        parent = TeamFactory(organization=organization, name="华东售后服务中心")
        team = TeamFactory(organization=organization, name="华东售后服务组", parent=parent)
        QueueFactory(organization=organization, name="空调售后一线（华东）", code="l1", team=team)
    _open(page, live_server, ops_admin, "/settings/teams/", "en", width)
    expect(page.locator("[data-testid=team-row]")).to_have_count(2)
    _assert_fits(page, "team-rows", width)
    page.goto(f"{live_server.url}/tickets/settings/queues/")
    expect(page.locator("[data-testid=queue-row]")).to_have_count(1)
    _assert_fits(page, "queue-table", width)


# Each text of the table that breaks over lines (headings, cells, and each badge of a cell that may wrap between its
# badges), and the smallest font size among them.
TABLE_TEXT = """table => {
    const lines = """ + LINES + """;
    const texts = Array.from(table.querySelectorAll("th, td:not([data-wraps]), td[data-wraps] .badge"))
        .filter(el => el.innerText.trim());
    return {
        broken: texts.filter(el => lines(el) > 1).map(el => el.innerText.trim()),
        smallest: Math.min(...texts.flatMap(el => [el, ...el.querySelectorAll("*")])
            .map(el => parseFloat(getComputedStyle(el).fontSize))),
    };
}"""


@pytest.mark.parametrize(("language", "width"), WIDTHS)
def test_the_sla_report_keeps_its_headings_on_one_line(page, live_server, organization, language, width):
    """At 1280 in English "First response hit %" broke over two lines (and the other hit-rate and time headings)."""
    with tenant_scope(organization):
        queue, ticket_type, agent, supervisor = staffed_queue(organization)
        queue.name = "空调售后一线（华东）"
        queue.save(update_fields=["name"])
        queue.team.leader = supervisor
        queue.team.save(update_fields=["leader"])
        sla_policy(organization, office_calendar(organization))
        customer = CustomerFactory(organization=organization)
        for n in range(3):
            ticket = ticket_open(organization=organization, customer=customer, subject=f"工单{n}", description="",
                                 channel="wechat_oa", type=ticket_type)
        ticket_reply(ticket=ticket, author=agent, body="您好")
    _open(page, live_server, supervisor, "/sla/report/", language, width)
    table = page.locator("[data-testid=sla-report-table]")
    expect(table.locator("tbody tr")).to_have_count(1)
    assert table.evaluate(TABLE_TEXT)["broken"] == []
    _assert_fits(page, "sla-report-table", width)


@pytest.mark.parametrize(("language", "width"), WIDTHS)
def test_the_users_settings_read_at_the_pages_size_on_one_line(page, live_server, organization, ops_admin, language,
                                                               width):
    """At 1280 in English a user's roles, in 12 px bold badges, took the row's room: names, teams and sign-in times
    broke over two lines. Every column but Roles now keeps one line, and Roles wraps between roles in 14 px type."""
    with platform_scope():
        team = TeamFactory(organization=organization, name="华东售后服务组")
        everything = [Role.OPS_ADMIN, Role.SUPERVISOR, Role.AGENT, Role.FINANCE, Role.VIEWER]
        for n in range(3):
            user = UserFactory(organization=organization, username=f"wangxiaoming{n}",
                               display_name="王晓明（华东二组）", last_login=timezone.now() if n else None,
                               is_active=n != 1, roles=everything[: 2 * n + 1])
            AgentProfileFactory(user=user, team=team)
        manager = role_save(organization=organization, by=ops_admin, name="华东区域经理（只读）",
                            permissions=["tickets.view_ticket"], modules=["tickets"],
                            data_scope=DataScope.ORGANIZATION)
        role_assign(role=manager, user=user, by=ops_admin)
    _open(page, live_server, ops_admin, "/settings/users/", language, width)
    table = page.locator("[data-testid=user-rows]")
    expect(table.locator("[data-testid=user-row]")).to_have_count(4)
    text = table.evaluate(TABLE_TEXT)
    assert text["broken"] == []
    assert text["smallest"] >= 14
    _assert_fits(page, "user-rows", width)
