"""The WeCom and SMS channels of the SLA ladder, sent from the notify outbox to a local fake server started by
the test (never the internet): the step asks for them, the outbox row is sent, a failing gateway is retried with
back-off and every attempt is recorded, a refused recipient goes dead at once."""

import json
import threading
import urllib.parse
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from notifications.models import NotificationDelivery
from notifications.senders import AliyunSMSProvider, aliyun_signature
from notifications.services import notification_delivery_send
from sla.services import sla_sweep
from tests.sla.factories import office_calendar, sla_policy, staffed_queue
from tickets.services import ticket_open

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def shown(delivery, language="en"):
    """The delivery's error as a page in `language` shows it."""
    with translation.override(language):
        return delivery.last_error_display


class FakeGateway:
    """Answers WeCom's gettoken and message/send and Aliyun's SendSms; records what it was sent."""

    def __init__(self):
        self.requests, self.fail_next, self.sms_code, self.invalid_user = [], 0, "OK", ""
        self.sms_status, self.sms_page = 200, None  # Aliyun's HTTP status for sms_code; a non-JSON page instead
        self.wecom_answer = None  # (HTTP status, JSON) of WeCom's message/send instead of its success
        self.sms_message = None  # Aliyun's Message for sms_code instead of "refused: <code>"


@contextmanager
def fake_gateway():
    gateway = FakeGateway()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, status, payload):
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 - http.server's name
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            gateway.requests.append(("GET", url.path, query, None))
            if url.path.endswith("/gettoken"):
                return self._answer(200, {"errcode": 0, "access_token": "TOKEN", "expires_in": 7200})
            if gateway.fail_next:
                gateway.fail_next -= 1
                return self._answer(503, {"Code": "ServiceUnavailable"})
            if gateway.sms_page is not None:
                self.send_response(gateway.sms_status)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(gateway.sms_page)
                return None
            message = "ok" if gateway.sms_code == "OK" else (gateway.sms_message or f"refused: {gateway.sms_code}")
            return self._answer(gateway.sms_status, {"Code": gateway.sms_code, "Message": message, "BizId": "biz-1"})

        def do_POST(self):  # noqa: N802
            url = urllib.parse.urlsplit(self.path)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            gateway.requests.append(("POST", url.path, dict(urllib.parse.parse_qsl(url.query)), body))
            if gateway.fail_next:
                gateway.fail_next -= 1
                return self._answer(200, {"errcode": -1, "errmsg": "system busy"})
            if gateway.wecom_answer is not None:
                return self._answer(*gateway.wecom_answer)
            return self._answer(200, {"errcode": 0, "errmsg": "ok", "invaliduser": gateway.invalid_user})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def gateway(settings):
    with fake_gateway() as gateway:
        settings.WECOM_CORP_ID, settings.WECOM_SECRET, settings.WECOM_AGENT_ID = "corp", "secret", 1000002
        settings.WECOM_API_BASE_URL = f"{gateway.url}cgi-bin/"
        settings.SMS_PROVIDER = "aliyun"
        settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "key-id", "key-secret"
        settings.ALIYUN_SMS_SIGN_NAME, settings.ALIYUN_SMS_TEMPLATE_CODE = "星河家电", "SMS_123"
        settings.ALIYUN_SMS_ENDPOINT = gateway.url
        yield gateway


def _escalated_deliveries(organization, customer):
    calendar = office_calendar(organization, china=False)
    _queue, ticket_type, _agent, supervisor = staffed_queue(organization)
    supervisor.mobile = "+8613812345678"
    supervisor.save(update_fields=["mobile"])
    sla_policy(organization, calendar, steps=[{"metric": "first_response", "trigger": "breach",
                                               "notify_supervisor": True, "via_wecom": True, "via_sms": True}])
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):
        ticket_open(organization=organization, customer=customer, subject="冰箱不制冷", description="",
                    channel="wechat_oa", type=ticket_type)
    sla_sweep(now=datetime(2026, 11, 23, 11, 30, tzinfo=SH))
    deliveries = {d.channel: d for d in NotificationDelivery.objects.filter(channel__in=["wecom", "sms"])}
    return supervisor, deliveries


