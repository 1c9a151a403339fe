"""The outbound senders of notifications: email (for the kinds that need someone's attention now), and the two
channels the SLA ladder can ask for, a WeCom application message and an SMS.

Each is a sender for `notifications.services`'s outbox (`register_notification_channel`): a sender gets one
`NotificationDelivery` and sends it or raises. `NotificationPermanentError` (no such user, an invalid number)
gives up at once; any other error is retried by the outbox task with back-off, each attempt recorded on the row.

Configuration, per organization: ops set the organization's WeCom application and SMS account in the admin
(`NotificationChannelConfig`); a channel the organization has not completely configured falls back to the
environment settings (scrm/settings.py): WECOM_CORP_ID, WECOM_SECRET, WECOM_AGENT_ID, WECOM_USERID_FIELD;
SMS_PROVIDER ("aliyun" or empty) and ALIYUN_SMS_*. WECOM_API_BASE_URL is always the environment's. A channel
configured nowhere gives every user an empty address, so no delivery is ever queued for it.
"""

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext_lazy as _
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException

from notifications.models import Notification, NotificationChannelConfig, NotificationDelivery
from notifications.services import (
    NotificationPermanentError,
    absolute_url,
    register_notification_channel,
)
from scrm.platform import outbox
from scrm.platform.coded import coded
from scrm.platform.http import TimeoutSession, client_error_detail
from scrm.platform.redaction import error_text
from scrm.platform.tenancy import tenant_scope

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Channel = NotificationDelivery.Channel

EMAIL_SUBJECT = _("[SCRM] %(title)s")
# Email by default only for what needs someone's attention now; the in-app centre gets everything.
EMAIL_KINDS = frozenset({Kind.ASSIGNED, Kind.MENTIONED, Kind.ESCALATED, Kind.WAITING, Kind.RATING_LOW})

SMS_TIMEOUT_SECONDS = 10
WECOM_TIMEOUT_SECONDS = 10
SMS_TEXT_LIMIT = 60  # characters of the title passed to the SMS template's ${content}


def delivery_text(delivery):
    """The notification as one text, in the active language (the outbox sends in the recipient's)."""
    notification = delivery.notification
    parts = [notification.title_display, notification.body_display]
    if notification.url:
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        parts.append(f"{base}{notification.url}" if notification.url.startswith("/") else notification.url)
    return "\n".join(part for part in parts if part)


# --- Configuration: the organization's own, else the environment's ------------------------------------------------

@dataclass(frozen=True)
class WeComSettings:
    corp_id: str
    secret: str
    agent_id: int
    userid_field: str

    @property
    def configured(self):
        return bool(self.corp_id and self.secret and self.agent_id)


@dataclass(frozen=True)
class SMSSettings:
    provider: str
    access_key_id: str = ""
    access_key_secret: str = ""
    sign_name: str = ""
    template_code: str = ""
    endpoint: str = ""


def _organization_config(organization_id):
    if organization_id is None:
        return None
    # The user's or the delivery's organization, whatever scope the caller has open.
    with tenant_scope(organization_id):
        return NotificationChannelConfig.objects.filter(organization_id=organization_id).first()


def wecom_settings(organization_id):
    config = _organization_config(organization_id)
    if config is not None and config.wecom_enabled:
        return WeComSettings(corp_id=config.wecom_corp_id, secret=config.wecom_secret,
                             agent_id=int(config.wecom_agent_id), userid_field=config.wecom_userid_field)
    return WeComSettings(corp_id=settings.WECOM_CORP_ID, secret=settings.WECOM_SECRET,
                         agent_id=int(settings.WECOM_AGENT_ID or 0), userid_field=settings.WECOM_USERID_FIELD)


def sms_settings(organization_id):
    config = _organization_config(organization_id)
    if config is not None and config.sms_enabled:
        return SMSSettings(provider=config.sms_provider, access_key_id=config.aliyun_access_key_id,
                           access_key_secret=config.aliyun_access_key_secret, sign_name=config.aliyun_sign_name,
                           template_code=config.aliyun_template_code, endpoint=config.aliyun_endpoint)
    return SMSSettings(provider=settings.SMS_PROVIDER, access_key_id=settings.ALIYUN_SMS_ACCESS_KEY_ID,
                       access_key_secret=settings.ALIYUN_SMS_ACCESS_KEY_SECRET,
                       sign_name=settings.ALIYUN_SMS_SIGN_NAME, template_code=settings.ALIYUN_SMS_TEMPLATE_CODE,
                       endpoint=settings.ALIYUN_SMS_ENDPOINT)


# --- WeCom (企业微信) application message -----------------------------------------------------------------------------

class _WeComClient(WeChatClient):
    """wechatpy's enterprise client with its base URL taken from the settings (the token URL included), so the
    tests can point it at a local fake server."""

    def __init__(self, corp_id, secret, base_url):
        self.API_BASE_URL = base_url
        super().__init__(corp_id, secret, timeout=WECOM_TIMEOUT_SECONDS)
        self._http = TimeoutSession(WECOM_TIMEOUT_SECONDS)  # wechatpy's token fetch has no timeout of its own

    def fetch_access_token(self):
        return self._fetch_access_token(url=f"{self.API_BASE_URL}gettoken",
                                         params={"corpid": self.corp_id, "corpsecret": self.secret})


