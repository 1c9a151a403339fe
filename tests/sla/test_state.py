"""SLA state everywhere: the same state from the ticket (badge), from SQL (selector annotation) and from the
queue filter, for tickets on track, at risk, breached, paused and met; the badge shows Asia/Shanghai time."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template
from django.utils import translation

from sla.filters import SLAStateFilterMixin
from sla.state import sla_state_annotate, sla_state_of
from tests.sla.factories import office_calendar, sla_policy, staffed_queue
from tickets.models import Ticket
from tickets.services import ticket_change_status, ticket_open, ticket_reply

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 50, tzinfo=SH)
pytestmark = pytest.mark.django_db


class TicketFilter(SLAStateFilterMixin):
    class Meta:
        model = Ticket
        fields = []


@pytest.fixture
def tickets(scoped, customer):
    calendar = office_calendar(scoped, china=False)
    _queue, ticket_type, agent, _boss = staffed_queue(scoped)
    sla_policy(scoped, calendar)

    def opened(hour, minute, **kwargs):
        with time_machine.travel(datetime(2026, 11, 23, hour, minute, tzinfo=SH), tick=False):
            return ticket_open(organization=scoped, customer=customer, subject="工单", description="",
                               channel="wechat_oa", type=ticket_type, **kwargs)

    result = {
        "on_track": opened(10, 40),  # P3 first response due 12:00+, at risk from 11:40+
        "at_risk": opened(9, 0),  # due 11:00, at risk from 10:30
        "breached": opened(9, 0, priority=1),  # due 09:30
        "paused": opened(10, 0),
        "met": opened(9, 30),
    }
    with time_machine.travel(datetime(2026, 11, 23, 10, 10, tzinfo=SH), tick=False):
        ticket_change_status(ticket=result["paused"], status=Ticket.Status.PENDING, actor=agent)
        ticket_change_status(ticket=result["met"], status=Ticket.Status.RESOLVED, actor=agent)
    return {state: Ticket.objects.get(pk=t.pk) for state, t in result.items()}


def test_the_ticket_the_annotation_and_the_filter_agree(tickets):
    annotated = {t.pk: t.sla_state for t in sla_state_annotate(Ticket.objects.all(), now=NOW)}
    with time_machine.travel(NOW, tick=False):
        for state, ticket in tickets.items():
            assert sla_state_of(ticket, NOW) == state
            assert annotated[ticket.pk] == state
            found = TicketFilter({"sla_state": [state]}, queryset=Ticket.objects.all()).qs
            assert list(found.values_list("pk", flat=True)) == [ticket.pk]
        both = TicketFilter({"sla_state": ["at_risk", "breached"]}, queryset=Ticket.objects.all()).qs
        assert set(both) == {tickets["at_risk"], tickets["breached"]}


def test_the_badge_shows_the_state_and_the_due_time_in_shanghai(tickets, django_assert_num_queries):
    template = Template("{% load sla %}{% sla_badge ticket %}")
    ticket = sla_state_annotate(Ticket.objects.filter(pk=tickets["at_risk"].pk), now=NOW).get()
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(0):
        html = template.render(Context({"ticket": ticket}))
    assert 'data-sla-state="at_risk"' in html
    assert "2026-11-23 11:00" in html  # Asia/Shanghai, not UTC
    assert "剩余 10分钟" in html
    with time_machine.travel(NOW, tick=False):
        html = template.render(Context({"ticket": tickets["breached"]}))
    assert 'data-sla-state="breached"' in html and "已超时 1小时20分" in html


def test_the_workspace_hook_applies_one_state(tickets):
    from sla.filters import sla_state_filter_apply

    with time_machine.travel(NOW, tick=False):
        assert list(sla_state_filter_apply(Ticket.objects.all(), "paused")) == [tickets["paused"]]
        assert set(sla_state_filter_apply(Ticket.objects.all(), ["met", "on_track"])) == {
            tickets["met"], tickets["on_track"]}


def test_the_queue_page_shows_each_tickets_sla_badge_and_filters_by_state(tickets, django_assert_max_num_queries):
    from django.test import Client

    agent = tickets["at_risk"].assignee or Ticket.objects.exclude(assignee=None).first().assignee
    client = Client()
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        with django_assert_max_num_queries(20):
            page = client.get("/tickets/queues/").content.decode()
        row = page.split(f'data-ticket="{tickets["breached"].number}"')[1].split("</tr>")[0]
        assert 'data-sla-state="breached"' in row
        breached_only = client.get("/tickets/queues/", {"sla": "breached"}).content.decode()
    assert f'data-ticket="{tickets["breached"].number}"' in breached_only
    assert f'data-ticket="{tickets["on_track"].number}"' not in breached_only


def test_the_reports_page_lists_the_sla_report_for_those_who_may_read_it(scoped, make_user):
    from django.test import Client

    from scrm.models import Role

    client = Client()
    client.force_login(make_user(scoped, Role.VIEWER))
    page = client.get("/reports/").content.decode()
    assert 'data-testid="report-sla-report"' in page and 'href="/sla/report/"' in page
    client.force_login(make_user(scoped, Role.FINANCE))
    page = client.get("/reports/").content.decode()
    assert 'data-testid="report-finance-dashboard"' in page and "/sla/report/" not in page


def test_an_overdue_badge_says_overdue_once(tickets):
    """The queue showed "已超时 · 已超时 1小时20分"; the countdown alone says it."""
    template = Template("{% load sla %}{% sla_badge ticket %}")
    with time_machine.travel(NOW, tick=False), translation.override("zh-hans"):
        html = template.render(Context({"ticket": tickets["breached"]}))
    assert "已超时 1小时20分" in html and "已超时 · " not in html


@pytest.fixture
def answered_late(scoped, customer):
    """A P1 ticket opened at 09:00 (first response due 09:30, resolution 13:00) answered at 10:00: the first response
    is missed, the resolution still has time at 10:50."""
    calendar = office_calendar(scoped, china=False)
    _queue, ticket_type, agent, _boss = staffed_queue(scoped)
    sla_policy(scoped, calendar)
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):
        ticket = ticket_open(organization=scoped, customer=customer, subject="工单", description="",
                             channel="wechat_oa", type=ticket_type, priority=1)
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False):
        ticket_reply(ticket=ticket, author=agent, body="抱歉久等")
    return Ticket.objects.get(pk=ticket.pk)


def test_a_badge_names_the_missed_target_and_the_one_still_running(answered_late):
    """The badge read "已超时 · 剩余 2小时10分": breached and time left at once. It names each target."""
    ticket = answered_late
    assert ticket.sla_breached
    template = Template("{% load sla %}{% sla_badge ticket %}")
    annotated = sla_state_annotate(Ticket.objects.filter(pk=ticket.pk), now=NOW).get()
    with time_machine.travel(NOW, tick=False), translation.override("zh-hans"):
        for shown in (ticket, annotated):
            html = template.render(Context({"ticket": shown}))
            assert 'data-sla-state="breached"' in html
            text = re.sub(r"<[^>]+>", "", html).strip()
            assert text == "首次响应已超时 · 解决剩余 3小时40分"
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        text = re.sub(r"<[^>]+>", "", template.render(Context({"ticket": ticket}))).strip()
    assert text == "First response overdue · Resolution: 3\u00a0h\u00a040\u00a0min left"  # one word


def test_an_overdue_target_is_named_with_how_long(tickets):
    template = Template("{% load sla %}{% sla_badge ticket %}")
    with time_machine.travel(NOW, tick=False), translation.override("zh-hans"):
        text = re.sub(r"<[^>]+>", "", template.render(Context({"ticket": tickets["breached"]}))).strip()
        on_track = re.sub(r"<[^>]+>", "", template.render(Context({"ticket": tickets["on_track"]}))).strip()
    # P1 at 09:00: first response due 09:30 (not answered), resolution due 13:00.
    assert text == "首次响应已超时 1小时20分 · 解决剩余 3小时40分"
    assert on_track == "正常 · 首次响应剩余 3小时20分"


def test_the_queue_and_the_ticket_page_show_the_same_named_badge(answered_late, django_assert_max_num_queries):
    from django.test import Client

    client = Client()
    client.force_login(answered_late.assignee)
    with time_machine.travel(NOW, tick=False):
        with django_assert_max_num_queries(20):
            queue = client.get("/tickets/queues/").content.decode()
        ticket_page = client.get(f"/tickets/{answered_late.pk}/").content.decode()
    row = queue.split(f'data-ticket="{answered_late.number}"')[1].split("</tr>")[0]
    badge = ticket_page.split('data-testid="ticket-sla">')[1].split("</span></span>")[0]
    for html in (row, badge):
        assert "首次响应已超时" in html and "解决剩余 3小时40分" in html
        assert "已超时 · 剩余" not in re.sub(r"<[^>]+>", "", html)


@pytest.fixture
def paused_pair(scoped, customer):
    """Two P3 tickets opened at 09:00 (first response due 11:00), not answered: one set pending at 10:00 (its due
    time passes during the pause), one set pending at 11:30 (after its due time)."""
    calendar = office_calendar(scoped, china=False)
    _queue, ticket_type, agent, _boss = staffed_queue(scoped)
    sla_policy(scoped, calendar)
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):
        waiting, late = (ticket_open(organization=scoped, customer=customer, subject="工单", description="",
                                     channel="wechat_oa", type=ticket_type) for _ in range(2))
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False):
        ticket_change_status(ticket=waiting, status=Ticket.Status.PENDING, actor=agent)
    with time_machine.travel(datetime(2026, 11, 23, 11, 30, tzinfo=SH), tick=False):
        ticket_change_status(ticket=late, status=Ticket.Status.PENDING, actor=agent)
    return Ticket.objects.get(pk=waiting.pk), Ticket.objects.get(pk=late.pk)


def test_a_due_time_passing_while_the_clock_is_paused_is_no_breach(paused_pair):
    """A ticket waiting on the customer read '首次响应已超时 …' in red once its due time passed during the pause, and
    counted as breached on the board, though resuming shifts its due times by the time paused."""
    waiting, late = paused_pair
    now = datetime(2026, 11, 23, 16, 0, tzinfo=SH)
    annotated = {t.pk: t.sla_state for t in sla_state_annotate(Ticket.objects.all(), now=now)}
    template = Template("{% load sla %}{% sla_badge ticket %}")
    with time_machine.travel(now, tick=False), translation.override("zh-hans"):
        assert (sla_state_of(waiting, now), annotated[waiting.pk]) == ("paused", "paused")
        assert (sla_state_of(late, now), annotated[late.pk]) == ("breached", "breached")
        for state, ticket in (("paused", waiting), ("breached", late)):
            found = TicketFilter({"sla_state": [state]}, queryset=Ticket.objects.all()).qs
            assert ticket in found
        html = template.render(Context({"ticket": waiting}))
        text = re.sub(r"<[^>]+>", "", html).strip()
        # What was left when the clock stopped at 10:00, standing still (no ticking countdown).
        assert text == "已暂停 · 首次响应剩余 1小时00分" and "data-sla-due" not in html
        late_html = template.render(Context({"ticket": late}))
    assert re.sub(r"<[^>]+>", "", late_html).strip().startswith("首次响应已超时 30分钟")
    assert "data-sla-due" not in late_html


def test_a_ticket_waiting_on_the_customer_when_its_first_policy_arrives_starts_paused(scoped, customer):
    """A ticket set pending before any policy reached it got the policy with its clock running: it read overdue
    while waiting on the customer and was escalated, though one pending under the policy stands still."""
    from sla.services import ticket_sla_apply
    from tickets.models import TicketEvent

    calendar = office_calendar(scoped, china=False)
    _queue, ticket_type, agent, _boss = staffed_queue(scoped)
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):
        ticket = ticket_open(organization=scoped, customer=customer, subject="工单", description="",
                             channel="wechat_oa", type=ticket_type)
        ticket_change_status(ticket=ticket, status=Ticket.Status.PENDING, actor=agent)
    with time_machine.travel(datetime(2026, 11, 23, 9, 30, tzinfo=SH), tick=False):
        sla_policy(scoped, calendar)
        ticket_sla_apply(ticket=ticket, reason="policies changed")
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.paused_since == datetime(2026, 11, 23, 9, 30, tzinfo=SH)
    assert ticket.next_escalation_at is None  # the sweep does not escalate it while it waits
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.SLA_PAUSED).count() == 1
    now = datetime(2026, 11, 23, 16, 0, tzinfo=SH)  # its first response was due at 11:00
    with time_machine.travel(now, tick=False), translation.override("zh-hans"):
        assert sla_state_of(ticket, now) == "paused"
        html = Template("{% load sla %}{% sla_badge ticket %}").render(Context({"ticket": ticket}))
    assert re.sub(r"<[^>]+>", "", html).strip() == "已暂停 · 首次响应剩余 1小时30分"
    # Applying again (another policy change) keeps the pause where it started, with no second event.
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False):
        ticket_sla_apply(ticket=ticket, reason="policies changed")
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.paused_since == datetime(2026, 11, 23, 9, 30, tzinfo=SH)
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.SLA_PAUSED).count() == 1
