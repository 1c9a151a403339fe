"""The escalation sweep works a batch set-based: the supervisors it alerts are the ones `supervisor_of` names for
each ticket, and its number of queries does not grow with the number of tickets due."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from scrm.models import Role
from sla.services import sla_sweep, supervisor_of
from tests.scrm.factories import TeamFactory, UserFactory
from tests.sla.factories import LADDER, office_calendar, sla_policy
from tests.tickets.factories import QueueFactory, TicketTypeFactory, make_agent
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_open

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

BREACH_TELLS_THE_SUPERVISOR = [{"metric": "first_response", "trigger": "breach", "notify_supervisor": True}]


def sh(*args):
    return datetime(*args, tzinfo=SH)


def _open_at(organization, customer, ticket_type, moment, count):
    with time_machine.travel(moment, tick=False):
        return [ticket_open(organization=organization, customer=customer, subject="空调不制冷", description="",
                            channel="wechat_oa", type=ticket_type) for _ in range(count)]


def test_the_sweep_alerts_the_supervisor_that_supervisor_of_names_for_each_ticket(scoped, customer):
    calendar = office_calendar(scoped, china=False)
    sla_policy(scoped, calendar, steps=BREACH_TELLS_THE_SUPERVISOR)
    boss, team_lead, queue_lead = (UserFactory(organization=scoped, roles=[Role.SUPERVISOR], username=name)
                                   for name in ("boss", "team-lead", "queue-lead"))
    queue = QueueFactory(organization=scoped, team=TeamFactory(organization=scoped, leader=queue_lead))
    led_team, leaderless_team = TeamFactory(organization=scoped, leader=team_lead), TeamFactory(organization=scoped)
    supervised = make_agent(scoped, queues=[queue], username="supervised", max_open_tickets=100)
    supervised.agent_profile.supervisor = boss
    supervised.agent_profile.save(update_fields=["supervisor"])
    unsupervised = make_agent(scoped, username="unsupervised")
    ticket_type = TicketTypeFactory(organization=scoped, default_queue=queue)
    tickets = _open_at(scoped, customer, ticket_type, sh(2026, 11, 23, 9, 0), 5)
    # Where each ticket's supervisor comes from: the assignee's supervisor, else the ticket's team's leader, else
    # the leader of its queue's team.
    shapes = [
        {"assignee": supervised},
        {"assignee": unsupervised, "team": led_team},
        {"assignee": unsupervised, "team": leaderless_team},
        {"assignee": None, "team": None},
        {"assignee": None, "team": led_team},
    ]
    for ticket, shape in zip(tickets, shapes, strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(**shape)
    expected = {t.pk: supervisor_of(Ticket.objects.get(pk=t.pk)) for t in tickets}
    assert [expected[t.pk] for t in tickets] == [boss, team_lead, queue_lead, queue_lead, team_lead]

    sla_sweep(now=sh(2026, 11, 23, 11, 30))

    told = {n.ticket_id: n.recipient for n in Notification.objects.filter(kind=Notification.Kind.SLA_BREACH)}
    assert told == expected
    for ticket in tickets:
        event = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.ESCALATED).first()
        assert event.after["notified"] == [expected[ticket.pk].pk]


def test_a_sweep_runs_as_many_queries_for_twelve_due_tickets_as_for_two(scoped, customer):
    calendar = office_calendar(scoped, china=False)
    sla_policy(scoped, calendar, steps=LADDER[:2])
    queue = QueueFactory(organization=scoped, team=TeamFactory(organization=scoped,
                                                               leader=UserFactory(organization=scoped)))
    boss = UserFactory(organization=scoped, roles=[Role.SUPERVISOR], username="boss")
    for name, supervisor in (("with-boss", boss), ("no-boss", None)):
        agent = make_agent(scoped, queues=[queue], username=name, max_open_tickets=100)
        agent.agent_profile.supervisor = supervisor
        agent.agent_profile.save(update_fields=["supervisor"])
    ticket_type = TicketTypeFactory(organization=scoped, default_queue=queue)

    queries = []
    for day, count in ((23, 2), (24, 12)):
        tickets = _open_at(scoped, customer, ticket_type, sh(2026, 11, day, 9, 0), count)
        now = sh(2026, 11, day, 11, 30)  # both steps and the breach of the first response are due
        with time_machine.travel(now, tick=False), CaptureQueriesContext(connection) as captured:
            assert sla_sweep(now=now) == count
        queries.append(len(captured))
        assert TicketEvent.objects.filter(ticket__in=tickets, kind=TicketEvent.Kind.ESCALATED).count() == 3 * count
        assert Notification.objects.filter(ticket__in=tickets, kind__startswith="sla").count() == 2 * count

    assert queries[0] == queries[1]