def test_a_step_sends_a_wecom_message_and_an_sms_to_the_supervisor(scoped, customer, gateway):
    supervisor, deliveries = _escalated_deliveries(scoped, customer)
    assert set(deliveries) == {"wecom", "sms"}
    assert deliveries["wecom"].address == supervisor.username
    assert deliveries["sms"].address == "+8613812345678"
    for delivery in deliveries.values():
        assert notification_delivery_send(delivery_id=delivery.pk) is None
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("sent", 1)
    sent = [r for r in gateway.requests if r[0] == "POST"]
    assert sent[0][1] == "/cgi-bin/message/send" and sent[0][2]["access_token"] == "TOKEN"
    assert sent[0][3]["touser"] == supervisor.username and sent[0][3]["agentid"] == 1000002
    # Worded in the recipient's language, not the stored code.
    assert sent[0][3]["text"]["content"].startswith("SLA：工单 T2026") and '"code"' not in sent[0][3]["text"]["content"]
    sms = next(r for r in gateway.requests if r[0] == "GET" and r[2].get("Action") == "SendSms")
    assert sms[2]["PhoneNumbers"] == "+8613812345678" and sms[2]["TemplateCode"] == "SMS_123"
    assert json.loads(sms[2]["TemplateParam"])["content"].startswith("SLA：工单 T2026")
    signature = sms[2].pop("Signature")
    assert signature == aliyun_signature(sms[2], "key-secret")


def test_a_failing_gateway_is_retried_with_back_off_and_each_attempt_recorded(scoped, customer, gateway):
    _supervisor, deliveries = _escalated_deliveries(scoped, customer)
    gateway.fail_next = 1
    delay = notification_delivery_send(delivery_id=deliveries["sms"].pk)
    delivery = NotificationDelivery.objects.get(pk=deliveries["sms"].pk)
    assert 30 <= delay <= 36 and (delivery.status, delivery.attempts) == ("failed", 1)
    assert "503" in delivery.last_error or "Service" in delivery.last_error
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        assert notification_delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")


