"""Internal tickets (no customer, e.g. opened from a reconciliation discrepancy): the SLA treats them as having no
customer level, their page opens for the agent and the supervisor, a canned response fills in an empty customer
name, and whatever only goes to a customer (an SMS, a template message, a form link, a reply the channel would
send) is refused with a clear message, nothing written, and not offered on the page."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from tests.forms_builder.factories import published_form
from tests.scrm.factories import AgentProfileFactory
from tests.sla.factories import office_calendar, sla_policy, staffed_queue
from tests.tickets.factories import CustomerFactory
from tickets.errors import MSG_NO_CUSTOMER, TicketError
from tickets.models import CannedResponse, Comment, QueueMembership, Ticket
from tickets.services import canned_response_render, reply_window_refusal, ticket_open, ticket_reply
from tickets.services.delivery import ticket_reply_sms, ticket_reply_template

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def desk(scoped, settings):
    settings.SMS_PROVIDER = "aliyun"  # an SMS account is configured: only the missing customer refuses the SMS
    settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "key-id", "key-secret"
    settings.ALIYUN_SMS_SIGN_NAME, settings.ALIYUN_SMS_TEMPLATE_CODE = "星河家电", "SMS_123"
    calendar = office_calendar(scoped)
    queue, ticket_type, agent, supervisor = staffed_queue(scoped)
    vip = sla_policy(scoped, calendar, name="VIP", position=0, customer_level="vip", targets=[(3, 10, 10, 60)])
    AgentProfileFactory(user=supervisor)
    QueueMembership.objects.create(organization=scoped, queue=queue, agent=supervisor.agent_profile)
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False):
        ticket = ticket_open(organization=scoped, customer=None, subject="对账差异：UNKNOWN-9", description="谁的钱",
                             channel="manual", queue=queue, type=ticket_type)
    return {"org": scoped, "queue": queue, "agent": agent, "supervisor": supervisor, "ticket": ticket, "vip": vip}


def _refused(call):
    with pytest.raises(TicketError) as caught:
        call()
    return str(caught.value)


def test_an_internal_ticket_opens_under_an_sla_policy_for_a_customer_level(desk):
    ticket = desk["ticket"]
    assert ticket.customer_id is None and ticket.sla_policy != desk["vip"]
    # A customer of that level still gets the policy.
    vip_ticket = ticket_open(organization=desk["org"], customer=CustomerFactory(organization=desk["org"], level="vip"),
                             subject="VIP", description="", channel="manual", queue=desk["queue"])
    assert vip_ticket.sla_policy == desk["vip"]


@pytest.mark.parametrize("who", ["agent", "supervisor"])
def test_the_internal_tickets_page_opens_without_customer_offers(desk, who):
    client = Client()
    client.force_login(desk[who])
    response = client.get(f"/tickets/{desk['ticket'].pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="internal-ticket"' in page and 'data-testid="customer-panel"' not in page
    assert 'data-testid="sms-form"' not in page


def test_a_canned_response_fills_in_an_empty_customer_name_and_refuses_a_form_link(desk):
    org, ticket, agent = desk["org"], desk["ticket"], desk["agent"]
    hello = CannedResponse.objects.create(organization=org, title="问候",
                                          body="您好{customer_name}，工单 {ticket_number}")
    assert canned_response_render(canned=hello, ticket=ticket, agent=agent) == f"您好，工单 {ticket.number}"
    published_form(org, slug="service")
    link = CannedResponse.objects.create(organization=org, title="登记", body="请填写 {form:service}")
    assert _refused(lambda: canned_response_render(canned=link, ticket=ticket, agent=agent)) == str(
        MSG_NO_CUSTOMER % {"number": ticket.number})
    client = Client()
    client.force_login(agent)
    assert client.get(f"/tickets/{ticket.pk}/canned/{hello.pk}/").json() == {"text": f"您好，工单 {ticket.number}"}
    with translation.override("zh-hans"):
        expected = str(MSG_NO_CUSTOMER % {"number": ticket.number})
    response = client.get(f"/tickets/{ticket.pk}/canned/{link.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert (response.status_code, response.json()) == (400, {"error": expected})


def test_sms_template_and_sent_replies_to_an_internal_ticket_are_refused(desk):
    ticket, agent = desk["ticket"], desk["agent"]
    expected = str(MSG_NO_CUSTOMER % {"number": ticket.number})
    assert _refused(lambda: ticket_reply_sms(ticket=ticket, author=agent, body="您好")) == expected
    assert _refused(lambda: ticket_reply_template(ticket=ticket, author=agent, template="1", text="您好")) == expected
    client = Client()
    client.force_login(agent)
    client.post(f"/tickets/{ticket.pk}/sms/", {"body": "您好"})
    client.post(f"/tickets/{ticket.pk}/template/", {"template": "1", "text": "您好"})
    assert not Comment.objects.filter(ticket=ticket).exists()
    # A reply the ticket's channel would send has nobody to go to; on a channel that sends nothing it is recorded.
    assert reply_window_refusal(ticket) == ""
    ticket_reply(ticket=ticket, author=agent, body="已记录")
    Ticket.objects.filter(pk=ticket.pk).update(channel="wechat_oa")
    ticket.refresh_from_db()
    assert reply_window_refusal(ticket) == expected
    assert _refused(lambda: ticket_reply(ticket=ticket, author=agent, body="您好")) == expected
    assert list(Comment.objects.filter(ticket=ticket).values_list("body", flat=True)) == ["已记录"]
