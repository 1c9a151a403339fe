"""Tenant isolation: one organization's tickets, queues and agents never meet another's."""

import pytest
from django.test import Client
from django.utils import translation

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from scrm.platform.timeline import customer_timeline
from tests.tenancy import assert_isolated, tenant_pair
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketTypeFactory, make_agent
from tickets.errors import MSG_OTHER_ORGANIZATION, MSG_TRANSFER_OTHER_ORG, TicketError
from tickets.models import Queue, RoutingRule, Ticket, TicketEvent
from tickets.selectors import customer_tickets, queue_pool, ticket_list, ticket_list_mine
from tickets.services import ticket_merge, ticket_open, ticket_take_next, ticket_transfer

pytestmark = pytest.mark.django_db


def seed(tenant):
    organization, marker = tenant.organization, tenant.marker
    queue = QueueFactory(organization=organization, name=f"{marker} 售后", auto_assign=False)
    ticket_type = TicketTypeFactory(organization=organization, name=f"{marker} 咨询", default_queue=queue)
    RoutingRule.objects.create(organization=organization, name=f"{marker} 投诉", keywords="投诉", set_priority=1)
    customer = CustomerFactory(organization=organization, display_name=f"{marker} 王小明")
    agent = make_agent(organization, queues=[queue], username=f"{organization.slug}-worker")
    tickets = [ticket_open(organization=organization, customer=customer, subject=f"{marker} 投诉 {n}",
                           description="", channel="wechat_oa", type=ticket_type) for n in range(3)]
    tenant.objects.update(queue=queue, customer=customer, agent=agent, tickets=tickets)


@pytest.fixture
def pair():
    return tenant_pair(seed)


def test_a_transfer_to_a_queue_of_another_organization_is_refused_and_changes_nothing(pair):
    a, b = pair
    ticket = a.objects["tickets"][0]
    with tenant_scope(a.organization):
        before = Ticket.objects.values().get(pk=ticket.pk), TicketEvent.objects.count()
    with pytest.raises(TicketError) as exc:
        ticket_transfer(ticket=ticket, queue=b.objects["queue"], reason="跨租户", actor=a.users[Role.SUPERVISOR])
    assert str(exc.value) == MSG_TRANSFER_OTHER_ORG
    with tenant_scope(a.organization):
        assert (Ticket.objects.values().get(pk=ticket.pk), TicketEvent.objects.count()) == before


def test_services_refuse_rows_of_another_organization(pair):
    a, b = pair
    with pytest.raises(TicketError) as exc:
        ticket_open(organization=a.organization, customer=b.objects["customer"], subject="x", description="",
                    channel="phone")
    assert str(exc.value) == MSG_OTHER_ORGANIZATION
    with pytest.raises(TicketError):
        ticket_merge(primary=a.objects["tickets"][0], duplicate=b.objects["tickets"][0], actor=None)


def test_selectors_of_one_organization_never_see_anothers_tickets(pair):
    a, b = pair
    with tenant_scope(a.organization):
        seen = [
            *ticket_list(user=a.users[Role.OPS_ADMIN]), *ticket_list(user=a.users[Role.AGENT]),
            *queue_pool(queue=a.objects["queue"]), *queue_pool(queue=b.objects["queue"]),
            *customer_tickets(customer=a.objects["customer"]), *customer_tickets(customer=b.objects["customer"]),
        ]
        subjects = {t.subject for t in seen}
        assert subjects == {f"{a.marker} 投诉 {n}" for n in range(3)}
        assert Ticket.objects.count() == 3
        # The rule of A routed A's tickets; B's rule did not run twice.
        assert {e.after["rule"]["name"] for e in TicketEvent.objects.filter(kind="created")} == {f"{a.marker} 投诉"}


def test_take_next_never_reaches_into_another_organization(pair):
    a, b = pair
    agent = a.objects["agent"]
    taken = [ticket_take_next(agent=agent) for _ in range(4)]
    assert [t.subject for t in taken[:3]] == [f"{a.marker} 投诉 {n}" for n in range(3)]
    assert taken[3] is None
    with tenant_scope(b.organization):
        assert Ticket.objects.filter(assignee__isnull=True).count() == 3
    with tenant_scope(a.organization):
        assert {t.subject for t in ticket_list_mine(user=agent)} == {t.subject for t in taken[:3]}


def test_the_customer_timeline_shows_the_customers_tickets_newest_first(pair):
    a, _b = pair
    with tenant_scope(a.organization), translation.override("en"):
        entries, _next = customer_timeline(customer=a.objects["customer"])
    tickets = [e for e in entries if e.kind == "ticket"]
    assert {str(e.title) for e in tickets} == {f"Ticket {t.number}: {t.subject}" for t in a.objects["tickets"]}
    assert {e.url for e in tickets} == {f"/tickets/{t.pk}/" for t in a.objects["tickets"]}
    assert [e.at for e in tickets] == sorted((e.at for e in tickets), reverse=True)


@pytest.mark.parametrize("model", ["queue", "tickettype", "routingrule", "ticket"])
def test_the_ops_admin_pages_show_only_their_organizations_rows(pair, model):
    a, b = pair
    assert_isolated(Client(), a, b, f"/admin/tickets/{model}/")


@pytest.mark.parametrize("model", ["queue", "tickettype", "routingrule"])
def test_the_ops_admin_can_open_the_add_pages(pair, model):
    a, b = pair
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    response = client.get(f"/admin/tickets/{model}/add/")
    assert response.status_code == 200
    body = response.content.decode()
    assert a.marker in body  # the choices (queues, types, agents) are A's ...
    assert b.marker not in body  # ... and only A's


def test_an_ops_admin_creates_a_queue_with_members_of_their_organization(pair):
    a, _ = pair
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    agent_profile = a.objects["agent"].agent_profile
    response = client.post("/admin/tickets/queue/add/", {
        "name": "投诉专线", "code": "complaints", "strategy": "least_loaded", "auto_assign": "on",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-agent": str(agent_profile.pk),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(a.organization):
        queue = Queue.objects.get(code="complaints")
        assert (queue.organization, queue.strategy) == (a.organization, "least_loaded")
        assert [(m.organization_id, m.agent) for m in queue.memberships.all()] == [(a.organization.pk, agent_profile)]