def test_a_refused_recipient_goes_dead_at_once(scoped, customer, gateway):
    _supervisor, deliveries = _escalated_deliveries(scoped, customer)
    gateway.invalid_user, gateway.sms_code = "nobody", "isv.MOBILE_NUMBER_ILLEGAL"
    for delivery in deliveries.values():
        notification_delivery_send(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("dead", 1)


@pytest.mark.parametrize(("status", "code"), [
    (404, "InvalidAccessKeyId.NotFound"), (400, "SignatureDoesNotMatch"), (200, "isv.SMS_SIGN_ILLEGAL"),
    (200, "isv.TEMPLATE_MISSING_PARAMETERS")])
def test_an_sms_aliyun_refuses_for_its_setup_goes_dead_at_once_saying_why(scoped, customer, gateway, status, code):
    """A wrong AccessKey, a signature Aliyun computes otherwise, a banned SMS signature, a template wanting other
    variables: no retry sends it until ops change the setup (then they replay it). It was retried five times."""
    _supervisor, deliveries = _escalated_deliveries(scoped, customer)
    gateway.sms_status, gateway.sms_code = status, code
    assert notification_delivery_send(delivery_id=deliveries["sms"].pk) is None  # no retry to wait for
    delivery = NotificationDelivery.objects.get(pk=deliveries["sms"].pk)
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    assert shown(delivery).startswith(f"Aliyun SMS {code}: ")  # (the rest redacted where the code says secret)
    assert shown(delivery, "zh-hans").startswith(f"阿里云短信 {code}：")


@pytest.mark.parametrize(("message", "recorded"), [
    ("SignatureDoesNotMatch: Specified signature does not match our calculation.",
     "SignatureDoesNotMatch: Specified signature does not match our calculation."),
    ("IncompleteSignature: The request signature does not conform to Aliyun standards.",
     "IncompleteSignature: The request signature does not conform to Aliyun standards."),
    ("SignatureDoesNotMatch: Specified signature is not matched with key-secret, AccessKeySecret=leaked-value",
     "SignatureDoesNotMatch: Specified signature is not matched with [redacted], AccessKeySecret=[redacted]"),
], ids=["code-then-message", "code-ending-in-signature", "message-quoting-secrets"])
def test_an_aliyun_error_code_before_its_message_keeps_the_message_readable(scoped, customer, gateway, message,
                                                                            recorded):
    """Aliyun's message may repeat its code ("Code: message"). The code's name holds "Signature", and the word
    after it was masked as if it were the value of a secret parameter ("SignatureDoesNotMatch: [redacted]
    signature ..."): ops read half a sentence. The secrets a message quotes are still masked."""
    _supervisor, deliveries = _escalated_deliveries(scoped, customer)
    gateway.sms_status, gateway.sms_code, gateway.sms_message = 400, "SignatureDoesNotMatch", message
    notification_delivery_send(delivery_id=deliveries["sms"].pk)
    delivery = NotificationDelivery.objects.get(pk=deliveries["sms"].pk)
    assert shown(delivery) == f"Aliyun SMS SignatureDoesNotMatch: {recorded}"
    assert "key-secret" not in delivery.last_error and "leaked-value" not in delivery.last_error


@pytest.mark.parametrize(("status", "code"), [(200, "isv.BUSINESS_LIMIT_CONTROL"), (400, "Throttling.User"),
                                              (200, "isv.AMOUNT_NOT_ENOUGH")])
def test_an_sms_aliyun_holds_back_for_now_is_retried(scoped, customer, gateway, status, code):
    _supervisor, deliveries = _escalated_deliveries(scoped, customer)
    gateway.sms_status, gateway.sms_code = status, code
    assert notification_delivery_send(delivery_id=deliveries["sms"].pk) is not None
    delivery = NotificationDelivery.objects.get(pk=deliveries["sms"].pk)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert shown(delivery) == f"Aliyun SMS {code}: refused: {code}"


def test_a_page_that_is_not_aliyuns_answer_is_retried_saying_so(scoped, customer, gateway):
    """A proxy's HTML error page in front of the gateway: recorded as what it is, not as a JSON decoding error."""
    _supervisor, deliveries = _escalated_deliveries(scoped, customer)
    gateway.sms_status, gateway.sms_page = 403, b"<html><body>403 Forbidden</body></html>"
    assert notification_delivery_send(delivery_id=deliveries["sms"].pk) is not None
    delivery = NotificationDelivery.objects.get(pk=deliveries["sms"].pk)
    assert (delivery.status, shown(delivery)) == ("failed", "Aliyun SMS HTTP 403: the answer is not Aliyun's JSON")
    assert shown(delivery, "zh-hans") == "阿里云短信 HTTP 403：返回的不是阿里云的 JSON"


def test_a_wecom_gateway_error_is_retried_recording_the_status_not_none(scoped, customer, gateway):
    """wechatpy reports an HTTP error status with errcode None: recorded as what happened (it read 'Error code:
    None, message: None'), and retried."""
    _supervisor, deliveries = _escalated_deliveries(scoped, customer)
    gateway.wecom_answer = (502, {"error": "bad gateway"})
    assert notification_delivery_send(delivery_id=deliveries["wecom"].pk) is not None
    delivery = NotificationDelivery.objects.get(pk=deliveries["wecom"].pk)
    assert (delivery.status, shown(delivery)) == ("failed", "WeCom HTTP 502 from /cgi-bin/message/send")


def test_a_wecom_app_whose_ip_is_not_trusted_goes_dead_at_once_saying_why(scoped, customer, gateway):
    _supervisor, deliveries = _escalated_deliveries(scoped, customer)
    gateway.wecom_answer = (200, {"errcode": 60020, "errmsg": "not allow to access from your ip"})
    assert notification_delivery_send(delivery_id=deliveries["wecom"].pk) is None
    delivery = NotificationDelivery.objects.get(pk=deliveries["wecom"].pk)
    assert (delivery.status, delivery.attempts, shown(delivery)) == (
        "dead", 1, "WeCom 60020: not allow to access from your ip")
    # WeCom's own words stay as WeCom wrote them; the product's are the reader's.
    assert shown(delivery, "zh-hans") == "企业微信：60020: not allow to access from your ip"


def test_unconfigured_channels_queue_nothing(scoped, customer):
    _supervisor, deliveries = _escalated_deliveries(scoped, customer)
    assert deliveries == {}


def test_aliyun_signature_matches_the_documented_example():
    # The worked example of Aliyun's RPC signature documentation (SignatureVersion 1.0, secret "testSecret").
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    provider = AliyunSMSProvider(access_key_id="a", access_key_secret="b", sign_name="s", template_code="t",
                                 endpoint="http://127.0.0.1:1/")
    assert "Signature" in provider.request_params("+8613800000000", "内容")
