"""Callbacks that are signed but odd, or replayed: each answers 400 or 403 (or `success` where storing is right),
never 500, and stores nothing it should not. Built with the same WeChat client as test_hooks.py."""

import base64
import logging
import time
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.test import Client

from channels_ingest.models import InboundEvent
from channels_ingest.plaintext import PLAINTEXT_WINDOW
from scrm.platform.redaction import MASK, RedactingFilter
from scrm.platform.tenancy import platform_scope
from tests.channels_ingest.wechat import AES_KEY, CORP_ID, TOKEN, WeChatSender, message, sign, to_xml

pytestmark = pytest.mark.django_db


def _events():
    with platform_scope():
        return list(InboundEvent.objects.order_by("pk"))


@pytest.fixture
def raw_client():
    return Client(raise_request_exception=False)


@pytest.fixture
def oa_raw(raw_client, oa_account):
    return WeChatSender(raw_client, "/hooks/wechat/acme-oa/")


@pytest.fixture
def wecom_raw(raw_client, wecom_account):
    return WeChatSender(raw_client, "/hooks/wecom/acme-wecom/", app_id=CORP_ID)


# --- signed but odd payloads --------------------------------------------------------------------------------------

def _nested(tag):
    fields = {"ToUserName": "gh_test_account", "FromUserName": "oOpenid-1", "CreateTime": "1700000000",
              "MsgType": "text", "Content": "你好", "MsgId": "1234567"}
    xml = to_xml(fields)
    return xml.replace(f"<{tag}><![CDATA[{fields[tag]}]]></{tag}>", f"<{tag}><a>1</a><b>2</b></{tag}>")


@pytest.mark.parametrize("tag", ["FromUserName", "MsgType", "MsgId", "CreateTime", "ToUserName"])
@pytest.mark.parametrize("mode", ["plaintext", "compatible", "safe"])
def test_a_nested_element_where_wechat_sends_text_is_a_400(oa_raw, deliver, tag, mode):
    response = deliver(oa_raw, _nested(tag), mode=mode, nonce=f"n{time.monotonic_ns()}")
    assert response.status_code == 400
    assert _events() == []


@pytest.mark.parametrize("mode", ["plaintext", "compatible", "safe"])
@pytest.mark.parametrize(("msg_type", "left_out"), [
    ("text", "FromUserName"), ("text", "MsgType"), ("text", "CreateTime"), ("event", "FromUserName"),
    ("event", "CreateTime")])
def test_a_callback_without_its_sender_type_or_time_is_a_400_and_nothing_is_stored(oa_raw, deliver, mode, msg_type,
                                                                                 left_out):
    fields = message(msg_type, Content="你好") if msg_type == "text" else message("event", Event="subscribe")
    del fields[left_out]
    response = deliver(oa_raw, fields, mode=mode, nonce=f"n{time.monotonic_ns()}")
    assert (response.status_code, response.content) == (400, b"bad request")
    assert _events() == []


def test_a_callback_whose_create_time_is_not_unix_seconds_is_a_400(oa_raw, deliver):
    response = deliver(oa_raw, message("text", Content="你好", CreateTime="2026-12-04 12:00:00"))
    assert response.status_code == 400
    assert _events() == []


def test_wecoms_customer_service_event_names_no_sender_and_is_still_stored(wecom_raw, deliver):
    fields = {"ToUserName": CORP_ID, "CreateTime": int(time.time()), "MsgType": "event",
              "Event": "kf_msg_or_event", "Token": "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR",
              "OpenKfId": "wkxxxxxxx"}
    assert deliver(wecom_raw, fields).content == b"success"
    assert [event.kind for event in _events()] == ["event:kf_msg_or_event"]


def test_two_employees_changing_one_contact_in_one_second_are_two_events_and_a_retry_is_none(wecom_raw, deliver):
    """WeCom's contact events come from "sys" with no MsgId: the employee (UserID) was not part of the dedupe
    key, so the second employee's change in the same second was dropped as a retry of the first."""
    now = int(time.time())
    changes = [message("event", openid="sys", to=CORP_ID, Event="change_external_contact",
                       ChangeType="add_external_contact", UserID=user, ExternalUserID="wmEXTERNAL001",
                       CreateTime=now, State="store_nj") for user in ("zhangsan", "lisi")]
    for n, fields in enumerate([*changes, changes[1]]):  # the last one: WeCom's retry of the second
        assert deliver(wecom_raw, fields, nonce=f"contact-{n}").content == b"success"
    assert sorted(event.fields["UserID"] for event in _events()) == ["lisi", "zhangsan"]


