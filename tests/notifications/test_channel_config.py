"""Ops configure their organization's own WeCom application and SMS account in the admin: the SLA ladder then sends
with that organization's credentials (seen by a local fake gateway, the SMS signature checked with its secret), two
organizations never mix, an edit takes effect on the next attempt, the secrets are stored encrypted and never shown
again, bad input is refused with a clear message, and an organization that configured nothing keeps the
environment's defaults."""

import socket
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils.translation import gettext as _

from notifications.models import NotificationChannelConfig, NotificationDelivery
from notifications.models.channel_config import MSG_SMS_ENDPOINT, MSG_SMS_INCOMPLETE, MSG_WECOM_INCOMPLETE
from notifications.senders import aliyun_signature
from notifications.services import notification_delivery_send
from scrm.models import Role
from scrm.platform.crypto import secret_decrypt
from scrm.platform.tenancy import platform_scope, tenant_scope
from sla.services import sla_sweep
from tests.notifications.test_senders import fake_gateway
from tests.sla.factories import office_calendar, sla_policy, staffed_queue
from tests.tenancy import tenant_pair
from tests.tickets.factories import CustomerFactory
from tickets.services import ticket_open

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
ADMIN_URL = "/admin/notifications/notificationchannelconfig/"


@pytest.fixture
def gateway(settings):
    """The fake gateway, with nothing configured in the environment but the WeCom API address."""
    with fake_gateway() as gateway:
        settings.WECOM_CORP_ID = settings.WECOM_SECRET = settings.SMS_PROVIDER = ""
        settings.WECOM_AGENT_ID = 0
        settings.WECOM_API_BASE_URL = f"{gateway.url}cgi-bin/"
        yield gateway


@pytest.fixture
def env_gateway(settings, gateway):
    """The environment's defaults configured too (as in test_sla_channels)."""
    settings.WECOM_CORP_ID, settings.WECOM_SECRET, settings.WECOM_AGENT_ID = "env-corp", "env-secret", 1000002
    settings.SMS_PROVIDER = "aliyun"
    settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "env-key-id", "env-key-secret"
    settings.ALIYUN_SMS_SIGN_NAME, settings.ALIYUN_SMS_TEMPLATE_CODE = "环境签名", "SMS_ENV"
    settings.ALIYUN_SMS_ENDPOINT = gateway.url
    return gateway


def _configure(organization, gateway, *, corp, agent, secret, key_id, key_secret, userid_field="username",
               wecom=True, sms=True):
    config = NotificationChannelConfig(organization=organization, wecom_userid_field=userid_field,
                                       aliyun_endpoint=gateway.url)
    if wecom:
        config.wecom_corp_id, config.wecom_agent_id = corp, agent
        config.set_wecom_secret(secret)
    if sms:
        config.sms_provider, config.aliyun_access_key_id = "aliyun", key_id
        config.aliyun_sign_name, config.aliyun_template_code = f"{corp}签名", f"SMS_{agent}"
        config.set_aliyun_access_key_secret(key_secret)
    with tenant_scope(organization):
        config.full_clean()
        config.save()
    return config


def _escalate(organization, prefix):
    """A ticket of `organization` breaches its first response; its supervisor is due a WeCom message and an SMS."""
    with tenant_scope(organization):
        calendar = office_calendar(organization, china=False)
        _queue, ticket_type, _agent, supervisor = staffed_queue(organization, username=f"{prefix}-agent",
                                                                supervisor_name=f"{prefix}-boss")
        supervisor.mobile = "+861380000000" + str(len(prefix) % 10)
        supervisor.save(update_fields=["mobile"])
        sla_policy(organization, calendar, steps=[{"metric": "first_response", "trigger": "breach",
                                                   "notify_supervisor": True, "via_wecom": True, "via_sms": True}])
        customer = CustomerFactory(organization=organization)
        with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):
            ticket_open(organization=organization, customer=customer, subject="冰箱不制冷", description="",
                        channel="wechat_oa", type=ticket_type)
        sla_sweep(now=datetime(2026, 11, 23, 11, 30, tzinfo=SH))
        deliveries = {d.channel: d for d in NotificationDelivery.objects.filter(channel__in=["wecom", "sms"])}
    return supervisor, deliveries


