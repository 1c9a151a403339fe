"""新建工单: agents log a phone call, a walk-in or an email as a ticket, for a customer they find or a new one;
the ticket is routed like any other. Who may, what bad input does, and that nothing is half-written."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from notifications.models import Notification
from scrm.models import AgentProfile, Customer, Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.scrm.factories import OrganizationFactory, TeamFactory, UserFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketTypeFactory, make_agent
from tickets.errors import (
    MSG_ASSIGN_TO_ME_NOT_IN_QUEUE,
    MSG_CREATED,
    MSG_CUSTOMER_NEEDED,
    MSG_CUSTOMER_NOT_VISIBLE,
    MSG_MOBILE_TAKEN,
)
from tickets.models import Attachment, Comment, QueueMembership, RoutingRule, Ticket, TicketEvent
from tickets.services.intake import ticket_log

pytestmark = pytest.mark.django_db
URL = "/tickets/new/"


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _zh(message, **values):
    with translation.override("zh-hans"):
        return str(message) % values if values else str(message)


@pytest.fixture
def desk(organization):
    with tenant_scope(organization):
        team = TeamFactory(organization=organization, name="售后组")
        queue = QueueFactory(organization=organization, name="售后一线", code="l1", team=team, auto_assign=False)
        complaints = QueueFactory(organization=organization, name="投诉专席", code="cmp", team=team,
                                  auto_assign=False)
        agent = make_agent(organization, queues=[queue, complaints], username="xiaoli", team=team)
        customer = CustomerFactory(organization=organization, display_name="王小明", mobile="+8613812345678")
        RoutingRule.objects.create(organization=organization, name="投诉", position=1, keywords="投诉",
                                   set_queue=complaints, set_priority=Ticket.Priority.P1)
    return {"org": organization, "queue": queue, "complaints": complaints, "agent": agent, "customer": customer}


def test_an_agent_logs_a_phone_call_for_a_customer_found_by_mobile_and_the_rules_route_it(desk):
    client = _client(desk["agent"])
    matches = client.get(URL + "customers/?q=138 1234 5678").content.decode()
    assert "王小明" in matches and "138****5678" in matches and "13812345678" not in matches

    response = client.post(URL, {"channel": "phone", "customer": desk["customer"].pk,
                                 "subject": "电话投诉：安装师傅迟到", "description": "客户来电，师傅迟到三小时"})
    with tenant_scope(desk["org"]):
        ticket = Ticket.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
        assert (ticket.customer, ticket.channel) == (desk["customer"], "phone")
        assert (ticket.queue, ticket.priority) == (desk["complaints"], Ticket.Priority.P1)  # the rule decided
        created = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.CREATED)
        assert created.actor == desk["agent"] and created.after["rule"]["name"] == "投诉"
    page = client.get(response["Location"]).content.decode()
    assert _zh(MSG_CREATED, number=ticket.number) in page


def test_a_walk_in_customer_is_created_with_the_ticket_and_files_go_on_an_internal_note(desk):
    client = _client(desk["agent"])
    photo = SimpleUploadedFile("发票.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")
    response = client.post(URL, {"channel": "walk_in", "new_customer_name": "李女士",
                                 "new_customer_mobile": "139-0000-1111", "subject": "到店咨询延保",
                                 "queue": desk["queue"].pk, "attachments": photo})
    assert response.status_code == 302
    with tenant_scope(desk["org"]):
        ticket = Ticket.objects.get()
        assert ticket.customer.display_name == "李女士" and ticket.customer.mobile == "+8613900001111"
        assert ticket.customer.source_channel == "walk_in" and ticket.queue == desk["queue"]
        note = Comment.objects.get(ticket=ticket)
        assert not note.is_public and note.author == desk["agent"]
        assert list(Attachment.objects.filter(comment=note).values_list("original_name", flat=True)) == ["发票.pdf"]


def test_a_new_customer_with_a_known_mobile_is_refused_and_nothing_is_written(desk):
    response = _client(desk["agent"]).post(URL, {"channel": "phone", "new_customer_name": "王先生",
                                                 "new_customer_mobile": "13812345678", "subject": "报修"})
    assert response.status_code == 400
    assert _zh(MSG_MOBILE_TAKEN, name="王小明", mobile="138****5678") in response.content.decode()
    with tenant_scope(desk["org"]):
        assert not Ticket.objects.exists()
        assert Customer.objects.count() == 1


def test_a_refused_file_leaves_neither_ticket_nor_customer(desk):
    script = SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 100, "application/octet-stream")
    response = _client(desk["agent"]).post(URL, {"channel": "phone", "new_customer_name": "赵女士",
                                                 "subject": "报修", "attachments": script})
    assert response.status_code == 400 and 'data-testid="form-errors"' in response.content.decode()
    with tenant_scope(desk["org"]):
        assert not Ticket.objects.exists()
        assert Customer.objects.count() == 1


@pytest.mark.parametrize(("post", "message"), [
    ({"channel": "phone", "subject": "报修"}, MSG_CUSTOMER_NEEDED),
    ({"channel": "phone", "new_customer_name": "孙", "new_customer_mobile": "12345", "subject": "报修"}, None),
    ({"channel": "wechat_oa", "new_customer_name": "孙", "subject": "报修"}, None),
    ({"channel": "phone", "new_customer_name": "孙", "subject": ""}, None),
])
def test_bad_input_gets_a_clear_message_and_stores_nothing(desk, post, message):
    response = _client(desk["agent"]).post(URL, post)
    assert response.status_code == 400
    assert response.context["form"].errors
    if message:
        assert _zh(message) in response.content.decode()
    with tenant_scope(desk["org"]):
        assert not Ticket.objects.exists()


def test_a_customer_of_another_organization_or_region_cannot_be_used(desk):
    with platform_scope():
        other = OrganizationFactory(slug="other", name="别家")
    with tenant_scope(other):
        stranger = CustomerFactory(organization=other, display_name="外人", mobile="+8613700000000")
    client = _client(desk["agent"])
    assert 'data-testid="customer-no-match"' in client.get(URL + "customers/?q=外人").content.decode()
    assert 'data-testid="customer-match"' not in client.get(URL + "customers/?q=13700000000").content.decode()
    response = client.post(URL, {"channel": "phone", "customer": stranger.pk, "subject": "报修"})
    assert response.status_code == 400
    assert _zh(MSG_CUSTOMER_NOT_VISIBLE) in response.content.decode()
    with tenant_scope(desk["org"]):
        assert not Ticket.objects.exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPS_ADMIN, Role.FINANCE])
def test_roles_that_do_not_work_tickets_cannot_log_one(desk, role):
    with platform_scope():
        user = UserFactory(organization=desk["org"], roles=[role])
    client = _client(user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"channel": "phone", "customer": desk["customer"].pk, "subject": "x"}).status_code == 403
    assert client.get(URL + "customers/?q=王").status_code == 403
    with tenant_scope(desk["org"]):
        assert not Ticket.objects.exists()


def test_the_queue_and_the_customer_page_offer_it_to_those_who_may(desk):
    client = _client(desk["agent"])
    assert 'data-testid="ticket-create"' in client.get("/tickets/").content.decode()
    page = client.get(f"/customers/{desk['customer'].pk}/").content.decode()
    assert f'href="/tickets/new/?customer={desk["customer"].pk}"' in page
    form = client.get(f"/tickets/new/?customer={desk['customer'].pk}").content.decode()
    assert f'value="{desk["customer"].pk}" checked' in form

    with platform_scope():
        viewer = UserFactory(organization=desk["org"], roles=[Role.VIEWER])
    viewer_client = _client(viewer)
    assert 'data-testid="ticket-create"' not in viewer_client.get("/tickets/queues/").content.decode()
    assert "/tickets/new/" not in viewer_client.get(f"/customers/{desk['customer'].pk}/").content.decode()


def test_a_ticket_routed_to_a_queue_the_agent_is_not_in_sends_them_back_to_their_queue(desk):
    with tenant_scope(desk["org"]):
        elsewhere = QueueFactory(organization=desk["org"], name="财务专席", code="fin", auto_assign=False)
        ticket_type = TicketTypeFactory(organization=desk["org"], name="发票", default_queue=elsewhere)
    response = _client(desk["agent"]).post(URL, {"channel": "email", "customer": desk["customer"].pk,
                                                 "subject": "开发票", "type": ticket_type.pk})
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    with tenant_scope(desk["org"]):
        assert Ticket.objects.get().queue == elsewhere


def test_a_ticket_the_rules_route_nowhere_stays_with_whoever_logged_it(desk):
    response = _client(desk["agent"]).post(URL, {"channel": "phone", "customer": desk["customer"].pk,
                                                 "subject": "咨询保修期"})
    with tenant_scope(desk["org"]):
        ticket = Ticket.objects.get()
        assert ticket.queue is None and ticket.assignee == desk["agent"]
    assert response["Location"] == f"/tickets/{ticket.pk}/"


@pytest.fixture
def busy_desk(desk):
    """An auto-assign queue of the agent's where the strategy prefers a colleague (online, no tickets yet)."""
    with tenant_scope(desk["org"]):
        hotline = QueueFactory(organization=desk["org"], name="热线", code="hot", team=desk["queue"].team,
                               auto_assign=True)
        QueueMembership.objects.create(organization=desk["org"], queue=hotline,
                                       agent=AgentProfile.objects.get(user=desk["agent"]))
        colleague = make_agent(desk["org"], queues=[hotline], username="xiaozhang")
        # The creator is away, so the strategy would never choose them.
        AgentProfile.objects.filter(user=desk["agent"]).update(status=AgentProfile.Status.AWAY)
    return {**desk, "hotline": hotline, "colleague": colleague}


