"""Canned responses: variables filled in safely, offered per queue, inserted through the ticket page."""

import pytest
from django.test import Client

from scrm.models import Role
from tests.scrm.factories import UserFactory
from tests.tenancy import tenant_pair
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.errors import MSG_OTHER_ORGANIZATION, TicketError
from tickets.models import CannedResponse
from tickets.services import canned_response_render

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(scoped):
    queue = QueueFactory(organization=scoped, name="售后一线")
    other_queue = QueueFactory(organization=scoped, name="技术支持")
    agent = make_agent(scoped, queues=[queue], username="xiaoli")
    agent.display_name = "小李"
    agent.save(update_fields=["display_name"])
    customer = CustomerFactory(organization=scoped, display_name="王小明")
    ticket = TicketFactory(organization=scoped, queue=queue, customer=customer, subject="空调不制冷")
    return {"org": scoped, "queue": queue, "other_queue": other_queue, "agent": agent, "ticket": ticket}


def _canned(org, body, **kwargs):
    kwargs.setdefault("title", body[:20])
    return CannedResponse.objects.create(organization=org, body=body, **kwargs)


def test_variables_are_filled_in(setup):
    body = "您好 {customer_name}，工单 {ticket_number}（{ticket_subject}）由 {agent_name} 跟进。"
    canned = _canned(setup["org"], body)
    text = canned_response_render(canned=canned, ticket=setup["ticket"], agent=setup["agent"])
    assert text == f"您好 王小明，工单 {setup['ticket'].number}（空调不制冷）由 小李 跟进。"


def test_unknown_names_and_format_tricks_are_left_as_written(setup):
    body = "{customer_name.__class__} {ticket.customer.mobile} {0} {{customer_name}} {unknown} %(agent_name)s"
    canned = _canned(setup["org"], body)
    text = canned_response_render(canned=canned, ticket=setup["ticket"], agent=setup["agent"])
    assert text == "{customer_name.__class__} {ticket.customer.mobile} {0} {王小明} {unknown} %(agent_name)s"


def test_html_in_a_customer_name_is_text_on_the_page(setup):
    customer = setup["ticket"].customer
    customer.display_name = "<script>alert(1)</script>"
    customer.save(update_fields=["display_name"])
    canned = _canned(setup["org"], "您好 {customer_name}")
    client = Client()
    client.force_login(setup["agent"])
    response = client.get(f"/tickets/{setup['ticket'].pk}/canned/{canned.pk}/")
    assert response.json() == {"text": "您好 <script>alert(1)</script>"}  # JSON text, inserted as a value
    assert "<script>alert(1)</script>" not in client.get(f"/tickets/{setup['ticket'].pk}/").content.decode()


def test_a_ticket_is_offered_its_queues_and_the_general_active_responses(setup):
    general = _canned(setup["org"], "通用", title="通用问候")
    mine = _canned(setup["org"], "本队列", title="售后话术", queue=setup["queue"])
    other = _canned(setup["org"], "别的队列", title="技术话术", queue=setup["other_queue"])
    inactive = _canned(setup["org"], "停用", title="停用话术", is_active=False)
    client = Client()
    client.force_login(setup["agent"])
    body = client.get(f"/tickets/{setup['ticket'].pk}/").content.decode()
    assert general.title in body and mine.title in body
    assert other.title not in body and inactive.title not in body
    base = f"/tickets/{setup['ticket'].pk}/canned/"
    assert client.get(f"{base}{mine.pk}/").status_code == 200
    assert client.get(f"{base}{other.pk}/").status_code == 404
    assert client.get(f"{base}{inactive.pk}/").status_code == 404


def test_viewers_cannot_use_canned_responses(setup):
    canned = _canned(setup["org"], "通用")
    client = Client()
    client.force_login(UserFactory(organization=setup["org"], roles=[Role.VIEWER]))
    assert client.get(f"/tickets/{setup['ticket'].pk}/canned/{canned.pk}/").status_code == 403


def test_a_canned_response_of_another_organization_is_never_rendered_or_reached(platform):
    def seed(tenant):
        queue = QueueFactory(organization=tenant.organization)
        agent = make_agent(tenant.organization, queues=[queue], username=f"{tenant.organization.slug}-worker")
        ticket = TicketFactory(organization=tenant.organization, queue=queue)
        canned = _canned(tenant.organization, f"{tenant.marker} 您好", title=f"{tenant.marker} 问候")
        tenant.objects.update(agent=agent, ticket=ticket, canned=canned)

    a, b = tenant_pair(seed)
    with pytest.raises(TicketError) as exc:
        canned_response_render(canned=b.objects["canned"], ticket=a.objects["ticket"], agent=a.objects["agent"])
    assert str(exc.value) == MSG_OTHER_ORGANIZATION
    client = Client()
    client.force_login(a.objects["agent"])
    assert client.get(f"/tickets/{a.objects['ticket'].pk}/canned/{b.objects['canned'].pk}/").status_code == 404
    body = client.get(f"/tickets/{a.objects['ticket'].pk}/").content.decode()
    assert a.marker in body and b.marker not in body


def test_ops_manage_canned_responses_in_the_admin(setup, ops_admin):
    client = Client()
    client.force_login(ops_admin)
    response = client.post("/admin/tickets/cannedresponse/add/", {
        "title": "催单回复", "body": "您好 {customer_name}，已为您催促。", "queue": "", "is_active": "on",
    })
    assert response.status_code == 302
    assert CannedResponse.objects.get(title="催单回复").organization == setup["org"]
    agent_client = Client()
    agent_client.force_login(setup["agent"])
    assert agent_client.get("/admin/tickets/cannedresponse/").status_code == 302  # not staff: the admin login