# Clients keyed on everything they are built from: an edited config (new corp id or secret) gets a new client,
# while an unchanged one keeps its cached access token.
_wecom_clients = {}
WECOM_CLIENTS_MAX = 256


def wecom_configured(organization_id=None):
    return wecom_settings(organization_id).configured


def _wecom_client(wecom):
    key = (wecom.corp_id, wecom.secret, settings.WECOM_API_BASE_URL)
    client = _wecom_clients.get(key)
    if client is None:
        if len(_wecom_clients) >= WECOM_CLIENTS_MAX:  # stale ones of edited configs: start over
            _wecom_clients.clear()
        client = _wecom_clients[key] = _WeComClient(*key)
    return client


def wecom_address(user):
    """The user's WeCom userid (by default their username), or "" when WeCom is not configured for their
    organization."""
    wecom = wecom_settings(user.organization_id)
    if not wecom.configured:
        return ""
    return str(getattr(user, wecom.userid_field, "") or "")


# WeCom's answers for an application set up so that no retry sends it until ops change it (then they replay it):
# 40013 invalid corp id, 40056 invalid agent id, 60020 the server's address is not a trusted IP of the app.
WECOM_SETUP_ERRCODES = {40013, 40056, 60020}


def wecom_send(delivery):
    wecom = wecom_settings(delivery.organization_id)
    if not wecom.configured:
        raise NotificationPermanentError(coded("notifications.wecom_not_configured"))
    try:
        result = _wecom_client(wecom).message.send_text(wecom.agent_id, [delivery.address], delivery_text(delivery))
    except WeChatClientException as error:
        if error.errcode in (40003, 60111, 81013):  # invalid userid / user not found / no valid receiver
            raise NotificationPermanentError(coded("notifications.wecom_refused_user", user=delivery.address,
                                                   detail=error.errmsg)) from error
        if error.errcode in WECOM_SETUP_ERRCODES:
            raise NotificationPermanentError(coded("notifications.wecom_answer",
                                                   detail=client_error_detail(error))) from None
        # Retried: WeCom busy (-1), a frequency limit, an HTTP error status (wechatpy's errcode None).
        raise outbox.Failure(coded("notifications.wecom_answer", detail=client_error_detail(error))) from None
    except Exception as error:  # noqa: BLE001 - retried by the outbox, recorded on the delivery
        # requests puts the URL in its message and the token URL carries the secret: never record or chain it.
        raise RuntimeError(error_text(error, secrets=[wecom.secret],
                                      organization_id=delivery.organization_id)) from None
    if (result or {}).get("invaliduser"):
        raise NotificationPermanentError(coded("notifications.wecom_no_user", user=result["invaliduser"]))


# --- SMS ------------------------------------------------------------------------------------------------------------

class SMSProvider:
    """An SMS gateway: `send(phone, text)` sends one message or raises (NotificationPermanentError when it never
    will go through)."""

    def send(self, phone, text):
        raise NotImplementedError


def aliyun_percent_encode(value):
    # Aliyun's RPC signature wants RFC 3986 encoding: space as %20, "*" as %2A, "~" kept.
    return urllib.parse.quote(str(value), safe="-_.~")


def aliyun_signature(params, secret, method="GET"):
    """Aliyun RPC signature (SignatureVersion 1.0, HMAC-SHA1) of the request parameters."""
    canonical = "&".join(f"{aliyun_percent_encode(k)}={aliyun_percent_encode(params[k])}" for k in sorted(params))
    string_to_sign = f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Aliyun answers these for a number, a template, a signature or an account set up so that the message will never
# go through until someone changes it (ops replay it then); anything else may pass later (flow control
# isv.BUSINESS_LIMIT_CONTROL, the day's or month's quota, a balance topped up, isp.SYSTEM_ERROR, Throttling, a 5xx).
# The POP layer's own refusals (a wrong or disabled AccessKey, a signature Aliyun does not compute alike) come with
# an HTTP 4xx status and their code in the same JSON.
ALIYUN_PERMANENT = {
    "isv.MOBILE_NUMBER_ILLEGAL", "isv.INVALID_PARAMETERS", "isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.MOBILE_COUNT_OVER_LIMIT", "isv.BLACK_KEY_CONTROL_LIMIT", "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
    "isv.EXTEND_CODE_ERROR", "isv.SIGN_STATE_ILLEGAL", "isv.DOMESTIC_NUMBER_NOT_SUPPORTED", "isv.DENY_IP_RANGE",
    "isv.SMS_CONTENT_ILLEGAL", "isv.SMS_SIGN_ILLEGAL", "isp.RAM_PERMISSION_DENY", "isv.PRODUCT_UN_SUBSCRIPT",
    "isv.PRODUCT_UNSUBSCRIBE", "isv.ACCOUNT_NOT_EXISTS", "isv.ACCOUNT_ABNORMAL", "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_JSON_PARAM", "SignatureDoesNotMatch", "IncompleteSignature", "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive",
}


