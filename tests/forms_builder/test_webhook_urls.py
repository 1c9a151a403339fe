"""A form's webhook may call only the public internet (scrm.platform.http.outbound_url_check): never this machine,
our network or the cloud's metadata service, checked when the URL is saved and again before each delivery. The
settings page shows only the URL's origin (a robot's URL carries its token), and a stored error never holds the
path or query string, even as requests percent-encodes it."""


import pytest
import requests
from django.urls import reverse
from django.utils import translation

from forms_builder.errors import FormError
from forms_builder.models import FormWebhookAttempt
from forms_builder.services import form_settings_save, form_submit
from forms_builder.webhooks import _error
from scrm.platform.http import (
    MSG_URL_NOT_PUBLIC,
    MSG_URL_SCHEME,
    PublicOnlySession,
    UnsafeURL,
    outbound_url_check,
    refused_connection,
)
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.forms_builder.factories import published_form, repair_schema
from tests.forms_builder.fakehook import FakeReceiver
from tests.forms_builder.fakehook import delivery_wait as _wait

SECRET = "s3cret-Of-The-Receiver-42"
GOOD = {"name": "李四", "mobile": "13900001111", "problem": "fault", "fault_code": "E07"}
PRIVATE = [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://2130706433/", "http://0.0.0.0/",
    "http://10.1.2.3/hook", "http://172.16.0.1/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://224.0.0.1/", "http://240.0.0.1/",
    "http://[::1]/", "http://[::]/", "http://[fe80::1]/", "http://[fc00::1]/", "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:169.254.169.254]/", "http://[2002:7f00:1::]/",
]
NOT_HTTP = ["ftp://8.8.8.8/in", "file:///etc/passwd", "gopher://8.8.8.8/", "javascript:alert(1)"]


@pytest.mark.parametrize("url", PRIVATE)
def test_a_private_loopback_link_local_or_reserved_address_is_refused(url, settings):
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = False
    with pytest.raises(UnsafeURL) as refused:
        outbound_url_check(url)
    assert refused.value.permanent


@pytest.mark.parametrize("url", NOT_HTTP)
def test_a_scheme_other_than_http_is_refused_even_where_private_hosts_are_allowed(url, settings):
    for allowed in (False, True):
        settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = allowed
        with pytest.raises(UnsafeURL):
            outbound_url_check(url)


def test_public_addresses_pass_and_the_setting_lets_tests_reach_loopback(settings):
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = False
    outbound_url_check("https://8.8.8.8/hook?token=x")
    outbound_url_check("http://[2001:4860:4860::8888]:8080/hook")
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = True
    outbound_url_check("http://127.0.0.1:8000/hook")


def _repair(organization):
    with tenant_scope(organization):
        return published_form(organization, schema=repair_schema(subject_field="problem"))


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:6379/",
                                 "http://10.0.0.5/hook", "http://[::ffff:10.0.0.5]/", "ftp://8.8.8.8/in"])
def test_saving_a_webhook_to_our_own_network_is_refused_with_nothing_written(url, organization, settings):
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = False
    form = _repair(organization)
    with tenant_scope(organization), pytest.raises(FormError) as refused:
        form_settings_save(form=form, edit_days=3, captcha=False, webhook_url=url, webhook_secret=SECRET)
    assert "webhook_url" in refused.value.problems
    with tenant_scope(organization):
        form.refresh_from_db()
        assert form.webhook_url == "" and form.webhook_secret == "" and form.edit_days == 0


