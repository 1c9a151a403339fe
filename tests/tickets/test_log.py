"""新建工单: agents log a phone call, a walk-in or an email as a ticket, for a customer they find or a new one;
the ticket is routed like any other. Who may, what bad input does, and that nothing is half-written."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from scrm.models import Customer, Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.scrm.factories import OrganizationFactory, TeamFactory, UserFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketTypeFactory, make_agent
from tickets.errors import MSG_CREATED, MSG_CUSTOMER_NEEDED, MSG_CUSTOMER_NOT_VISIBLE, MSG_MOBILE_TAKEN
from tickets.models import Attachment, Comment, RoutingRule, Ticket, TicketEvent

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
