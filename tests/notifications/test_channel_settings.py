"""Ops set their organization's WeCom application and SMS account in the product (not the admin): the secrets are
stored encrypted, never shown back (the page says "set" and takes a new one to replace it), each save audited
without them; incomplete settings refused with nothing saved; a test message goes through the outbox to a local
fake gateway and its state shows on the page. Agents may not; each organization sees only its own."""

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from notifications.models import Notification, NotificationChannelConfig, NotificationDelivery
from notifications.models.channel_config import MSG_WECOM_INCOMPLETE
from notifications.services import notification_delivery_send
from notifications.views_settings import MSG_TEST_NOT_CONFIGURED
from scrm.models import Role, SettingsChange
from scrm.platform.tenancy import tenant_scope
from tests.notifications.test_channel_config import _signed_with
from tests.notifications.test_senders import fake_gateway
from tests.tenancy import assert_isolated, tenant_pair

pytestmark = pytest.mark.django_db
URL = "/notifications/settings/"


@pytest.fixture
def gateway(settings):
    with fake_gateway() as gateway:
        settings.WECOM_CORP_ID = settings.WECOM_SECRET = settings.SMS_PROVIDER = ""
        settings.WECOM_AGENT_ID = 0
        settings.WECOM_API_BASE_URL = f"{gateway.url}cgi-bin/"
        yield gateway


def _ops(tenant):
    client = Client()
    client.force_login(tenant.users[Role.OPS_ADMIN])
    return client


def _form(gateway, **changes):
    data = {"wecom_corp_id": "corp-a", "wecom_agent_id": "1001", "wecom_secret": "wecom-secret-a",
            "wecom_userid_field": "mobile", "sms_provider": "aliyun", "aliyun_access_key_id": "key-a",
            "aliyun_access_key_secret": "sms-secret-a", "aliyun_sign_name": "星河家电",
            "aliyun_template_code": "SMS_1", "aliyun_endpoint": gateway.url}
    data.update(changes)
    return data


def test_ops_set_the_channels_and_the_secrets_are_never_shown_back(gateway):
    a, _b = tenant_pair()
    client = _ops(a)
    assert client.post(URL, _form(gateway)).status_code == 302
    with tenant_scope(a.organization):
        config = NotificationChannelConfig.objects.get()
        change = SettingsChange.objects.get(subject="notifications.notificationchannelconfig")
    assert (config.wecom_secret, config.aliyun_access_key_secret) == ("wecom-secret-a", "sms-secret-a")
    assert "wecom-secret-a" not in config.wecom_secret_encrypted and config.wecom_enabled and config.sms_enabled
    assert change.detail["secrets_replaced"] == ["wecom_secret", "aliyun_access_key_secret"]
    assert "secret-a" not in str(change.detail)
    page = client.get(URL).content.decode()
    assert "wecom-secret-a" not in page and "sms-secret-a" not in page and config.wecom_secret_encrypted not in page
    assert page.count('data-testid="secret-state-') == 2 and "/admin/notifications" not in page
    assert 'value="corp-a"' in page
    # Saved again with the secrets left empty: kept. Typed: replaced.
    assert client.post(URL, _form(gateway, wecom_secret="", aliyun_access_key_secret="",
                                  aliyun_sign_name="新签名")).status_code == 302
    with tenant_scope(a.organization):
        config.refresh_from_db()
        assert (config.wecom_secret, config.aliyun_sign_name) == ("wecom-secret-a", "新签名")
        assert client.post(URL, _form(gateway, wecom_secret="new", aliyun_access_key_secret="")).status_code == 302
        config.refresh_from_db()
        assert (config.wecom_secret, config.aliyun_access_key_secret) == ("new", "sms-secret-a")
        # WeCom emptied: the secret is forgotten.
        assert client.post(URL, _form(gateway, wecom_corp_id="", wecom_agent_id="", wecom_secret="")).status_code \
            == 302
        config.refresh_from_db()
        assert config.wecom_secret_encrypted == "" and SettingsChange.objects.count() == 4


