"""A WeChat client for the tests, built on wechatpy itself: it signs and encrypts callbacks the way the platform
does and posts them to our endpoints."""

import itertools
import time
from xml.sax.saxutils import escape

from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import WeChatSigner

TOKEN = "scrmtesttoken"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
OA_APP_ID = "wx1234567890abcdef"
CORP_ID = "ww0987654321fedcba"

_ids = itertools.count(int(time.time()) * 1000)


def sign(*parts):
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def to_xml(fields):
    inner = "".join(
        f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()
    )
    return f"<xml>{inner}</xml>"


def message(msg_type, *, openid="oOpenid-customer-0001", to="gh_test_account", msg_id=None, **extra):
    fields = {"ToUserName": to, "FromUserName": openid, "CreateTime": int(time.time()), "MsgType": msg_type}
    fields.update(extra)
    if msg_type != "event":
        fields["MsgId"] = msg_id if msg_id is not None else next(_ids)
    return fields


class WeChatSender:
    """Posts callbacks for one account: `mode` is plaintext, compatible or safe."""

    def __init__(self, client, path, *, token=TOKEN, aes_key=AES_KEY, app_id=OA_APP_ID):
        self.client, self.path = client, path
        self.token, self.aes_key, self.app_id = token, aes_key, app_id
        self.crypto = WeChatCrypto(token, aes_key, app_id)

    def encrypt(self, xml, app_id=None):
        return PrpCrypto(self.crypto.key).encrypt(xml, app_id or self.app_id).decode()

    def request(self, fields, *, mode="safe", timestamp=None, nonce="n0nce", app_id=None, token=None):
        """(query, body) of a callback as WeChat would send it."""
        timestamp = str(timestamp or int(time.time()))
        token = token or self.token
        xml = to_xml(fields) if isinstance(fields, dict) else fields
        query = {"timestamp": timestamp, "nonce": nonce, "signature": sign(token, timestamp, nonce),
                 "openid": fields.get("FromUserName", "") if isinstance(fields, dict) else ""}
        if mode == "plaintext":
            return query, xml
        encrypted = self.encrypt(xml, app_id)
        query.update(encrypt_type="aes", msg_signature=sign(token, timestamp, nonce, encrypted))
        if mode == "compatible":
            body = xml.replace("</xml>", f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        else:
            to = fields.get("ToUserName", "") if isinstance(fields, dict) else ""
            body = f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        return query, body

    def post(self, fields, **kwargs):
        query, body = self.request(fields, **kwargs)
        return self.post_raw(body, query)

    def post_raw(self, body, query):
        from urllib.parse import urlencode

        return self.client.post(f"{self.path}?{urlencode(query)}", data=body, content_type="text/xml")

    def decrypt_reply(self, xml_text):
        """The plaintext of an encrypted passive reply, checked with its own signature."""
        import xmltodict

        reply = xmltodict.parse(xml_text)["xml"]
        return self.crypto.decrypt_message(xml_text, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"])


def escape_text(text):
    return escape(text)