def test_assign_to_me_gives_a_logged_ticket_to_its_creator_not_to_whoever_the_queue_picks(busy_desk):
    org, agent = busy_desk["org"], busy_desk["agent"]
    with tenant_scope(org):
        routed = ticket_log(organization=org, actor=agent, channel="phone", subject="回访", description="",
                            customer=busy_desk["customer"], queue=busy_desk["hotline"])
        assert routed.assignee == busy_desk["colleague"]  # without it, the strategy decides

        mine = ticket_log(organization=org, actor=agent, channel="phone", subject="电话报修", description="",
                          customer=busy_desk["customer"], queue=busy_desk["hotline"], assign_to_me=True)
        mine.refresh_from_db()
        assert (mine.assignee, mine.status, mine.queue) == (agent, Ticket.Status.OPEN, busy_desk["hotline"])
        # One assignment, by the creator, through the manual path: the timeline says who gave it to whom.
        [assigned] = TicketEvent.objects.filter(ticket=mine, kind=TicketEvent.Kind.ASSIGNED)
        assert assigned.actor == agent and assigned.after["assignee"]["id"] == agent.pk
        assert assigned.after["via"] == "manual"
        # The colleague was never handed it, nor told about it.
        assert not Notification.objects.filter(ticket=mine).exists()