def test_the_settings_page_says_why_in_chinese(client, ops_admin, organization, settings):
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = False
    form = _repair(organization)
    client.force_login(ops_admin)
    response = client.post(reverse("forms_builder:form-settings", args=[form.pk]), {
        "edit_days": 1, "webhook_url": "http://169.254.169.254/latest/meta-data/", "webhook_secret": SECRET},
        HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    with translation.override("zh-hans"):
        message = str(MSG_URL_NOT_PUBLIC % {"address": "169.254.169.254"})
        scheme = str(MSG_URL_SCHEME)
    assert response.status_code == 400 and message in page and "公网" in message
    assert client.post(reverse("forms_builder:form-settings", args=[form.pk]), {
        "edit_days": 1, "webhook_url": "ftp://8.8.8.8/in", "webhook_secret": SECRET}).status_code == 400
    with translation.override("zh-hans"):
        assert "http" in scheme and scheme != "Only http:// and https:// addresses may be called."
    with tenant_scope(organization):
        form.refresh_from_db()
        assert form.webhook_url == "" and form.edit_days == 0


def test_at_send_time_a_private_address_is_dead_at_once_and_never_called(celery_worker, organization, settings):
    # Saved where private hosts were allowed (or the name pointed elsewhere then): refused before connecting.
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = True
    settings.FORMS_WEBHOOK_RETRY_BASE_SECONDS = 0
    with FakeReceiver(200) as receiver:
        url = receiver.url(f"/in/{SECRET}?token={SECRET}")
        form = _repair(organization)
        with tenant_scope(organization):
            form = form_settings_save(form=form, edit_days=0, captcha=False, webhook_url=url, webhook_secret=SECRET)
        settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = False
        with tenant_scope(organization):
            form_submit(form=form, data=GOOD)

        dead = _wait({"sent", "dead"})

        assert receiver.requests == []
    assert dead.status == "dead" and dead.attempts == 1  # permanent: no retry storm
    with platform_scope():
        [attempt] = FormWebhookAttempt.objects.all()
    for text in (attempt.error, dead.last_error):
        assert "platform.url_not_public" in text and "127.0.0.1" in text
        assert SECRET not in text and "/in/" not in text and "token" not in text


def test_the_settings_show_only_the_origin_and_keep_the_stored_url(client, ops_admin, organization, settings):
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = True
    url = "https://oapi.example.com/robot/send?access_token=robot-token-123456"
    form = _repair(organization)
    with tenant_scope(organization):
        form_settings_save(form=form, edit_days=0, captcha=False, webhook_url=url, webhook_secret=SECRET)
    client.force_login(ops_admin)

    page = client.get(reverse("forms_builder:form-detail", args=[form.pk])).content.decode()
    assert "robot-token-123456" not in page and "/robot/send" not in page
    assert 'value="https://oapi.example.com"' in page

    # Sent back as shown (with a secret left empty): the stored URL and secret stay.
    settings_url = reverse("forms_builder:form-settings", args=[form.pk])
    assert client.post(settings_url, {"edit_days": 2, "webhook_url": "https://oapi.example.com"}).status_code == 302
    with tenant_scope(organization):
        form.refresh_from_db()
        assert form.webhook_url == url and form.webhook_secret and form.edit_days == 2
    # Another address replaces it; empty removes the webhook (and forgets its secret).
    assert client.post(settings_url, {"edit_days": 2, "webhook_url": "https://oapi.example.com/other"}
                       ).status_code == 302
    with tenant_scope(organization):
        form.refresh_from_db()
        assert form.webhook_url == "https://oapi.example.com/other"
    assert client.post(settings_url, {"edit_days": 2, "webhook_url": ""}).status_code == 302
    with tenant_scope(organization):
        form.refresh_from_db()
        assert form.webhook_url == "" and form.webhook_secret == ""


def test_an_error_holds_neither_the_raw_nor_the_percent_encoded_path(settings):
    with FakeReceiver() as receiver:
        url = receiver.url("/钩子|机器人/abc?token=tok-98765&a=%41")
    # Nobody listens now: requests names the URL it tried, its path percent-encoded.
    with pytest.raises(requests.RequestException) as failed:
        requests.post(url, timeout=5)
    text = f"{type(failed.value).__name__}: {failed.value}"
    assert "%E9%92%A9%E5%AD%90%7C" in text  # what the redaction must catch

    error = _error(text, url=url, secret="", organization_id=None)

    assert "ConnectionError" in error and "127.0.0.1" in error
    for piece in ("钩子", "机器人", "%E9%92%A9", "%7C", "|", "/abc", "tok-98765"):
        assert piece not in error, piece


def test_a_delivery_error_never_holds_a_non_ascii_path(celery_worker, organization, settings):
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = True
    settings.FORMS_WEBHOOK_RETRY_BASE_SECONDS, settings.FORMS_WEBHOOK_MAX_ATTEMPTS = 0, 1
    with FakeReceiver() as receiver:
        url = receiver.url("/钩子|机器人/abc")
    form = _repair(organization)
    with tenant_scope(organization):
        form = form_settings_save(form=form, edit_days=0, captcha=False, webhook_url=url, webhook_secret=SECRET)
        form_submit(form=form, data=GOOD)

    dead = _wait({"dead"})

    with platform_scope():
        [attempt] = FormWebhookAttempt.objects.all()
    for text in (attempt.error, dead.last_error):
        assert "ConnectionError" in text
        for piece in ("钩子", "%E9%92%A9", "%7C", "/abc"):
            assert piece not in text, piece


def test_the_session_refuses_a_connection_that_reached_a_private_address(settings):
    # What a DNS answer changed after the check (rebinding) would do: the connection itself lands on 127.0.0.1.
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = False
    with FakeReceiver(200) as receiver, PublicOnlySession(5) as session:
        with pytest.raises(requests.ConnectionError) as refused:
            session.post(receiver.url(), data=b"{}", allow_redirects=False)
        assert refused_connection(refused.value) and "127.0.0.1" in str(refused.value)
        assert receiver.requests == []

        settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = True  # tests and local development: the fake receivers
        assert session.post(receiver.url(), data=b"{}", allow_redirects=False).status_code == 200
    with pytest.raises(requests.ConnectionError) as unreachable:
        requests.post(receiver.url(), timeout=5)
    assert not refused_connection(unreachable.value)  # a network error stays a network error (retried)
