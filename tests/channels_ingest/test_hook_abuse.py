"""Callbacks that are signed but odd, or replayed: each answers 400 or 403 (or `success` where storing is right),
never 500, and stores nothing it should not. Built with the same WeChat client as test_hooks.py."""

import base64
import time

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.test import Client

from channels_ingest.models import InboundEvent
from scrm.tenancy import platform_scope
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