def test_assign_to_me_is_refused_in_a_queue_the_creator_is_not_an_agent_of_and_nothing_is_written(busy_desk):
    org = busy_desk["org"]
    with tenant_scope(org):
        elsewhere = QueueFactory(organization=org, name="财务专席", code="fin", auto_assign=True)
        make_agent(org, queues=[elsewhere], username="caiwu")
        ticket_type = TicketTypeFactory(organization=org, name="发票", default_queue=elsewhere)
    for post in ({"queue": elsewhere.pk}, {"type": ticket_type.pk}):  # chosen, or routed there by the type
        response = _client(busy_desk["agent"]).post(URL, {
            "channel": "phone", "new_customer_name": "周先生", "subject": "开发票", "assign_to_me": "on", **post})
        assert response.status_code == 400
        assert _zh(MSG_ASSIGN_TO_ME_NOT_IN_QUEUE, queue="财务专席") in response.content.decode()
        with tenant_scope(org):
            assert not Ticket.objects.exists() and Customer.objects.count() == 1
            assert not Notification.objects.exists()


def test_the_page_offers_assign_to_me_only_to_agents_of_a_queue_and_posts_it_to_the_service(busy_desk):
    client = _client(busy_desk["agent"])
    page = client.get(URL).content.decode()
    assert 'data-testid="assign-to-me"' in page and "由我处理" in page
    mine = sorted([busy_desk["queue"].pk, busy_desk["complaints"].pk, busy_desk["hotline"].pk])
    assert f'data-my-queues="{",".join(map(str, mine))}"' in page

    response = client.post(URL, {"channel": "phone", "customer": busy_desk["customer"].pk, "subject": "上门安装",
                                 "queue": busy_desk["hotline"].pk, "assign_to_me": "on"})
    with tenant_scope(busy_desk["org"]):
        ticket = Ticket.objects.get()
        assert ticket.assignee == busy_desk["agent"]
    assert response["Location"] == f"/tickets/{ticket.pk}/"

    with platform_scope():
        # A supervisor works tickets but is an agent of no queue: nothing to assign to themselves in.
        supervisor = UserFactory(organization=busy_desk["org"], roles=[Role.SUPERVISOR])
    assert 'data-testid="assign-to-me"' not in _client(supervisor).get(URL).content.decode()