def test_incomplete_settings_are_refused_and_nothing_saved(gateway):
    a, _b = tenant_pair()
    response = _ops(a).post(URL, _form(gateway, wecom_secret="", sms_provider=""))
    assert response.status_code == 400
    with translation.override("zh-hans"):
        expected = escape(str(MSG_WECOM_INCOMPLETE % {"missing": _("secret")}))
    assert expected in response.content.decode()
    with tenant_scope(a.organization):
        assert not NotificationChannelConfig.objects.exists() and not SettingsChange.objects.exists()


def test_a_test_sms_goes_through_the_outbox_and_its_state_shows(gateway):
    a, _b = tenant_pair()
    client = _ops(a)
    response = client.post("/notifications/settings/test/", {"channel": "sms", "address": "13800000001"})
    assert response.status_code == 400
    with translation.override("zh-hans"):
        expected = escape(str(MSG_TEST_NOT_CONFIGURED % {"channel": NotificationDelivery.Channel.SMS.label}))
    assert expected in response.content.decode()
    assert client.post(URL, _form(gateway)).status_code == 302
    assert client.post("/notifications/settings/test/", {"channel": "sms", "address": "13800000001"}).status_code \
        == 302
    with tenant_scope(a.organization):
        delivery = NotificationDelivery.objects.get()
        assert delivery.notification.kind == Notification.Kind.CHANNEL_TEST
        assert delivery.notification.recipient_id == a.users[Role.OPS_ADMIN].pk
        gateway.requests.clear()
        assert notification_delivery_send(delivery_id=delivery.pk) is None
        delivery.refresh_from_db()
    assert delivery.status == "sent"
    [sms] = [r[2] for r in gateway.requests if r[2].get("Action") == "SendSms"]
    assert sms["PhoneNumbers"] == "13800000001" and _signed_with(sms, "sms-secret-a")
    page = client.get(URL).content.decode()
    assert 'data-testid="channel-test-row" data-status="sent"' in page


@pytest.mark.parametrize(("language", "shown", "not_shown"), [
    ("zh-hans", "阿里云短信 HTTP 403：返回的不是阿里云的 JSON", "the answer is not"),
    ("en", "Aliyun SMS HTTP 403: the answer is not Aliyun&#x27;s JSON", "阿里云短信"),
])
def test_a_failed_tests_reason_is_shown_in_the_readers_language(gateway, language, shown, not_shown):
    """The worker records why in no one's language; the page words it in its reader's."""
    a, _b = tenant_pair()
    client = _ops(a)
    client.cookies["django_language"] = language
    assert client.post(URL, _form(gateway)).status_code == 302
    assert client.post("/notifications/settings/test/", {"channel": "sms", "address": "13800000001"}).status_code \
        == 302
    gateway.sms_status, gateway.sms_page = 403, b"<html><body>403 Forbidden</body></html>"
    with tenant_scope(a.organization), translation.override("en" if language != "en" else "zh-hans"):
        assert notification_delivery_send(delivery_id=NotificationDelivery.objects.get().pk) is not None
    page = client.get(URL).content.decode()
    row = page.split('data-testid="channel-test-row" data-status="failed"', 1)[1].split("</li>", 1)[0]
    assert shown in row and not_shown not in row


def test_a_test_without_any_address_is_refused(gateway):
    a, _b = tenant_pair()
    client = _ops(a)
    client.post(URL, _form(gateway))
    ops = a.users[Role.OPS_ADMIN]
    ops.mobile = ""
    with tenant_scope(a.organization):
        ops.save(update_fields=["mobile"])
    assert client.post("/notifications/settings/test/", {"channel": "sms", "address": ""}).status_code == 400
    with tenant_scope(a.organization):
        assert not NotificationDelivery.objects.exists() and not Notification.objects.exists()


def test_only_ops_set_channels_and_each_organization_sees_its_own(gateway):
    a, b = tenant_pair()
    for tenant in (a, b):
        _ops(tenant).post(URL, _form(gateway, aliyun_sign_name=f"{tenant.marker}签名"))
    for role in (Role.AGENT, Role.SUPERVISOR, Role.FINANCE):
        client = Client()
        client.force_login(a.users[role])
        assert client.get(URL).status_code == 403
        assert client.post("/notifications/settings/test/", {"channel": "email"}).status_code == 403
    assert_isolated(Client(), a, b, URL)
    settings_page = _ops(a).get("/settings/").content.decode()
    assert 'href="/notifications/settings/"' in settings_page