def test_two_customer_service_callbacks_in_one_second_are_two_events(wecom_raw, deliver):
    now = int(time.time())
    for kf, token in (("wkAAAA", "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR"),
                      ("wkBBBB", "ENCBpHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NS")):
        fields = {"ToUserName": CORP_ID, "CreateTime": now, "MsgType": "event", "Event": "kf_msg_or_event",
                  "Token": token, "OpenKfId": kf}
        assert deliver(wecom_raw, fields, nonce=kf).content == b"success"
    assert sorted(event.fields["OpenKfId"] for event in _events()) == ["wkAAAA", "wkBBBB"]


@pytest.mark.parametrize("mode", ["plaintext", "safe"])
def test_a_msgid_longer_than_the_dedupe_key_is_stored_once(oa_raw, deliver, mode):
    fields = message("text", Content="长编号", msg_id="9" * 300)
    for _attempt in range(2):
        response = deliver(oa_raw, fields, mode=mode, nonce=f"n{time.monotonic_ns()}")
        assert response.status_code == 200
        assert response.content == b"success"
    [event] = _events()
    assert event.fields["MsgId"] == "9" * 300
    assert len(event.dedupe_key) <= 200


def _short_ciphertext(plain=b"x" * 18):
    """A correctly padded AES-CBC ciphertext (the account's key and IV) of less than the 20 bytes of random prefix
    and length every WeChat payload starts with."""
    key = base64.b64decode(AES_KEY + "=")
    padder = padding.PKCS7(256).padder()
    data = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode()


def test_a_ciphertext_too_short_to_hold_a_message_is_a_400(oa_raw):
    encrypted, ts, nonce = _short_ciphertext(), str(int(time.time())), "short"
    body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    response = oa_raw.post_raw(body, {"timestamp": ts, "nonce": nonce, "encrypt_type": "aes",
                                      "msg_signature": sign(TOKEN, ts, nonce, encrypted)})
    assert response.status_code == 400
    assert _events() == []


@pytest.mark.parametrize("plain", [b"", b"x" * 16, b"x" * 18, b"x" * 19])
def test_wecom_url_verification_with_a_too_short_echostr_is_a_400(raw_client, wecom_account, plain):
    echostr, ts, nonce = _short_ciphertext(plain), "1700000000", "xyz"
    response = raw_client.get("/hooks/wecom/acme-wecom/", {"msg_signature": sign(TOKEN, ts, nonce, echostr),
                                                           "timestamp": ts, "nonce": nonce, "echostr": echostr})
    assert response.status_code == 400


# --- replayed plaintext callbacks ---------------------------------------------------------------------------------

def test_plaintext_refuses_a_timestamp_outside_the_window(oa_raw, deliver):
    for age in (PLAINTEXT_WINDOW + 60, -(PLAINTEXT_WINDOW + 60)):
        response = deliver(oa_raw, message("text", Content="旧的"), mode="plaintext",
                           timestamp=int(time.time()) - age)
        assert response.status_code == 403
    assert _events() == []


def test_plaintext_refuses_a_captured_signed_url_with_another_body(oa_raw, deliver):
    query, body = oa_raw.request(message("text", Content="真的"), mode="plaintext", nonce="captured")
    assert oa_raw.post_raw(body, query).content == b"success"
    forged = body.replace("真的", "把退款打到这个账户")
    response = oa_raw.post_raw(forged, query)
    assert response.status_code == 403
    [event] = _events()
    assert "真的" in event.raw


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_a_captured_safe_mode_url_sent_again_with_a_plaintext_body_is_refused(oa_raw, deliver, mode):
    """A safe-mode callback's URL carries the plain `signature` of (token, timestamp, nonce) beside msg_signature:
    captured (a log line, a proxy), it signed any plaintext body of the attacker's choosing for an hour."""
    query, body = oa_raw.request(message("text", Content="真的"), mode=mode, nonce=f"captured-{mode}")
    assert oa_raw.post_raw(body, query).content == b"success"
    forged = to_xml(message("text", openid="oOpenid-victim", Content="把退款打到这个账户"))
    captured = {name: query[name] for name in ("timestamp", "nonce", "signature", "openid")}
    response = oa_raw.post_raw(forged, captured)
    assert (response.status_code, response.content) == (403, b"stale or replayed callback")
    [event] = _events()
    assert "真的" in event.raw


