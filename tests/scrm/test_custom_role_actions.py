"""Actions that once belonged to a preset role read the one permission rule, so a custom role grants them: giving a
ticket to someone else (`tickets.assign_ticket`, pages and API), "My tickets" (`tickets.change_ticket`) and the SLA
report (`sla.view_sla_report`). A role with the permission can, the same role without it cannot."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from scrm.models import DataScope, Role
from scrm.services import role_assign, role_save
from tests.scrm.factories import UserFactory
from tests.tenancy import api_token
from tests.tickets.factories import AgentProfileFactory, QueueFactory, TicketFactory, make_agent
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

WORK = ["tickets.view_ticket", "tickets.add_ticket", "tickets.change_ticket", "tickets.add_comment"]


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def desk(scoped, ops_admin):
    """A queue with an agent; `lead` holds no preset role; an open ticket nobody holds."""
    queue = QueueFactory(organization=scoped, auto_assign=False)
    agent = make_agent(scoped, queues=[queue], username="xiaoli")
    lead = UserFactory(organization=scoped, username="banzhang")
    ticket = TicketFactory(organization=scoped, queue=queue, subject="空调不制冷")
    return {"org": scoped, "ops": ops_admin, "agent": agent, "lead": lead, "ticket": ticket}


def _give(desk, permissions, modules=("tickets",)):
    role = role_save(organization=desk["org"], by=desk["ops"], name="班长", permissions=permissions,
                     modules=list(modules), data_scope=DataScope.ORGANIZATION, masked_fields=[])
    role_assign(role=role, user=desk["lead"], by=desk["ops"])


@pytest.mark.parametrize("granted", [True, False])
def test_a_custom_role_gives_tickets_to_others_only_with_the_assign_permission(desk, granted):
    _give(desk, WORK + (["tickets.assign_ticket"] if granted else []))
    lead, agent, ticket = desk["lead"], desk["agent"], desk["ticket"]

    page = _client(lead).post(f"/tickets/{ticket.pk}/assign/", {"assignee": agent.pk})
    ticket.refresh_from_db()
    assert (ticket.assignee_id == agent.pk) is granted
    assert page.status_code in ((302,) if granted else (302, 403))

    ticket.assignee = None
    ticket.save(update_fields=["assignee"])
    api = _api(lead).post(f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": agent.pk}, format="json")
    assert api.status_code == (200 if granted else 403), api.content
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == (agent.pk if granted else None)

    # The ticket page offers other assignees only to those who may choose them; taking it yourself stays open to
    # whoever holds tickets (an agent profile), through the page's 指派 and the API alike.
    page = _client(lead).get(f"/tickets/{ticket.pk}/")
    assert page.context["may_assign_others"] is granted
    assert (agent in page.context["assignees"]) is granted
    assert _api(lead).post(f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": lead.pk},
                           format="json").status_code == 400  # no agent profile: the page offers them nobody
    AgentProfileFactory(user=lead)
    assert _api(lead).post(f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": lead.pk},
                           format="json").status_code == 200


def test_an_agent_cannot_give_a_ticket_to_someone_else_and_a_supervisor_can(desk, make_user):
    agent, ticket = desk["agent"], desk["ticket"]
    other = make_agent(desk["org"], username="xiaowang")
    assert _api(agent).post(f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": other.pk},
                            format="json").status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None
    supervisor = make_user(desk["org"], Role.SUPERVISOR, username="chen")
    team = ticket.queue.team
    team.leader = supervisor
    team.save(update_fields=["leader"])
    assert supervisor.has_perm("tickets.assign_ticket") and not agent.has_perm("tickets.assign_ticket")
    assert _api(supervisor).post(f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": other.pk},
                                 format="json").status_code == 200


@pytest.mark.parametrize("granted", [True, False])
def test_my_tickets_follows_the_permission_to_work_tickets(desk, granted):
    _give(desk, WORK if granted else ["tickets.view_ticket"])
    response = _client(desk["lead"]).get("/tickets/")
    assert response.status_code == 200
    # Their home is their own tickets (with the menu entry) once they work tickets; else the tickets they may see.
    assert (response.context["page"] == "mine") is granted
    assert ('data-subnav="tickets-mine"' in response.content.decode()) is granted


@pytest.mark.parametrize("granted", [True, False])
def test_a_custom_role_opens_the_sla_report_only_with_its_permission(desk, granted):
    _give(desk, ["tickets.view_ticket"] + (["sla.view_sla_report"] if granted else []),
          modules=("tickets", "reports"))
    response = _client(desk["lead"]).get("/sla/report/")
    assert response.status_code == (200 if granted else 403)
    assert ("/sla/report/" in _client(desk["lead"]).get("/tickets/").content.decode()) is granted


def test_the_preset_report_readers_hold_the_report_permission(scoped, make_user):
    for role in Role:
        user = make_user(scoped, role, username=f"r-{role.value}")
        assert user.has_perm("sla.view_sla_report") is (role in (Role.SUPERVISOR, Role.OPS_ADMIN, Role.VIEWER))
