"""Bulk actions with organization B's ids mixed in, posted by a user of A: B's rows are never touched (refused or
ignored), and nothing of B is named to A; the same for B's tag, owner or assignee as the action's argument."""

import pytest
from django.test import Client

from scrm.models import Customer, CustomerTag, Role, Tag, TagGroup
from scrm.platform.tenancy import tenant_scope
from tests.tenancy import tenant_pair
from tests.tickets.factories import QueueFactory, TicketFactory, make_agent
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _seed(tenant):
    org, m = tenant.organization, tenant.marker
    group = TagGroup.objects.create(organization=org, name=f"{m} 分组")
    tag = Tag.objects.create(organization=org, group=group, name=f"{m} 老客户")
    customer = Customer.objects.create(organization=org, display_name=f"{m} 客户")
    queue = QueueFactory(organization=org, auto_assign=False)
    queue.team.leader = tenant.users[Role.SUPERVISOR]
    queue.team.save(update_fields=["leader"])
    agent = make_agent(org, queues=[queue], username=f"{org.slug}-bulk-agent")
    ticket = TicketFactory(organization=org, queue=queue, customer=customer, subject=f"{m} 工单", priority=3)
    tenant.objects.update(tag=tag, customer=customer, ticket=ticket, agent=agent)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _b_untouched(b, ticket_before):
    with tenant_scope(b.organization):
        assert not CustomerTag.objects.exists()
        assert Customer.objects.get().owner_id is None
        ticket = Ticket.objects.get()
        assert (ticket.priority, ticket.assignee_id, ticket.status) == ticket_before
        assert not ticket.tags.exists()


def test_customer_bulk_actions_refuse_another_organizations_ids_and_write_nothing():
    a, b = tenant_pair(_seed)
    before = (3, None, b.objects["ticket"].status)
    client = _client(a.users[Role.OPS_ADMIN])
    mixed = [a.objects["customer"].pk, b.objects["customer"].pk]
    for data in ({"action": "tag", "ids": mixed, "tag": a.objects["tag"].pk},
                 {"action": "owner", "ids": mixed, "owner": a.users[Role.AGENT].pk},
                 {"action": "tag", "ids": [a.objects["customer"].pk], "tag": b.objects["tag"].pk},
                 {"action": "owner", "ids": [a.objects["customer"].pk], "owner": b.users[Role.AGENT].pk}):
        response = client.post("/customers/bulk/", data, follow=True)
        assert response.status_code == 200
        assert b.marker not in response.content.decode()
    with tenant_scope(a.organization):
        assert not CustomerTag.objects.exists() and Customer.objects.get().owner_id is None  # each form refused
    _b_untouched(b, before)


def test_ticket_bulk_actions_change_only_the_users_own_organizations_tickets():
    a, b = tenant_pair(_seed)
    before = (3, None, b.objects["ticket"].status)
    client = _client(a.users[Role.SUPERVISOR])
    mixed = [a.objects["ticket"].pk, b.objects["ticket"].pk]
    for data in ({"action": "priority", "ids": mixed, "priority": 1},
                 {"action": "tag", "ids": mixed, "tag": a.objects["tag"].pk},
                 {"action": "assign", "ids": mixed, "assignee": a.objects["agent"].pk},
                 {"action": "tag", "ids": mixed, "tag": b.objects["tag"].pk},
                 {"action": "assign", "ids": mixed, "assignee": b.objects["agent"].pk},
                 {"action": "close", "ids": [b.objects["ticket"].pk]}):
        response = client.post("/tickets/bulk/", data, follow=True)
        assert response.status_code == 200
        assert b.marker not in response.content.decode()
    with tenant_scope(a.organization):
        ticket = Ticket.objects.get()
        assert (ticket.priority, ticket.assignee_id) == (1, a.objects["agent"].pk)
        assert list(ticket.tags.values_list("pk", flat=True)) == [a.objects["tag"].pk]
    _b_untouched(b, before)
