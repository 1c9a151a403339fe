"""WeChat template messages: ops configure them per Official Account (template id, fields with placeholders); once
the 48-hour window has closed the reply box refuses a reply, says why, and offers them; the agent sends one through
the same reply outbox as any reply (the local fake WeChat answers /cgi-bin/message/template/send), and sees its
delivery state in the conversation, a refusal in Chinese with Retry."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from channels_ingest.errors import ChannelError
from channels_ingest.models import OutboundMessage, WeChatTemplate
from channels_ingest.services.templates import wechat_template_save
from scrm.models import SettingsChange
from scrm.platform.tenancy import tenant_scope
from tests.channels_ingest.test_reply_delivery import _client, _delivery, desk  # noqa: F401 - fixture
from tickets.errors import MSG_TEMPLATE_NEEDS_TEXT, MSG_TEMPLATE_UNKNOWN
from tickets.models import Comment, TicketEvent

pytestmark = pytest.mark.django_db

TEMPLATE_SEND = "/cgi-bin/message/template/send"
FIELDS = "first = 您的工单 {ticket_number} 有新进展\nkeyword1 = {ticket_subject}\nremark = {text}"


def _template(desk, ops_admin):  # noqa: F811
    return wechat_template_save(account=desk["account"], name="工单进展通知", template_id="TPL-abc123",
                                fields_text=FIELDS, by=ops_admin)


def test_ops_configure_template_messages_on_the_account_page(desk, ops_admin):  # noqa: F811
    client = _client(ops_admin)
    url = f"/settings/channels/{desk['account'].pk}/templates/"
    assert 'data-testid="account-templates"' in client.get(f"/settings/channels/{desk['account'].pk}/").content.decode()
    page = client.post(url, {"name": "进展", "template_id": "TPL-1", "fields": "first = {order_no}"})
    assert page.status_code == 400 and "{order_no}" in page.content.decode()
    response = client.post(url, {"name": "进展", "template_id": "TPL-1", "fields": FIELDS})
    assert response.status_code == 302
    with tenant_scope(desk["org"]):
        template = WeChatTemplate.objects.get()
        assert template.fields[0] == ["first", "您的工单 {ticket_number} 有新进展"]
        assert SettingsChange.objects.filter(subject="channels_ingest.wechattemplate", action="create").exists()
    assert "TPL-1" in client.get(url).content.decode()
    # Agents do not configure them.
    assert _client(desk["agent"]).get(url).status_code == 403


def test_a_field_line_that_is_not_key_equals_text_is_refused(desk, ops_admin):  # noqa: F811
    with pytest.raises(ChannelError, match="2"):
        wechat_template_save(account=desk["account"], name="x", template_id="T", fields_text="first = a\nnonsense",
                             by=ops_admin)
    with tenant_scope(desk["org"]):
        assert not WeChatTemplate.objects.exists()


def test_after_48_hours_the_agent_sends_a_template_message_and_sees_it_delivered(
        desk, ops_admin, fake_wechat, eager_tasks, django_capture_on_commit_callbacks):  # noqa: F811
    key = str(_template(desk, ops_admin).pk)
    client = _client(desk["agent"])
    ticket = desk["ticket"]
    assert 'data-testid="template-form"' not in client.get(f"/tickets/{ticket.pk}/").content.decode()  # window open
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        page = client.get(f"/tickets/{ticket.pk}/").content.decode()
        assert 'data-testid="template-form"' in page and 'data-testid="reply-window-closed"' in page
        refusal = page.split('data-testid="reply-window-closed"')[1].split("</div>")[0]
        assert "48" in refusal and "模板消息" in refusal
        response = client.post(f"/tickets/{ticket.pk}/template/", {"template": key, "text": ""}, follow=True)
        assert [str(m) for m in response.context["messages"]] == [str(MSG_TEMPLATE_NEEDS_TEXT)]
        response = client.post(f"/tickets/{ticket.pk}/template/", {"template": "999999", "text": "x"}, follow=True)
        assert [str(m) for m in response.context["messages"]] == [str(MSG_TEMPLATE_UNKNOWN)]
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/tickets/{ticket.pk}/template/", {"template": key, "text": "师傅明天上午上门"})
    with tenant_scope(desk["org"]):
        sent = Comment.objects.get(ticket=ticket, body__startswith="【工单进展通知】")
        assert sent.is_public and "师傅明天上午上门" in sent.body and ticket.number in sent.body
        assert TicketEvent.objects.filter(ticket=ticket, after__template="工单进展通知").count() == 1
        outbound = OutboundMessage.objects.get(comment=sent)
        assert outbound.status == OutboundMessage.Status.SENT and outbound.template_id == "TPL-abc123"
    [(_path, _query, body)] = fake_wechat.calls_to(TEMPLATE_SEND)
    payload = json.loads(body)
    assert payload["touser"] == ticket.source_ref.split(":")[1] and payload["template_id"] == "TPL-abc123"
    assert payload["data"]["keyword1"]["value"] == ticket.subject
    assert payload["data"]["remark"]["value"] == "师傅明天上午上门"
    assert _delivery(client.get(f"/tickets/{ticket.pk}/"), sent)[0] == "sent"


def test_a_refused_template_message_says_why_and_retry_sends_it_again(
        desk, ops_admin, fake_wechat, eager_tasks, django_capture_on_commit_callbacks):  # noqa: F811
    template = _template(desk, ops_admin)
    fake_wechat.answer(TEMPLATE_SEND, (200, {"errcode": 40037, "errmsg": "invalid template_id secret=abc"}, None),
                       (200, {"errcode": 0, "errmsg": "ok"}, None))
    client = _client(desk["agent"])
    ticket = desk["ticket"]
    with time_machine.travel(timezone.now() + timedelta(hours=49)), \
            django_capture_on_commit_callbacks(execute=True):
        client.post(f"/tickets/{ticket.pk}/template/", {"template": str(template.pk), "text": "请回电"})
    with tenant_scope(desk["org"]):
        sent = Comment.objects.get(ticket=ticket, body__startswith="【工单进展通知】")
    page = client.get(f"/tickets/{ticket.pk}/")
    state, text = _delivery(page, sent)
    assert state == "failed" and "40037" in text and "模板" in text and "secret" not in text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/tickets/{ticket.pk}/replies/{sent.pk}/retry/")
    assert len(fake_wechat.calls_to(TEMPLATE_SEND)) == 2
    assert _delivery(client.get(f"/tickets/{ticket.pk}/"), sent)[0] == "sent"