class AliyunSMSProvider(SMSProvider):
    """Aliyun SMS `SendSms` (dysmsapi, API version 2017-05-25) with a template whose one variable is
    ${content}."""

    def __init__(self, *, access_key_id, access_key_secret, sign_name, template_code, endpoint,
                 region_id="cn-hangzhou"):
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret
        self.sign_name, self.template_code = sign_name, template_code
        self.endpoint, self.region_id = endpoint, region_id

    def request_params(self, phone, text, *, nonce=None, timestamp=None):
        params = {
            "AccessKeyId": self.access_key_id, "Action": "SendSms", "Format": "JSON", "PhoneNumbers": phone,
            "RegionId": self.region_id, "SignName": self.sign_name, "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex, "SignatureVersion": "1.0",
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps({"content": text[:SMS_TEXT_LIMIT]}, ensure_ascii=False),
            "Timestamp": timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, self.access_key_secret)
        return params

    def send(self, phone, text):
        url = f"{self.endpoint}?{urllib.parse.urlencode(self.request_params(phone, text))}"
        if not url.startswith(("https://", "http://")):
            raise NotificationPermanentError(coded("notifications.sms_bad_endpoint", endpoint=repr(self.endpoint)))
        status = 200
        try:
            with urllib.request.urlopen(url, timeout=SMS_TIMEOUT_SECONDS) as response:  # noqa: S310 - checked above
                body = response.read()
        except urllib.error.HTTPError as error:
            if error.code >= 500:
                raise
            status, body = error.code, error.read()
        answer = _aliyun_answer(body)
        if answer is None:  # a proxy's page, say: retried, saying what came back
            raise outbox.Failure(coded("notifications.aliyun_not_json", status=status))
        code = answer.get("Code")
        if not code:
            raise outbox.Failure(coded("notifications.aliyun_no_code", status=status))
        if code == "OK":
            return answer.get("BizId", "")
        if code in ALIYUN_PERMANENT:
            raise NotificationPermanentError(coded("notifications.aliyun_refused", code=code,
                                                   detail=answer.get("Message", "")))
        raise outbox.Failure(coded("notifications.aliyun_refused", code=code, detail=answer.get("Message", "")))


def _aliyun_answer(body):
    """Aliyun's JSON answer as a dict, or None when the body is not one."""
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


def notification_channel_secrets(organization_id):
    """The WeCom and SMS secrets of an organization's channel config: masked in every error recorded."""
    config = _organization_config(organization_id)
    if config is None:
        return []
    return [value for value in (config.wecom_secret, config.aliyun_access_key_secret) if value]


def sms_provider(organization_id=None):
    """The provider configured for the organization (else the environment's), or None."""
    sms = sms_settings(organization_id)
    if sms.provider == "aliyun":
        return AliyunSMSProvider(access_key_id=sms.access_key_id, access_key_secret=sms.access_key_secret,
                                 sign_name=sms.sign_name, template_code=sms.template_code, endpoint=sms.endpoint)
    return None


def sms_address(user):
    """The user's mobile number, or "" when no SMS provider is configured for their organization or they have
    none."""
    if not sms_settings(user.organization_id).provider:
        return ""
    return (user.mobile or "").strip()


def sms_send(delivery):
    provider = sms_provider(delivery.organization_id)
    if provider is None:
        raise NotificationPermanentError(coded("notifications.sms_not_configured"))
    notification = delivery.notification
    provider.send(delivery.address, notification.title_display or delivery_text(delivery))


# --- email -----------------------------------------------------------------------------------------------------------

def _email_address(user):
    return (user.email or "").strip()


def _email_send(delivery):
    notification = delivery.notification
    title = notification.title_display  # in the recipient's language: the outbox's handler activated it
    subject = str(EMAIL_SUBJECT % {"title": title})
    lines = [notification.body_display] if notification.body else []
    if notification.url:
        lines.append(absolute_url(notification.url))
    try:
        send_mail(subject, "\n\n".join(lines) or title, settings.DEFAULT_FROM_EMAIL,
                  [delivery.address], fail_silently=False)
    except smtplib.SMTPRecipientsRefused as error:
        # A 5xx for the recipient (no such mailbox, a domain that takes no mail) will not pass on a retry; a 4xx
        # (mailbox busy, greylisting) may: retried.
        refusals = list(error.recipients.values())
        if refusals and all(500 <= code < 600 for code, _message in refusals):
            code, message = refusals[0]
            text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
            raise NotificationPermanentError(coded("notifications.mail_refused", address=delivery.address, code=code,
                                                   detail=text)) from error
        raise


# Email for the kinds that need someone's attention now; WeCom and SMS only when a ladder step asks for them (no
# notification kind sends on them by default).
register_notification_channel(Channel.EMAIL, _email_send, address=_email_address, kinds=EMAIL_KINDS)
register_notification_channel(Channel.WECOM, wecom_send, address=wecom_address, kinds=())
register_notification_channel(Channel.SMS, sms_send, address=sms_address, kinds=())
