"""The SLA compliance report: hit rates, times and breaches per group for a date range, a chart, an Excel file;
only supervisors, ops and viewers; each organization sees its own tickets only."""

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from scrm.models import Role
from sla.views import MSG_RANGE_ORDER
from tests.sla.factories import office_calendar, sla_policy, staffed_queue
from tests.tenancy import assert_isolated, tenant_pair
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketTypeFactory
from tickets.services import ticket_change_status, ticket_open, ticket_reply

SH = ZoneInfo("Asia/Shanghai")
URL = "/sla/report/?start=2026-11-01&end=2026-11-30&group_by=queue"
pytestmark = pytest.mark.django_db


def _seed(tenant):
    organization = tenant.organization
    calendar = office_calendar(organization, china=False)
    queue, ticket_type, agent, _boss = staffed_queue(organization, username=f"{tenant.marker}-agent",
                                                     supervisor_name=f"{tenant.marker}-boss")
    queue.name = f"{tenant.marker} 售后一线"
    queue.save(update_fields=["name"])
    other = QueueFactory(organization=organization, name=f"{tenant.marker} 投诉专席")
    other_type = TicketTypeFactory(organization=organization, default_queue=other)
    sla_policy(organization, calendar)
    customer = CustomerFactory(organization=organization)

    def opened(ticket_type, day, hour):
        with time_machine.travel(datetime(2026, 11, day, hour, 0, tzinfo=SH), tick=False):
            return ticket_open(organization=organization, customer=customer, subject="工单", description="",
                               channel="wechat_oa", type=ticket_type)

    on_time, late = opened(ticket_type, 23, 9), opened(ticket_type, 23, 9)
    with time_machine.travel(datetime(2026, 11, 23, 9, 30, tzinfo=SH), tick=False):  # P3: due at 11:00
        ticket_reply(ticket=on_time, author=agent, body="您好")
        ticket_change_status(ticket=on_time, status="resolved", actor=agent)
    with time_machine.travel(datetime(2026, 11, 23, 13, 30, tzinfo=SH), tick=False):
        ticket_reply(ticket=late, author=agent, body="抱歉久等")
    opened(other_type, 24, 9)
    # The report counts the tickets its reader may see: the supervisor leads both queues' teams.
    for team in (queue.team, other.team):
        team.leader = tenant.users[Role.SUPERVISOR]
        team.save(update_fields=["leader"])


def test_the_report_shows_hit_rates_per_queue(client):
    a, b = tenant_pair(_seed)
    client.force_login(a.users[Role.SUPERVISOR])
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=SH), tick=False):
        response = client.get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    rows = {row[0]: row for row in report["rows"]}
    first_line = rows[f"{a.marker} 售后一线"]
    # tickets, FR hit %, FR median, FR p90, resolution hit %, ..., breaches
    assert first_line[1] == 2
    assert first_line[2] == 50.0  # one answered at 09:30, one at 13:30 (due 11:00)
    assert first_line[3] == "2小时30分"  # median of 30 and 270 minutes, read as a duration
    assert first_line[5] == 50.0  # one resolved on time, the other still open past its due time
    assert first_line[8] == 1  # the late answer
    assert rows[f"{a.marker} 投诉专席"][2] == 0.0  # never answered, past due
    assert report["total"][1] == 3
    assert 'id="sla-chart-data"' in response.content.decode()
    assert_isolated(client, a, b, URL, role=Role.SUPERVISOR)


