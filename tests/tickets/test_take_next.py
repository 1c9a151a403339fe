"""Take next: the agent's most urgent, oldest waiting ticket; under contention nobody gets a ticket twice."""

import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from scrm.models import Region
from scrm.platform.tenancy import tenant_scope
from tests.concurrency import run_at_once
from tests.scrm.factories import RegionFactory, SkillFactory, UserFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, TicketTypeFactory, make_agent
from tickets.errors import MSG_AT_CAPACITY, MSG_NOT_AN_AGENT, TicketError
from tickets.models import AgentLoad, Ticket, TicketEvent
from tickets.services import ticket_take_next

P1, P2, P3 = Ticket.Priority.P1, Ticket.Priority.P2, Ticket.Priority.P3


def _waiting(organization, queue, *, minutes_ago, priority=P3, **kwargs):
    return TicketFactory(organization=organization, queue=queue, priority=priority,
                         created_at=timezone.now() - timedelta(minutes=minutes_ago), **kwargs)


@pytest.mark.django_db
def test_take_next_gives_the_most_urgent_then_oldest_ticket_of_the_agents_queues(scoped, queue):
    other_queue = QueueFactory(organization=scoped, name="别的队列")
    agent = make_agent(scoped, queues=[queue])
    old_p3 = _waiting(scoped, queue, minutes_ago=90)
    new_p1 = _waiting(scoped, queue, minutes_ago=5, priority=P1)
    old_p1 = _waiting(scoped, queue, minutes_ago=30, priority=P1)
    _waiting(scoped, other_queue, minutes_ago=500, priority=P1)
    _waiting(scoped, queue, minutes_ago=600, priority=P1, status=Ticket.Status.PENDING)

    taken = [ticket_take_next(agent=agent) for _ in range(4)]

    assert taken == [old_p1, new_p1, old_p3, None]
    assert {t.assignee for t in taken[:3]} == {agent}
    assert {t.status for t in taken[:3]} == {Ticket.Status.OPEN}
    event = TicketEvent.objects.get(ticket=old_p1, kind="assigned")
    assert (event.actor, event.after["via"]) == (agent, "take_next")
    assert AgentLoad.objects.get(user=agent).open_tickets == 3


@pytest.mark.django_db
def test_take_next_skips_tickets_of_other_regions_and_types_needing_skills_the_agent_lacks(scoped, queue):
    js = RegionFactory(organization=scoped, name="江苏", code="JS", path="/JS/", level=Region.Level.AREA)
    nanjing = RegionFactory(organization=scoped, name="南京", code="NJ", parent=js, level=Region.Level.PROVINCE,
                            path="/JS/NJ/")
    zhejiang = RegionFactory(organization=scoped, name="浙江", code="ZJ", path="/ZJ/")
    installation = TicketTypeFactory(organization=scoped, name="安装")
    installation.required_skills.add(SkillFactory(organization=scoped, name="安装"))
    agent = make_agent(scoped, queues=[queue], regions=[js])
    _waiting(scoped, queue, minutes_ago=50, region=zhejiang)
    _waiting(scoped, queue, minutes_ago=40, type=installation)
    in_nanjing = _waiting(scoped, queue, minutes_ago=30, region=nanjing)
    nowhere = _waiting(scoped, queue, minutes_ago=20)
    assert [ticket_take_next(agent=agent) for _ in range(3)] == [in_nanjing, nowhere, None]


@pytest.mark.django_db
def test_take_next_is_refused_at_the_agents_cap_and_changes_nothing(scoped, queue):
    agent = make_agent(scoped, queues=[queue], max_open_tickets=1)
    first = _waiting(scoped, queue, minutes_ago=10)
    second = _waiting(scoped, queue, minutes_ago=5)
    assert ticket_take_next(agent=agent) == first
    with pytest.raises(TicketError) as exc:
        ticket_take_next(agent=agent)
    assert str(exc.value) == MSG_AT_CAPACITY % {"count": 1}
    second.refresh_from_db()
    assert second.assignee is None
    assert not TicketEvent.objects.filter(ticket=second).exists()


@pytest.mark.django_db
def test_someone_without_an_agent_profile_cannot_take_tickets(scoped, queue):
    user = UserFactory(organization=scoped, username="no-profile")
    with pytest.raises(TicketError) as exc:
        ticket_take_next(agent=user)
    assert str(exc.value) == MSG_NOT_AN_AGENT % {"user": user}


def _connect_patiently(deadline):
    """Open this thread's connection before the race starts. Another process on a shared PostgreSQL may briefly
    hold many of its connections; what is under test is the race for tickets, not the server's client limit."""
    while True:
        try:
            connection.ensure_connection()
            return
        except OperationalError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _press_at_once(agents):
    """Every agent presses take-next at the same moment: {agent pk: ticket pk or None}."""
    tickets = run_at_once([lambda agent=agent: ticket_take_next(agent=agent) for agent in agents])
    return {agent.pk: ticket.pk if ticket else None for agent, ticket in zip(agents, tickets, strict=True)}


def _contended_pool(organization, *, agents, tickets):
    with tenant_scope(organization):
        queue = QueueFactory(organization=organization, auto_assign=False)
        people = [make_agent(organization, queues=[queue], username=f"press{n}") for n in range(agents)]
        customer = CustomerFactory(organization=organization)
        now = timezone.now()
        rows = [TicketFactory(organization=organization, customer=customer, queue=queue, priority=1 + n % 4,
                              created_at=now - timedelta(seconds=n)) for n in range(tickets)]
    in_order = sorted(rows, key=lambda t: (t.priority, t.created_at, t.pk))
    return people, [t.pk for t in in_order]


def _assignments_per_ticket(organization):
    with tenant_scope(organization):
        return list(TicketEvent.objects.filter(kind="assigned").values_list("ticket_id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_fifty_agents_pressing_take_next_at_once_never_get_the_same_ticket(organization):
    agents, in_order = _contended_pool(organization, agents=50, tickets=80)

    taken = _press_at_once(agents)

    got = list(taken.values())
    assert None not in got
    assert len(set(got)) == 50
    assert set(got) == set(in_order[:50])  # skipping each other's locks still serves the most urgent first
    assignments = _assignments_per_ticket(organization)
    assert sorted(assignments) == sorted(got)  # one assignment event per ticket taken, none twice
    with tenant_scope(organization):
        assert dict(Ticket.objects.filter(assignee__isnull=False).values_list("assignee", "pk")) == taken


@pytest.mark.django_db(transaction=True)
def test_when_fifty_agents_press_for_thirty_tickets_twenty_get_none(organization):
    agents, in_order = _contended_pool(organization, agents=50, tickets=30)

    taken = _press_at_once(agents)

    got = [pk for pk in taken.values() if pk is not None]
    assert sorted(got) == sorted(in_order)
    assert list(taken.values()).count(None) == 20
    assert sorted(_assignments_per_ticket(organization)) == sorted(got)
