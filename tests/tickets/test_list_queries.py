"""Ticket lists cost the same number of queries at two page sizes: the agent's queue pages and /api/v1/tickets/."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from scrm.models import Tag, TagGroup
from tests.queries import assert_same_cost, queries_of
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.models import TicketTag
from tickets.services import ticket_assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(scoped):
    queue = QueueFactory(organization=scoped, name="售后一线", auto_assign=False)
    agent = make_agent(scoped, queues=[queue], username="xiaoli")
    agent.display_name = ""  # shown by first and last name then: those must come with the row
    agent.save(update_fields=["display_name"])
    group = TagGroup.objects.create(organization=scoped, name="工单标签")
    return {"org": scoped, "queue": queue, "agent": agent,
            "tag": Tag.objects.create(organization=scoped, group=group, name="退款")}


def _tickets(desk, count):
    for n in range(count):
        ticket = TicketFactory(organization=desk["org"], queue=desk["queue"], priority=1 + n % 4,
                               customer=CustomerFactory(organization=desk["org"]), subject=f"工单{n}")
        TicketTag.objects.create(organization=desk["org"], ticket=ticket, tag=desk["tag"])
        ticket_assign(ticket=ticket, assignee=desk["agent"], actor=desk["agent"])


@pytest.mark.parametrize("url", ["/tickets/", "/tickets/queues/"])
def test_the_queue_pages_cost_the_same_at_two_page_sizes(desk, url):
    _tickets(desk, 40)
    client = Client()
    client.force_login(desk["agent"])
    client.get(url)  # the session is written on the first request
    short, few = queries_of(lambda: client.get(url, {"per_page": 5}))
    long, many = queries_of(lambda: client.get(url, {"per_page": 40}))
    assert short.content.decode().count('name="ids"') == 5 and long.content.decode().count('name="ids"') == 40
    assert_same_cost(few, many, what=url)


def test_the_tickets_api_costs_the_same_for_five_rows_and_fifty(desk):
    api = APIClient()
    api.force_authenticate(desk["agent"])
    _tickets(desk, 5)
    api.get("/api/v1/tickets/")  # the first request of a user loads its permissions once
    short, few = queries_of(lambda: api.get("/api/v1/tickets/"))
    _tickets(desk, 45)
    long, many = queries_of(lambda: api.get("/api/v1/tickets/"))
    assert len(short.json()["results"]) == 5 and len(long.json()["results"]) == 50
    assert_same_cost(few, many, what="/api/v1/tickets/")