def _send(gateway, delivery):
    """Send one delivery; what the gateway saw for it: (gettoken queries, message/send bodies, SendSms queries)."""
    gateway.requests.clear()
    assert notification_delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("sent", "")
    tokens = [r[2] for r in gateway.requests if r[1].endswith("/gettoken")]
    posts = [r[3] for r in gateway.requests if r[0] == "POST"]
    sms = [r[2] for r in gateway.requests if r[2].get("Action") == "SendSms"]
    return tokens, posts, sms


def _signed_with(query, secret):
    query = dict(query)
    signature = query.pop("Signature")
    return signature == aliyun_signature(query, secret)


def test_each_organization_sends_with_its_own_config_and_they_never_mix(gateway):
    a, b = tenant_pair()
    _configure(a.organization, gateway, corp="corp-a", agent=1001, secret="wecom-secret-a", key_id="key-a",
               key_secret="sms-secret-a")
    _configure(b.organization, gateway, corp="corp-b", agent=2002, secret="wecom-secret-b", key_id="key-b",
               key_secret="sms-secret-b", userid_field="email")
    boss_a, sent_a = _escalate(a.organization, "org-a")
    boss_b, sent_b = _escalate(b.organization, "org-b")
    assert set(sent_a) == set(sent_b) == {"wecom", "sms"}
    assert sent_a["wecom"].address == boss_a.username and sent_b["wecom"].address == boss_b.email

    for tenant, sent, boss, corp, agent, secret, key_id, key_secret in (
        (a, sent_a, boss_a, "corp-a", 1001, "wecom-secret-a", "key-a", "sms-secret-a"),
        (b, sent_b, boss_b, "corp-b", 2002, "wecom-secret-b", "key-b", "sms-secret-b"),
    ):
        with tenant_scope(tenant.organization):
            tokens, posts, _sms = _send(gateway, sent["wecom"])
            assert tokens == [{"corpid": corp, "corpsecret": secret}]
            assert posts[0]["agentid"] == agent and posts[0]["touser"] == sent["wecom"].address
            _tokens, _posts, sms = _send(gateway, sent["sms"])
        assert sms[0]["AccessKeyId"] == key_id and sms[0]["TemplateCode"] == f"SMS_{agent}"
        assert sms[0]["PhoneNumbers"] == boss.mobile
        assert _signed_with(sms[0], key_secret)
        assert not _signed_with(sms[0], "sms-secret-b" if key_secret == "sms-secret-a" else "sms-secret-a")


def test_an_edited_config_takes_effect_on_the_next_attempt(gateway):
    a, _b = tenant_pair()
    config = _configure(a.organization, gateway, corp="corp-a", agent=1001, secret="old-secret", key_id="old-key",
                        key_secret="old-sms-secret")
    _boss, sent = _escalate(a.organization, "org-a")
    with tenant_scope(a.organization):
        gateway.fail_next = 1
        assert 30 <= notification_delivery_send(delivery_id=sent["sms"].pk) <= 36
        first = next(r[2] for r in gateway.requests if r[2].get("Action") == "SendSms")
        assert first["AccessKeyId"] == "old-key"
        tokens, _posts, _sms = _send(gateway, sent["wecom"])
        assert tokens[0]["corpsecret"] == "old-secret"

        config.aliyun_access_key_id = "new-key"
        config.set_aliyun_access_key_secret("new-sms-secret")
        config.wecom_corp_id = "corp-a2"
        config.set_wecom_secret("new-secret")
        config.save()
        delivery = NotificationDelivery.objects.get(pk=sent["sms"].pk)
        with time_machine.travel(delivery.next_attempt_at, tick=False):
            _tokens, _posts, sms = _send(gateway, delivery)
        assert sms[0]["AccessKeyId"] == "new-key" and _signed_with(sms[0], "new-sms-secret")
    # A new WeCom delivery of the same organization now fetches a token with the new corp id and secret.
    with tenant_scope(a.organization):
        wecom = NotificationDelivery.objects.get(pk=sent["wecom"].pk)
        NotificationDelivery.objects.filter(pk=wecom.pk).update(status="pending", sent_at=None)
        tokens, _posts, _sms = _send(gateway, wecom)
    assert tokens == [{"corpid": "corp-a2", "corpsecret": "new-secret"}]


