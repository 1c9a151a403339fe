"""No secret reaches a stored text, a page or a log: WeChat failing each way while a reply is sent (connection
refused, a timeout, a TLS error, an error answer quoting the secret), then the reply given up. The agent reads a short
explanation on the ticket; ops read the redacted detail on the account page."""

import json
import logging
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_ingest.models import InboundEvent, OutboundMessage
from channels_ingest.services import outbound_send
from channels_ingest.services.outbound import MAX_ATTEMPTS, MSG_WILL_RETRY
from scrm.models import Role
from scrm.platform.redaction import redact
from scrm.platform.tenancy import platform_scope
from tests.channels_ingest.test_outbox import _pending_reply
from tickets.models import Comment, TicketEvent

SECRET = "s3cret-app-secret"  # noqa: S105 - the fixture account's app secret (tests/channels_ingest/conftest.py)


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _refused(settings, fake_wechat, monkeypatch):
    settings.WECHAT_API_BASE_URL = f"http://127.0.0.1:{_closed_port()}/cgi-bin/"


def _timeout(settings, fake_wechat, monkeypatch):
    monkeypatch.setattr("channels_ingest.services.wechat_api._TIMEOUT", 0.3)
    fake_wechat.delays["/cgi-bin/token"] = 1.0


def _tls(settings, fake_wechat, monkeypatch):
    settings.WECHAT_API_BASE_URL = fake_wechat.base.replace("http://", "https://")  # it speaks plain HTTP


def _errcode(settings, fake_wechat, monkeypatch):
    fake_wechat.answer("/cgi-bin/token", (200, {"errcode": 40125, "errmsg": f"invalid appsecret {SECRET}"}, None))


@pytest.mark.parametrize("failure", [_refused, _timeout, _tls, _errcode], ids=["refused", "timeout", "tls", "errcode"])
def test_wechat_failing_each_way_never_leaves_the_secret_anywhere(failure, organization, fake_wechat, settings,
                                                                 monkeypatch, eager_tasks, client, make_user, caplog):
    caplog.set_level(logging.INFO)  # production's level (scrm.settings.LOGGING)
    failure(settings, fake_wechat, monkeypatch)
    reply = _pending_reply(organization)

    assert outbound_send(outbound_id=reply.pk) == "failed"  # the first failure: retried later
    with platform_scope():  # the last attempt, once its back-off is over
        OutboundMessage.objects.filter(pk=reply.pk).update(attempts=MAX_ATTEMPTS - 1,
                                                           next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbound_send(outbound_id=reply.pk) == "dead"

    with platform_scope():
        reply = OutboundMessage.objects.select_related("comment__ticket").get(pk=reply.pk)
        ticket = reply.comment.ticket
        stored = [reply.last_error, *InboundEvent.objects.values_list("last_error", flat=True),
                  *Comment.objects.values_list("body", flat=True),
                  *(json.dumps([e.before, e.after], ensure_ascii=False) for e in TicketEvent.objects.all())]
        notes = list(Comment.objects.filter(ticket=ticket, is_public=False).values_list("body", flat=True))
    assert reply.last_error  # ops keep the detail, redacted
    assert len(notes) == 2 and notes[0] == str(MSG_WILL_RETRY)  # the agent is told, in words, twice at most

    ops = make_user(organization, Role.OPS_ADMIN, username="ops-redact")
    agent = make_user(organization, Role.AGENT, username="agent-redact")
    with platform_scope():
        ticket.assignee = agent
        ticket.save(update_fields=["assignee"])
    client.force_login(ops)
    account_page = client.get(f"/settings/channels/{reply.account_id}/").content.decode()
    assert reply.last_error.split(":")[0] in account_page  # ops see the (redacted) detail
    client.force_login(agent)
    ticket_response = client.get(f"/tickets/{ticket.pk}/")
    assert ticket_response.status_code == 200
    ticket_page = ticket_response.content.decode()
    conversation = client.get(f"/tickets/{ticket.pk}/conversation/").content.decode()

    assert "微信接口暂时无法连接" in ticket_page + conversation  # the agent's explanation, in Chinese
    for text in (*stored, account_page, ticket_page, conversation, caplog.text):
        assert SECRET not in text
        assert "FAKE-TOKEN" not in text  # an access token is a secret too


def test_redact_masks_query_strings_named_secrets_and_the_known_values():
    text = ("HTTPSConnectionPool(host='api.weixin.qq.com', port=443): Max retries exceeded with url: "
            "/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=abc123 (Caused by ...) "
            "https://qyapi.weixin.qq.com/cgi-bin/message/send?access_token=TOKEN42 "
            '{"corpsecret": "xyz789"} and my-private-value%21 quoted')
    redacted = redact(text, secrets=["my-private-value!"])
    for secret in ("abc123", "TOKEN42", "xyz789", "my-private-value"):
        assert secret not in redacted
    assert "/cgi-bin/token?[redacted]" in redacted
    assert "api.weixin.qq.com" in redacted  # what failed stays readable


@pytest.mark.parametrize(("path", "status"), [("/cgi-bin/message/custom/send", 502), ("/cgi-bin/token", 503)],
                         ids=["send-502", "token-503"])
def test_a_reply_refused_with_an_http_error_records_the_status_and_the_call_not_none(
        path, status, organization, fake_wechat, eager_tasks):
    """wechatpy reports WeChat's HTTP error (a gateway in front of it failing) with errcode and errmsg None: ops
    read the status and the call, where they read 'None: None' before."""
    fake_wechat.answer(path, (status, {"error": "bad gateway"}, None))
    reply = _pending_reply(organization)

    assert outbound_send(outbound_id=reply.pk) == "failed"  # retried later
    with platform_scope():
        reply = OutboundMessage.objects.get(pk=reply.pk)
    assert (reply.last_error, reply.errcode) == (f"HTTP {status} from {path}", None)