def test_the_report_downloads_as_excel(client):
    a, _b = tenant_pair(_seed)
    client.force_login(a.users[Role.OPS_ADMIN])
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=SH), tick=False):
        response = client.get(URL + "&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="sla-queue-20261101-20261130.xlsx"'
    sheet = load_workbook(BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[2][0] == f"{a.marker} 售后一线" and values[2][1] == 2
    assert values[2][3] == 150.0  # the median in minutes, a number finance can compute with
    assert values[-1][1] == 3


def test_groups_by_agent_priority_team_and_region(client, django_assert_max_num_queries):
    a, _b = tenant_pair(_seed)
    client.force_login(a.users[Role.SUPERVISOR])
    for group in ("agent", "priority", "team", "region"):
        with django_assert_max_num_queries(12):
            response = client.get(URL.replace("group_by=queue", f"group_by={group}"))
        assert response.status_code == 200
        assert response.context["report"]["total"][1] == 3


def test_agents_and_finance_may_not_see_it(client):
    a, _b = tenant_pair()
    for role in (Role.AGENT, Role.FINANCE):
        client.force_login(a.users[role])
        assert client.get(URL).status_code == 403


def test_a_reversed_range_says_so_and_shows_nothing(client):
    a, _b = tenant_pair(_seed)
    client.force_login(a.users[Role.SUPERVISOR])
    response = client.get("/sla/report/?start=2026-11-30&end=2026-11-01&group_by=queue")
    assert response.status_code == 200
    assert response.context["report"] is None
    assert str(MSG_RANGE_ORDER) in response.content.decode()


def test_the_reports_filters_are_styled_as_every_other_filter_bar(client):
    """Its dates and its group-by were the browser's bare controls, labels squeezed beside them, on a page of
    Bootstrap controls."""
    a, _b = tenant_pair()
    client.force_login(a.users[Role.SUPERVISOR])
    form = client.get(URL).context["form"]
    assert [form[name].field.widget.attrs.get("class") for name in ("start", "end", "group_by")] == [
        "form-control", "form-control", "form-select"]


def test_a_period_with_no_ticket_shows_the_empty_state_and_offers_no_excel(client):
    """A month with no ticket under an SLA offered the Excel download of an empty table next to 'no ticket'."""
    a, _b = tenant_pair(_seed)
    client.force_login(a.users[Role.SUPERVISOR])
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=SH), tick=False):
        empty = client.get("/sla/report/?start=2026-10-01&end=2026-10-31&group_by=queue").content.decode()
        full = client.get(URL).content.decode()
    assert "该时间段内没有新建适用 SLA 的工单。" in empty
    assert 'data-testid="sla-report-excel"' not in empty
    assert 'data-testid="sla-report-excel"' in full


def test_a_due_time_passing_while_waiting_on_the_customer_is_not_counted_missed(scoped):
    """The report counted a first response as missed when its due time passed while the ticket waited on the
    customer (clock paused), though the badge and the board read it as paused."""
    from sla.report import sla_compliance

    calendar = office_calendar(scoped, china=False)
    queue, ticket_type, agent, boss = staffed_queue(scoped)
    queue.team.leader = boss
    queue.team.save(update_fields=["leader"])
    sla_policy(scoped, calendar)
    customer = CustomerFactory(organization=scoped)
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):  # P3: first response due 11:00
        waiting, running = (ticket_open(organization=scoped, customer=customer, subject="工单", description="",
                                        channel="wechat_oa", type=ticket_type) for _ in range(2))
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False):
        ticket_change_status(ticket=waiting, status="pending", actor=agent)
    now = datetime(2026, 11, 23, 16, 0, tzinfo=SH)
    _rows, total = sla_compliance(user=boss, start=now.date(), end=now.date(), now=now)
    assert (total.tickets, total.fr_measured, total.fr_hit) == (2, 1, 0)  # only the running one has missed


def test_the_default_range_is_written_as_the_date_inputs_want_it(client):
    """A browser's date input accepts only 2026-11-01; the report's own range must never be written the Chinese
    way (2026/11/01), or its From and To open empty."""
    a, _b = tenant_pair()
    client.force_login(a.users[Role.SUPERVISOR])
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=SH), tick=False):
        body = client.get("/sla/report/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'name="start" value="2026-11-01"' in body and 'name="end" value="2026-11-30"' in body
    assert "2026/11" not in body
