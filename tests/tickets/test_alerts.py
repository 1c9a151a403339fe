"""Alerts that reach someone: a new ticket nobody was given that cannot wait (P1/P2, or in a queue dispatched by
hand) tells the queue's supervisors at once, in the centre and by email; a QA review of a low rating tells a
supervisor even when the QA team has no leader; SLA warnings are one unread notification per ticket, updated in
place by each new step."""

import pytest

from notifications.models import Notification, NotificationDelivery
from notifications.services import Notice, notify, notify_many
from scrm.models import AgentProfile, Role
from tests.scrm.factories import TeamFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.models import SatisfactionSurvey, Ticket
from tickets.services import ticket_change_status, ticket_open
from tickets.services.satisfaction import survey_answer

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


@pytest.fixture
def desk(scoped, make_user):
    """A manual queue led by `lead` whose member agent reports to `boss`, and an auto-assign queue with no agent
    online, led by `lead` too."""
    lead = make_user(scoped, Role.SUPERVISOR, username="lead", email="lead@example.com")
    boss = make_user(scoped, Role.SUPERVISOR, username="boss", email="boss@example.com")
    team = TeamFactory(organization=scoped, leader=lead)
    manual = QueueFactory(organization=scoped, name="投诉专席", code="complaints", team=team, auto_assign=False)
    auto = QueueFactory(organization=scoped, name="售后一线", code="l1", team=team)
    agent = make_agent(scoped, queues=[manual], status=AgentProfile.Status.OFFLINE)
    AgentProfile.objects.filter(user=agent).update(supervisor=boss)
    return {"lead": lead, "boss": boss, "manual": manual, "auto": auto, "agent": agent,
            "customer": CustomerFactory(organization=scoped)}


def _open(desk, scoped, queue, priority):
    return ticket_open(organization=scoped, customer=desk["customer"], subject="订单丢失，我要投诉", description="",
                       channel="wechat_oa", queue=queue, priority=priority)


def _told(kind=Kind.WAITING):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_a_new_p1_in_a_manual_queue_tells_its_supervisors_at_once_with_an_email(desk, scoped):
    ticket = _open(desk, scoped, desk["manual"], Ticket.Priority.P1)
    assert ticket.assignee_id is None
    assert _told() == ["boss", "lead"]
    notification = Notification.objects.get(recipient=desk["lead"])
    assert ticket.number in notification.title and "投诉专席" in notification.title
    assert notification.ticket == ticket and notification.read_at is None
    assert set(NotificationDelivery.objects.values_list("channel", "address")) == {
        ("email", "lead@example.com"), ("email", "boss@example.com")}


def test_which_new_tickets_alert_and_which_do_not(desk, scoped):
    _open(desk, scoped, desk["auto"], Ticket.Priority.P3)  # an ordinary ticket waiting for an agent: the ladder
    assert _told() == []
    _open(desk, scoped, desk["auto"], Ticket.Priority.P2)  # urgent, nobody online to take it
    assert _told() == ["lead"]
    _open(desk, scoped, desk["manual"], Ticket.Priority.P4)  # a manual queue is dispatched by its supervisors
    assert _told() == ["boss", "lead", "lead"]
    agent = make_agent(scoped, queues=[desk["auto"]], username="online")
    ticket = _open(desk, scoped, desk["auto"], Ticket.Priority.P1)  # given to an agent at once: no alert
    assert ticket.assignee == agent and len(_told()) == 3


def test_a_low_rating_tells_the_rated_tickets_supervisor_when_the_qa_team_has_no_leader(scoped, make_user):
    boss = make_user(scoped, Role.SUPERVISOR, username="boss")
    team = TeamFactory(organization=scoped, leader=boss)
    agent = make_agent(scoped, team=team)
    QueueFactory(organization=scoped, code="qa", name="质检", team=TeamFactory(organization=scoped, leader=None))
    ticket = TicketFactory(organization=scoped, status=Ticket.Status.OPEN, assignee=agent, team=team)
    ticket_change_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    survey = survey_answer(survey=SatisfactionSurvey.objects.get(ticket=ticket), rating=1, comment="太慢")
    assert _told(Kind.RATING_LOW) == ["boss"]
    assert _told() == []  # the review is announced once, as a low rating
    assert Notification.objects.get(kind=Kind.RATING_LOW).ticket == survey.review_ticket


def test_sla_warnings_are_one_unread_notification_per_ticket_updated_in_place(desk, scoped):
    lead = desk["lead"]
    first, second = (TicketFactory(organization=scoped) for _ in range(2))
    notify(recipient=lead, kind=Kind.SLA_WARNING, ticket=first, title="SLA: 75%", channels=["email"])
    notify(recipient=lead, kind=Kind.SLA_BREACH, ticket=first, title="SLA: breached", channels=["email"])
    # Two steps of one ticket in one sweep batch, and another ticket's.
    notify_many([Notice(recipient=lead, kind=Kind.SLA_WARNING, ticket=second, title="second 75%"),
                 Notice(recipient=lead, kind=Kind.SLA_BREACH, ticket=second, title="second breached"),
                 Notice(recipient=lead, kind=Kind.SLA_BREACH, ticket=first, title="first again")])
    rows = list(Notification.objects.filter(recipient=lead).order_by("ticket_id")
                .values_list("ticket_id", "kind", "title"))
    assert rows == [(first.pk, "sla_breach", "first again"), (second.pk, "sla_breach", "second breached")]
    delivery = NotificationDelivery.objects.get()  # the email of the first ticket's group, sent again
    assert delivery.status == "pending" and delivery.notification.title == "first again"
    # Once read, the next step is a new unread notification; other kinds are never grouped.
    Notification.objects.filter(ticket=first).update(read_at=first.created_at)
    notify(recipient=lead, kind=Kind.SLA_BREACH, ticket=first, title="first, an hour later")
    notify(recipient=lead, kind=Kind.ASSIGNED, ticket=first)
    notify(recipient=lead, kind=Kind.ASSIGNED, ticket=first)
    assert Notification.objects.filter(ticket=first, read_at__isnull=True).count() == 3
