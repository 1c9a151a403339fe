"""WeChat's wire format: signatures, AES, XML. Nothing else in the project knows it.

The XML rules: a body over MAX_BODY_BYTES, or one that mentions a DTD or an entity anywhere, is refused before any
parser sees it; the rest is parsed by defusedxml (which refuses DTDs and entities again) into a flat dict of the
root's children. wechatpy does the AES (`WeChatCrypto`), after we have checked the signature in constant time
ourselves (wechatpy compares with `!=`).
"""

import hashlib
import hmac
import struct
import time

from defusedxml import ElementTree
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import WeChatSigner

MAX_BODY_BYTES = 1024 * 1024
_FORBIDDEN_MARKUP = (b"<!doctype", b"<!entity", b"<!element", b"<!attlist")

# Message types that become ticket messages; the rest of MsgType "event" are events.
MESSAGE_TYPES = {"text", "image", "voice", "video", "shortvideo", "location", "link", "file"}
MEDIA_TYPES = {"image", "voice", "video", "shortvideo", "file"}
# Fields that are text in every message and event the platforms send; an element nested in one of them is not
# WeChat's (and made the callback answer 500 where the code reads them as text). Events do nest other elements
# (ScanCodeInfo, SendPicsInfo...): those stay dicts.
TEXT_FIELDS = {"ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "MsgID", "Event", "EventKey",
               "ChangeType", "ExternalUserID", "UserID", "Content", "MediaId", "Encrypt", "AgentID"}
# Events about one user (the worker puts them on that user's customer): like every message, they name the sender.
# Others may not: WeCom's 微信客服 `kf_msg_or_event` carries only its Token and OpenKfId.
USER_EVENTS = {"subscribe", "unsubscribe", "scan", "click", "view", "location"}
_WECOM_EVENT_PARTS = ("UserID", "OpenKfId", "Token")
# The dedupe key column holds 200 characters; a longer MsgId is stored under its hash rather than failing the insert.
_DEDUPE_KEY_MAX = 190


class WireError(Exception):
    """The request is not something WeChat sends (malformed, too large, DTD): answer 400."""


class SignatureError(Exception):
    """The request is not signed with the account's token, or not for its app id: answer 403."""


def signature(*parts):
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def signature_matches(expected_parts, given):
    return bool(given) and hmac.compare_digest(signature(*expected_parts), str(given))


def xml_check(data):
    """Refuse what must never reach a parser: oversized bodies and any DTD, entity or markup declaration."""
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_BODY_BYTES:
        raise WireError("body too large")
    lowered = data.lower()
    if any(marker in lowered for marker in _FORBIDDEN_MARKUP):
        raise WireError("DTD or entity declarations are not accepted")
    return data


def xml_parse(data):
    """The root's children as {tag: text} (one level, like WeChat's messages), or WireError."""
    data = xml_check(data)
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except Exception as exc:  # ParseError and defusedxml's DTD/entity errors: all mean "not WeChat XML"
        raise WireError(f"malformed XML: {type(exc).__name__}") from None
    if root.tag != "xml":
        raise WireError("the root element is not <xml>")
    fields = {}
    for child in root:
        if len(child):
            if child.tag in TEXT_FIELDS:
                raise WireError(f"an element nested in <{child.tag}>")
            fields[child.tag] = {sub.tag: (sub.text or "") for sub in child}
        else:
            fields[child.tag] = (child.text or "").strip() if child.tag != "Content" else (child.text or "")
    return fields


def fields_check(fields):
    """Refuse (WireError) a callback without what every one WeChat sends carries: its MsgType, its CreateTime (Unix
    seconds) and, for a message or a user's event, the sender. Stored, such a callback was acknowledged `success`
    and then died in the worker, and every one of them shared one dedupe key, `evt::::::`."""
    missing = [name for name in ("MsgType", "CreateTime") if not fields.get(name)]
    msg_type = (fields.get("MsgType") or "").lower()
    names_a_user = msg_type != "event" or (fields.get("Event") or "").lower() in USER_EVENTS
    if names_a_user and not fields.get("FromUserName"):
        missing.append("FromUserName")
    if missing:
        raise WireError(f"missing {', '.join(missing)}")
    if not (fields["CreateTime"].isascii() and fields["CreateTime"].isdigit()):
        raise WireError("CreateTime is not Unix seconds")


def _crypto(account):
    return WeChatCrypto(account.token, account.aes_key, account.app_id)


def decrypt(account, encrypted, msg_signature, timestamp, nonce):
    """The plaintext of an `Encrypt` value, after checking `msg_signature` and the app id / corp id inside."""
    if not signature_matches((account.token, timestamp, nonce, encrypted), msg_signature):
        raise SignatureError("bad msg_signature")
    try:
        return PrpCrypto(_crypto(account).key).decrypt(encrypted, account.app_id)
    except InvalidAppIdException:
        raise SignatureError("the app id inside the payload is not this account's") from None
    except (ValueError, TypeError, UnicodeDecodeError, IndexError, struct.error) as exc:
        # struct.error: a ciphertext that decrypts to fewer than the 20 bytes of random prefix and length.
        raise WireError(f"cannot decrypt: {type(exc).__name__}") from None


def encrypt_reply(account, reply_xml, nonce, timestamp=None):
    return _crypto(account).encrypt_message(reply_xml, nonce, timestamp or str(int(time.time())))


def dedupe_key(fields):
    """MsgId for a message; sender + CreateTime + event (+ change type / key) for an event, which has no MsgId."""
    msg_id = fields.get("MsgId") or fields.get("MsgID")
    if msg_id and msg_id != "0":
        if len(msg_id) > _DEDUPE_KEY_MAX:
            return f"msg:sha256:{hashlib.sha256(msg_id.encode()).hexdigest()}"
        return f"msg:{msg_id}"
    parts = [fields.get("FromUserName", ""), fields.get("CreateTime", ""), fields.get("Event", ""),
             fields.get("ChangeType", ""), fields.get("ExternalUserID", ""), fields.get("EventKey", "")]
    # WeCom's events come from "sys": the employee of a contact change (two employees and one customer in one
    # second are two changes), the 微信客服 account and the token of a kf_msg_or_event (one per callback) tell them
    # apart. Appended only when present, so the other events keep their keys.
    parts += [fields[name] for name in _WECOM_EVENT_PARTS if isinstance(fields.get(name), str) and fields[name]]
    key = ":".join(parts)
    if len(key) > _DEDUPE_KEY_MAX:
        return f"evt:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return f"evt:{key}"


def event_kind(fields):
    msg_type = (fields.get("MsgType") or "").lower()
    if msg_type == "event":
        event = (fields.get("Event") or "").lower()
        if event == "change_external_contact":
            return f"event:{event}:{(fields.get('ChangeType') or '').lower()}"[:64]
        return f"event:{event}"[:64]
    return msg_type[:64] or "unknown"


def text_reply(*, to_user, from_user, content):
    """A passive text reply (the XML WeChat expects in the answer to a callback)."""
    from wechatpy.replies import TextReply

    return TextReply(target=to_user, source=from_user, content=content).render()
