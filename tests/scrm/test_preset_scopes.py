"""The preset supervisor's and agent's rule, by region: no row is reached through missing data.

In an organization that divides its work by region, a supervisor or agent sees the customers of the regions they
serve or manage (and below), those they own and those of the tickets their queues and teams show them; a customer
with no region only through the last two, and a user with no region nothing by region at all. Their tickets are
their queues' and teams', narrowed by region when they have one. Ops admins, finance and viewers see every row."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from scrm.models import Customer, Region, Role
from scrm.platform.tenancy import tenant_scope
from scrm.services import agent_profile_upsert, region_create
from tests.tenancy import api_token, tenant_pair
from tests.tickets.factories import QueueFactory, TicketFactory, make_agent
from tickets.models import QueueMembership

pytestmark = pytest.mark.django_db

KEYS = ("east", "west", "none", "owned", "ticketed")


def _seed(tenant):
    org, m = tenant.organization, tenant.marker
    east = region_create(organization=org, name=f"{m} 华东", code="EAST", level=Region.Level.AREA)
    west = region_create(organization=org, name=f"{m} 西部", code="WEST", level=Region.Level.AREA)
    queue = QueueFactory(organization=org, name=f"{m} 售后", auto_assign=False)
    served = make_agent(org, queues=[queue], regions=[east], username=f"{tenant.organization.slug}-served")
    bare = make_agent(org, queues=[queue], username=f"{tenant.organization.slug}-bare")
    customers = {}
    for key, region, owner in (("east", east, None), ("west", west, None), ("none", None, None),
                               ("owned", None, bare), ("ticketed", west, None)):
        customers[key] = Customer.objects.create(organization=org, display_name=f"{m} 客户-{key}", region=region,
                                                 owner=owner)
    # A ticket of their queue about the west customer: both agents may open that customer; a ticket of another
    # queue about the east customer shows nothing more.
    TicketFactory(organization=org, queue=queue, customer=customers["ticketed"], region=None, subject=f"{m} 工单")
    TicketFactory(organization=org, queue=QueueFactory(organization=org), customer=customers["east"], region=east)
    tenant.objects.update(customers=customers, served=served, bare=bare, queue=queue, east=east)


def _seen(user, tenant):
    client = Client()
    client.force_login(user)
    body = client.get("/customers/").content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    rows = api.get("/api/v1/customers/").json()["results"]
    by_api = {row["display_name"].split("客户-")[1] for row in rows}
    by_page = {key for key in KEYS if f"客户-{key}<" in body}
    assert by_api == by_page, (by_api, by_page)
    for key, customer in tenant.objects["customers"].items():
        assert client.get(f"/customers/{customer.pk}/").status_code == (200 if key in by_page else 404), key
    return by_page


def test_an_agent_sees_the_customers_of_their_regions_their_own_and_their_tickets_never_by_missing_data():
    a, b = tenant_pair(_seed)
    assert _seen(a.objects["served"], a) == {"east", "ticketed"}
    # No region served: nothing by region, not everything; their own and their tickets' customers.
    assert _seen(a.objects["bare"], a) == {"owned", "ticketed"}
    # Ops see every customer, those with no region included; nothing of the other organization.
    assert _seen(a.users[Role.OPS_ADMIN], a) == set(KEYS)


def test_a_supervisor_with_no_region_sees_their_teams_customers_not_the_whole_organization():
    a, _b = tenant_pair(_seed)
    supervisor = a.users[Role.SUPERVISOR]  # no agent profile, no region, leads nothing
    assert _seen(supervisor, a) == set()
    with tenant_scope(a.organization):
        team = a.objects["queue"].team
        team.leader = supervisor
        team.save(update_fields=["leader"])
    assert _seen(supervisor, a) == {"ticketed"}


def test_tickets_of_their_queue_are_narrowed_by_region_only_when_the_user_has_one():
    a, _b = tenant_pair(_seed)
    org, queue = a.organization, a.objects["queue"]
    with tenant_scope(org):
        west_ticket = TicketFactory(organization=org, queue=queue, region=Region.objects.get(code="WEST"),
                                    customer=a.objects["customers"]["west"])
        none_ticket = TicketFactory(organization=org, queue=queue, region=None,
                                    customer=a.objects["customers"]["none"])

    def opens(user, ticket):
        client = Client()
        client.force_login(user)
        return client.get(f"/tickets/{ticket.pk}/").status_code == 200

    served, bare = a.objects["served"], a.objects["bare"]
    assert not opens(served, west_ticket) and opens(served, none_ticket)  # outside their region / routed to them
    assert opens(bare, west_ticket) and opens(bare, none_ticket)  # no region: their queue is their scope
    with tenant_scope(org):
        QueueMembership.objects.filter(agent__user=bare).delete()
    assert not opens(bare, none_ticket)


def test_an_organization_without_regions_is_not_divided_by_region(scoped, make_user):
    agent = make_user(scoped, Role.AGENT)
    Customer.objects.create(organization=scoped, display_name="无区域客户")
    client = Client()
    client.force_login(agent)
    assert "无区域客户" in client.get("/customers/").content.decode()
    region = region_create(organization=scoped, name="华东", code="EAST", level=Region.Level.AREA)
    assert "无区域客户" not in client.get("/customers/").content.decode()  # now divided: not theirs
    agent_profile_upsert(user=agent, regions=[region])
    assert "无区域客户" not in client.get("/customers/").content.decode()
