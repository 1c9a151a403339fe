"""An agent sees whether a reply reached the customer, against the local fake WeChat server: queued then sent under
the reply, WeChat's refusal in Chinese with a Retry button that sends it again, the 48-hour customer-service window
refused at the reply box, and a phone ticket's reply recorded with nothing sent."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation

from channels_ingest.models import OutboundMessage
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.scrm.factories import UserFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.errors import MSG_REPLIED, MSG_REPLY_NOT_SENT
from tickets.models import Comment

SEND = "/cgi-bin/message/custom/send"
OPENID = "oNBtestUser0001"


def _zh(message, **values):
    with translation.override("zh-hans"):
        return str(message) % values if values else str(message)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def _delivery(page, comment):
    """The delivery marker under one reply: (state, its visible text without tags)."""
    html = page.content.decode() if hasattr(page, "content") else page
    block = html.split(f'data-comment="{comment.pk}"', 1)[1].split('data-testid="message"', 1)[0]
    found = re.search(r'data-testid="delivery" data-state="(\w+)">(.*?)</div>', block, re.S)
    if not found:
        return None, ""
    return found.group(1), " ".join(re.sub(r"<[^>]+>", " ", found.group(2)).split())


@pytest.fixture
def desk(organization, oa_account):
    with tenant_scope(organization):
        queue = QueueFactory(organization=organization, name="微信客服", auto_assign=False)
        agent = make_agent(organization, queues=[queue], username="xiaoli")
        customer = CustomerFactory(organization=organization, display_name="王小明")
        ticket = TicketFactory(organization=organization, queue=queue, customer=customer, channel="wechat_oa",
                               source_ref=f"{oa_account.slug}:{OPENID}", assignee=agent)
        Comment.objects.create(organization=organization, ticket=ticket, customer=customer, body="空调不制冷",
                               channel="wechat_oa", message_id="msg-1")
    return {"org": organization, "agent": agent, "ticket": ticket, "customer": customer, "account": oa_account}


def _reply(client, ticket, body, capture, *, public="1"):
    """Post a reply and return (response, the callbacks its commit would run): a test runs them when it wants the
    worker to see the reply."""
    with capture(execute=False) as callbacks:
        response = client.post(f"/tickets/{ticket.pk}/reply/", {"body": body, "public": public}, follow=True)
    return response, callbacks


def _run(callbacks, capture):
    """Run commit callbacks (the outbox row created, then published) as the web process and worker would."""
    with capture(execute=True):
        for callback in callbacks:
            callback()


def test_a_reply_shows_queued_then_delivered(desk, fake_wechat, eager_tasks, django_capture_on_commit_callbacks):
    client = _client(desk["agent"])
    response, callbacks = _reply(client, desk["ticket"], "您好，师傅明天上门", django_capture_on_commit_callbacks)
    assert _messages(response) == [_zh(MSG_REPLIED)]
    assert "回复已发送" not in response.content.decode()
    with tenant_scope(desk["org"]):
        reply = Comment.objects.get(ticket=desk["ticket"], body="您好，师傅明天上门")

    with django_capture_on_commit_callbacks(execute=False) as published:  # the row is stored, no worker yet
        for callback in callbacks:
            callback()
    page = client.get(f"/tickets/{desk['ticket'].pk}/conversation/")
    assert _delivery(page, reply) == ("queued", "排队待发送")
    # A page with a reply on its way keeps asking, though the ticket itself did not change.
    stamp = re.search(r'data-stamp="([^"]+)"', page.content.decode()).group(1)
    assert client.get(f"/tickets/{desk['ticket'].pk}/conversation/", {"since": stamp}).status_code == 200

    _run(published, django_capture_on_commit_callbacks)  # the worker sends it
    assert len(fake_wechat.calls_to(SEND)) == 1
    page = client.get(f"/tickets/{desk['ticket'].pk}/conversation/", {"since": stamp})
    assert _delivery(page, reply) == ("sent", "已送达微信")
    stamp = re.search(r'data-stamp="([^"]+)"', page.content.decode()).group(1)
    assert client.get(f"/tickets/{desk['ticket'].pk}/conversation/", {"since": stamp}).status_code == 204


def test_a_refused_reply_says_why_in_chinese_and_retry_sends_it_again(desk, fake_wechat, eager_tasks,
                                                                       django_capture_on_commit_callbacks):
    fake_wechat.answer(SEND, (200, {"errcode": 48001, "errmsg": "api unauthorized hint: [xyz] secret=abc"}, None),
                       (200, {"errcode": 0, "errmsg": "ok"}, None))
    client = _client(desk["agent"])
    _response, callbacks = _reply(client, desk["ticket"], "已为您登记", django_capture_on_commit_callbacks)
    _run(callbacks, django_capture_on_commit_callbacks)
    with tenant_scope(desk["org"]):
        reply = Comment.objects.get(ticket=desk["ticket"], body="已为您登记")

    page = client.get(f"/tickets/{desk['ticket'].pk}/")
    state, text = _delivery(page, reply)
    assert state == "failed"
    assert "未送达" in text and "48001" in text and "客服消息" in text
    assert "api unauthorized" not in text and "secret" not in text
    assert 'data-testid="delivery-retry"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):  # the worker takes it once the retry commits
        response = client.post(f"/tickets/{desk['ticket'].pk}/replies/{reply.pk}/retry/", follow=True)
        assert _messages(response) == ["已重新加入发送队列。"]
        assert _delivery(response, reply) == ("queued", "排队待发送")
    assert len(fake_wechat.calls_to(SEND)) == 2
    response = client.get(f"/tickets/{desk['ticket'].pk}/")
    assert _delivery(response, reply) == ("sent", "已送达微信")
    assert 'data-testid="delivery-retry"' not in response.content.decode()
    with platform_scope():
        assert OutboundMessage.objects.get(comment=reply).status == "sent"


def test_a_reply_waiting_for_its_retry_says_so(desk, fake_wechat, eager_tasks, django_capture_on_commit_callbacks):
    fake_wechat.answer(SEND, (502, {"error": "bad gateway"}, None))
    client = _client(desk["agent"])
    _response, callbacks = _reply(client, desk["ticket"], "请稍候", django_capture_on_commit_callbacks)
    _run(callbacks, django_capture_on_commit_callbacks)
    with tenant_scope(desk["org"]):
        reply = Comment.objects.get(ticket=desk["ticket"], body="请稍候")
    state, text = _delivery(client.get(f"/tickets/{desk['ticket'].pk}/"), reply)
    assert state == "retrying"
    assert "将自动重试" in text and "第 1 次" in text
    # Not failed for good: no Retry button, and retrying it by hand is refused with nothing changed.
    response = client.post(f"/tickets/{desk['ticket'].pk}/replies/{reply.pk}/retry/", follow=True)
    assert _messages(response) == ["只有发送失败的回复才能重新发送。"]
    with platform_scope():
        assert OutboundMessage.objects.get(comment=reply).attempts == 1


def test_who_may_not_reply_may_not_retry(desk, fake_wechat, eager_tasks, django_capture_on_commit_callbacks):
    fake_wechat.answer(SEND, (200, {"errcode": 43004, "errmsg": "require subscribe"}, None))
    _response, callbacks = _reply(_client(desk["agent"]), desk["ticket"], "您好", django_capture_on_commit_callbacks)
    _run(callbacks, django_capture_on_commit_callbacks)
    with tenant_scope(desk["org"]):
        reply = Comment.objects.get(ticket=desk["ticket"], body="您好")
        viewer = UserFactory(organization=desk["org"], username="viewer", roles=[Role.VIEWER])
    response = _client(viewer).post(f"/tickets/{desk['ticket'].pk}/replies/{reply.pk}/retry/")
    assert response.status_code == 403
    with platform_scope():
        assert OutboundMessage.objects.get(comment=reply).status == "dead"
    assert len(fake_wechat.calls_to(SEND)) == 1


def test_after_48_hours_the_reply_box_refuses_a_public_reply_and_allows_a_note(desk, fake_wechat,
                                                                                django_capture_on_commit_callbacks):
    client = _client(desk["agent"])
    page = client.get(f"/tickets/{desk['ticket'].pk}/").content.decode()
    assert 'data-testid="reply-window-open"' in page and 'data-testid="reply-window-closed"' not in page

    with time_machine.travel(timezone.now() + timedelta(hours=48, minutes=5)):
        page = client.get(f"/tickets/{desk['ticket'].pk}/").content.decode()
        assert 'data-testid="reply-window-closed"' in page
        assert "48 小时" in page
        assert re.search(r'id="reply-public" value="1" disabled', page)

        response, callbacks = _reply(client, desk["ticket"], "抱歉久等了", django_capture_on_commit_callbacks)
        [message] = _messages(response)
        assert message.startswith("微信只接受客户最后一条消息后 48 小时内的回复")
        response, callbacks = _reply(client, desk["ticket"], "客户超时未回复，电话联系",
                                     django_capture_on_commit_callbacks, public="0")
        assert len(_messages(response)) == 1 and "内部备注" in _messages(response)[0]
    with tenant_scope(desk["org"]):
        assert not Comment.objects.filter(body="抱歉久等了").exists()
        assert Comment.objects.filter(body="客户超时未回复，电话联系", is_public=False).exists()
    with platform_scope():
        assert not OutboundMessage.objects.exists()
    assert fake_wechat.calls_to(SEND) == []

    # The customer writes again: the window opens anew.
    later = timezone.now() + timedelta(hours=50)
    with time_machine.travel(later), tenant_scope(desk["org"]):
        Comment.objects.create(organization=desk["org"], ticket=desk["ticket"], customer=desk["customer"],
                               body="还在吗", channel="wechat_oa", message_id="msg-2")
    with time_machine.travel(later + timedelta(minutes=1)):
        response, _callbacks = _reply(client, desk["ticket"], "在的", django_capture_on_commit_callbacks)
        assert _messages(response) == [_zh(MSG_REPLIED)]


def test_a_phone_tickets_reply_is_recorded_and_says_nothing_is_sent(organization, django_capture_on_commit_callbacks):
    with tenant_scope(organization):
        queue = QueueFactory(organization=organization, auto_assign=False)
        agent = make_agent(organization, queues=[queue], username="phone-agent")
        ticket = TicketFactory(organization=organization, queue=queue, channel="phone", assignee=agent)
    client = _client(agent)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="reply-not-sent-hint"' in page and 'data-testid="reply-window-open"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/tickets/{ticket.pk}/reply/", {"body": "已电话告知客户", "public": "1"}, follow=True)
    assert _messages(response) == [_zh(MSG_REPLY_NOT_SENT, channel="电话")]
    assert "回复已发送" not in response.content.decode()
    with tenant_scope(organization):
        reply = Comment.objects.get(ticket=ticket, body="已电话告知客户")
    assert _delivery(response, reply) == (None, "")
    with platform_scope():
        assert not OutboundMessage.objects.exists()


def test_with_an_sms_sender_the_refusal_names_sms(desk, settings):
    settings.SMS_PROVIDER = "aliyun"
    client = _client(desk["agent"])
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        page = client.get(f"/tickets/{desk['ticket'].pk}/").content.decode()
    closed = page.split('data-testid="reply-window-closed"', 1)[1].split("</div>", 1)[0]
    assert "短信" in closed and "模板消息" in closed
    # The customer has no mobile here: the SMS box is not offered (tests/channels_ingest/test_reply_sms.py).
    assert 'data-testid="sms-form"' not in page