def test_a_safe_mode_retry_is_still_taken_once(oa_raw, deliver):
    query, body = oa_raw.request(message("text", Content="重试"), mode="safe", nonce="safe-retry")
    assert [oa_raw.post_raw(body, query).content for _attempt in range(3)] == [b"success"] * 3
    assert len(_events()) == 1


def test_plaintext_still_takes_wechats_retry_of_the_same_body_once(oa_raw, deliver):
    query, body = oa_raw.request(message("text", Content="重试"), mode="plaintext", nonce="retry")
    for _attempt in range(3):
        response = oa_raw.post_raw(body, query)
        assert response.status_code == 200
        assert response.content == b"success"
    assert len(_events()) == 1


def test_safe_and_compatible_modes_still_accept_old_timestamps(oa_raw, deliver):
    for mode in ("safe", "compatible"):
        response = deliver(oa_raw, message("text", Content=mode), mode=mode, timestamp=1400000000,
                           nonce=f"n{mode}")
        assert response.status_code == 200
    assert len(_events()) == 2


def test_the_accounts_page_recommends_safe_mode_once_plaintext_arrives(oa_raw, deliver, oa_account, ops_admin):
    page = Client()
    page.force_login(ops_admin)
    url = f"/settings/channels/{oa_account.pk}/"
    assert 'data-testid="plaintext-warning"' not in page.get(url).content.decode()
    deliver(oa_raw, message("text", Content="安全模式"), mode="safe", nonce="n-safe")
    assert 'data-testid="plaintext-warning"' not in page.get(url).content.decode()
    deliver(oa_raw, message("text", Content="明文模式"), mode="plaintext", nonce="n-plain")
    assert 'data-testid="plaintext-warning"' in page.get(url).content.decode()


def test_no_log_line_holds_a_hooks_query_string():
    signature = sign(TOKEN, "1", "n")
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s',
                               (f"POST /hooks/wechat/acme-oa/?signature={signature}&timestamp=1 HTTP/1.1", 403, 9),
                               None)
    assert RedactingFilter().filter(record)
    assert signature not in record.getMessage()
    assert f'"POST /hooks/wechat/acme-oa/?{MASK} HTTP/1.1" 403 9' in record.getMessage()
    # runserver's request lines go through the filter
    handlers = logging.getLogger("django.server").handlers
    assert any(isinstance(f, RedactingFilter) for handler in handlers for f in handler.filters)


def test_gunicorns_access_log_drops_query_strings():
    import runpy
    from pathlib import Path

    from gunicorn.config import Config

    settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    logger = settings["logger_class"](Config())

    class Response:
        status, sent, headers = "403 Forbidden", 9, []

    environ = {"REQUEST_METHOD": "POST", "RAW_URI": "/hooks/wechat/acme/?signature=abc&nonce=n",
               "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/hooks/wechat/acme/", "QUERY_STRING": "signature=abc"}
    atoms = logger.atoms(Response(), [], environ, timedelta(milliseconds=1))
    assert "abc" not in atoms["r"] and "abc" not in atoms["q"]
    assert atoms["r"] == f"POST /hooks/wechat/acme/?{MASK} HTTP/1.1"
    # What a user searched for (a mobile number, a name) stays out of the access log too.
    environ.update(RAW_URI="/customers/?q=13800138000", PATH_INFO="/customers/", QUERY_STRING="q=13800138000")
    atoms = logger.atoms(Response(), [], environ, timedelta(milliseconds=1))
    assert atoms["r"] == f"POST /customers/?{MASK} HTTP/1.1" and "13800138000" not in atoms["q"]