def test_an_organization_without_its_own_config_uses_the_environment(env_gateway):
    a, b = tenant_pair()
    _configure(a.organization, env_gateway, corp="corp-a", agent=1001, secret="wecom-secret-a", key_id="",
               key_secret="", sms=False)  # A: its own WeCom, the environment's SMS
    _boss_a, sent_a = _escalate(a.organization, "org-a")
    _boss_b, sent_b = _escalate(b.organization, "org-b")  # B: nothing configured
    with tenant_scope(a.organization):
        tokens, _posts, _sms = _send(env_gateway, sent_a["wecom"])
        assert tokens[0]["corpid"] == "corp-a"
        _tokens, _posts, sms = _send(env_gateway, sent_a["sms"])
        assert sms[0]["AccessKeyId"] == "env-key-id" and _signed_with(sms[0], "env-key-secret")
    with tenant_scope(b.organization):
        tokens, posts, _sms = _send(env_gateway, sent_b["wecom"])
        assert tokens[0]["corpid"] == "env-corp" and posts[0]["agentid"] == 1000002
        _tokens, _posts, sms = _send(env_gateway, sent_b["sms"])
        assert sms[0]["AccessKeyId"] == "env-key-id" and sms[0]["TemplateCode"] == "SMS_ENV"


def test_an_organization_without_config_and_no_environment_queues_nothing(gateway):
    a, b = tenant_pair()
    _configure(a.organization, gateway, corp="corp-a", agent=1001, secret="s", key_id="k", key_secret="ks")
    _boss, sent_b = _escalate(b.organization, "org-b")
    assert sent_b == {}


def _column(config, name):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {name} FROM notifications_notificationchannelconfig WHERE id = %s", [config.pk])  # noqa: S608
        return cursor.fetchone()[0]


def _admin(tenant):
    client = Client()
    client.force_login(tenant.users[Role.OPS_ADMIN])
    return client


def _form(**values):
    data = {"wecom_corp_id": "", "wecom_agent_id": "", "wecom_secret": "", "wecom_userid_field": "username",
            "sms_provider": "", "aliyun_access_key_id": "", "aliyun_access_key_secret": "", "aliyun_sign_name": "",
            "aliyun_template_code": "", "aliyun_endpoint": "https://dysmsapi.aliyuncs.com/"}
    data.update(values)
    return data


WECOM = {"wecom_corp_id": "ww-corp-a", "wecom_agent_id": "1000005", "wecom_secret": "plain-wecom-secret-a"}
SMS = {"sms_provider": "aliyun", "aliyun_access_key_id": "LTAI-a", "aliyun_access_key_secret": "plain-sms-secret-a",
       "aliyun_sign_name": "星河家电", "aliyun_template_code": "SMS_123"}


