"""When WeChat's 48-hour window has closed and the organization has an SMS account, the agent sends the customer
an SMS from the ticket: through the notification outbox's SMS sender (a local fake gateway here), shown in the
conversation with its delivery state; without an account the refusal says a template message is needed."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from notifications.models import NotificationDelivery
from notifications.services import notification_delivery_send
from scrm.platform.tenancy import tenant_scope
from tests.channels_ingest.test_reply_delivery import _client, _delivery, _messages, desk  # noqa: F401 - fixture
from tests.notifications.test_senders import fake_gateway
from tickets.errors import MSG_SMS_TOO_LONG
from tickets.models import Comment, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings):
    with fake_gateway() as gateway:
        settings.SMS_PROVIDER = "aliyun"
        settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "key-id", "key-secret"
        settings.ALIYUN_SMS_SIGN_NAME, settings.ALIYUN_SMS_TEMPLATE_CODE = "星河家电", "SMS_123"
        settings.ALIYUN_SMS_ENDPOINT = gateway.url
        yield gateway


def test_after_48_hours_the_agent_sends_an_sms_and_sees_it_delivered(desk, gateway,  # noqa: F811
                                                                      django_capture_on_commit_callbacks):
    with tenant_scope(desk["org"]):
        desk["customer"].mobile = "+8613800000001"
        desk["customer"].save(update_fields=["mobile"])
    client = _client(desk["agent"])
    ticket = desk["ticket"]
    assert 'data-testid="sms-form"' not in client.get(f"/tickets/{ticket.pk}/").content.decode()  # window open
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        page = client.get(f"/tickets/{ticket.pk}/").content.decode()
        assert 'data-testid="sms-form"' in page and 'data-testid="reply-window-closed"' in page
        response = client.post(f"/tickets/{ticket.pk}/sms/", {"body": "您好，" + "很" * 70}, follow=True)
        with translation.override("zh-hans"):
            assert _messages(response) == [str(MSG_SMS_TOO_LONG % {"limit": 60, "count": 73})]
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/tickets/{ticket.pk}/sms/", {"body": "您好，师傅明天上午上门，请保持电话畅通。"},
                                   follow=True)
    with tenant_scope(desk["org"]):
        sms = Comment.objects.get(ticket=ticket, body="您好，师傅明天上午上门，请保持电话畅通。")
        assert sms.is_public and sms.author == desk["agent"]
        assert TicketEvent.objects.filter(ticket=ticket, after__sms=True).count() == 1
        delivery = NotificationDelivery.objects.get(channel="sms")
        assert delivery.address == "13800000001" and delivery.notification.read_at is not None
        gateway.requests.clear()
        notification_delivery_send(delivery_id=delivery.pk)
    [sent] = [r[2] for r in gateway.requests if r[2].get("Action") == "SendSms"]
    assert sent["PhoneNumbers"] == "13800000001" and "师傅明天上午上门" in sent["TemplateParam"]
    state, _text = _delivery(client.get(f"/tickets/{ticket.pk}/"), sms)
    assert state == "sent"