def test_ops_save_the_config_in_the_admin_with_the_secrets_encrypted_and_never_shown():
    a, b = tenant_pair()
    client = _admin(a)
    response = client.post(f"{ADMIN_URL}add/", _form(**WECOM, **SMS))
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_scope(a.organization):
        config = NotificationChannelConfig.objects.get()
    for column, plain in (("wecom_secret_encrypted", "plain-wecom-secret-a"),
                          ("aliyun_access_key_secret_encrypted", "plain-sms-secret-a")):
        raw = _column(config, column)
        assert raw and plain not in raw and secret_decrypt(raw) == plain

    page = client.get(f"{ADMIN_URL}{config.pk}/change/").content.decode()
    listing = client.get(ADMIN_URL).content.decode()
    for html in (page, listing):
        assert "plain-wecom-secret-a" not in html and "plain-sms-secret-a" not in html
        assert config.wecom_secret_encrypted not in html and config.aliyun_access_key_secret_encrypted not in html
    kept = _("%(state)s. Never shown again: type a new one to replace it, or leave empty to keep it.") % {
        "state": _("Set")}
    assert "ww-corp-a" in page and kept in page
    assert "ww-corp-a" in listing
    # A second row cannot be added: ops edit theirs.
    assert client.get(f"{ADMIN_URL}add/").status_code == 403

    # Saving with the secret fields empty keeps the secrets; typing one replaces it.
    response = client.post(f"{ADMIN_URL}{config.pk}/change/", _form(**{**WECOM, "wecom_secret": ""},
                                                                       **{**SMS, "aliyun_access_key_secret": ""}))
    assert response.status_code == 302
    with tenant_scope(a.organization):
        config.refresh_from_db()
    assert (config.wecom_secret, config.aliyun_access_key_secret) == ("plain-wecom-secret-a", "plain-sms-secret-a")
    response = client.post(f"{ADMIN_URL}{config.pk}/change/",
                           _form(**{**WECOM, "wecom_secret": "replaced"}, **{**SMS, "aliyun_access_key_secret": ""}))
    assert response.status_code == 302
    with tenant_scope(a.organization):
        config.refresh_from_db()
    assert (config.wecom_secret, config.aliyun_access_key_secret) == ("replaced", "plain-sms-secret-a")

    # B's ops admin neither lists nor opens A's config, and adds their own.
    client_b = _admin(b)
    assert "ww-corp-a" not in client_b.get(ADMIN_URL).content.decode()
    assert client_b.get(f"{ADMIN_URL}{config.pk}/change/").status_code in (302, 404)
    assert client_b.post(f"{ADMIN_URL}add/", _form(**{**WECOM, "wecom_corp_id": "ww-corp-b"})).status_code == 302
    with platform_scope():
        assert dict(NotificationChannelConfig.objects.values_list("organization_id", "wecom_corp_id")) == {
            a.organization.pk: "ww-corp-a", b.organization.pk: "ww-corp-b"}


@pytest.mark.parametrize(("values", "message", "missing"), [
    ({"sms_provider": "aliyun"}, MSG_SMS_INCOMPLETE,
     ["AccessKey ID", "AccessKey secret", "sign name", "template code"]),
    ({**SMS, "aliyun_sign_name": "", "aliyun_template_code": ""}, MSG_SMS_INCOMPLETE, ["sign name", "template code"]),
    ({**WECOM, "wecom_secret": ""}, MSG_WECOM_INCOMPLETE, ["secret"]),
    ({"wecom_corp_id": "ww-corp"}, MSG_WECOM_INCOMPLETE, ["agent ID", "secret"]),
    ({**SMS, "aliyun_endpoint": "ftp://sms.example.com/"}, MSG_SMS_ENDPOINT, None),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(values, message, missing):
    a, _b = tenant_pair()
    response = _admin(a).post(f"{ADMIN_URL}add/", _form(**values))
    assert response.status_code == 200
    if missing is not None:  # the missing fields are named in the page's language
        message = message % {"missing": ", ".join(str(_(label)) for label in missing)}
    assert str(message) in response.content.decode()
    with tenant_scope(a.organization):
        assert not NotificationChannelConfig.objects.exists()


def test_only_ops_admins_may_configure_the_channels():
    a, _b = tenant_pair()
    for role in (Role.SUPERVISOR, Role.AGENT, Role.VIEWER, Role.FINANCE):
        client = Client()
        client.force_login(a.users[role])
        assert client.get(ADMIN_URL).status_code in (302, 403)


def test_an_unreachable_wecom_never_records_the_secret(gateway, settings):
    a, _b = tenant_pair()
    _configure(a.organization, gateway, corp="corp-a", agent=1001, secret="wecom-secret-a", key_id="k",
               key_secret="ks")
    _boss, sent = _escalate(a.organization, "org-a")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.WECOM_API_BASE_URL = f"http://127.0.0.1:{closed}/cgi-bin/"
    with tenant_scope(a.organization):
        assert 30 <= notification_delivery_send(delivery_id=sent["wecom"].pk) <= 36
        delivery = NotificationDelivery.objects.get(pk=sent["wecom"].pk)
    assert delivery.status == "failed" and "ConnectionError" in delivery.last_error
    assert "wecom-secret-a" not in delivery.last_error and "[redacted]" in delivery.last_error
