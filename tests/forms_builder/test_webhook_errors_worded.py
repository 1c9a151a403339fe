"""A webhook delivery's errors are worded on the form's page in the reader's language: the worker stores the
product's words as codes (scrm.platform.coded), the receiver's status and the network's error as parameters."""

import html

from django.urls import reverse

from forms_builder.models import FormWebhookAttempt
from forms_builder.services import form_settings_save, form_submit
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.forms_builder.factories import published_form, repair_schema
from tests.forms_builder.fakehook import FakeReceiver
from tests.forms_builder.fakehook import delivery_wait as _wait

SECRET = "s3cret-Of-The-Receiver-42"
GOOD = {"name": "李四", "mobile": "13900001111", "problem": "fault", "fault_code": "E07"}


def _form(organization, url):
    with tenant_scope(organization):
        form = published_form(organization, schema=repair_schema(subject_field="problem"))
        return form_settings_save(form=form, edit_days=0, captcha=False, webhook_url=url, webhook_secret=SECRET)


def _errors_on_page(client, form, language):
    client.cookies["django_language"] = language
    page = client.get(reverse("forms_builder:form-detail", args=[form.pk])).content.decode()
    return [html.unescape(piece.split(">", 1)[1].split("</span>", 1)[0])
            for piece in page.split('data-testid="webhook-attempt-error"')[1:]]


def test_an_http_error_is_worded_in_the_readers_language(celery_worker, organization, settings, client, ops_admin):
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = True
    settings.FORMS_WEBHOOK_RETRY_BASE_SECONDS, settings.FORMS_WEBHOOK_MAX_ATTEMPTS = 0, 1
    with FakeReceiver(503) as receiver:
        form = _form(organization, receiver.url(f"/in?token={SECRET}"))
        origin = receiver.url("")
        with tenant_scope(organization):
            form_submit(form=form, data=GOOD)
        assert _wait({"dead"}).attempts == 1

    client.force_login(ops_admin)
    assert _errors_on_page(client, form, "en") == [f"The receiver {origin} answered HTTP 503."]
    assert _errors_on_page(client, form, "zh-hans") == [f"接收方 {origin} 返回了 HTTP 503。"]
    with platform_scope():
        [stored] = FormWebhookAttempt.objects.values_list("error", flat=True)
    assert SECRET not in stored and "token" not in stored


def test_an_address_refused_at_send_time_is_worded_in_the_readers_language(celery_worker, organization, settings,
                                                                           client, ops_admin):
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = True  # saved where private hosts were allowed ...
    settings.FORMS_WEBHOOK_RETRY_BASE_SECONDS = 0
    with FakeReceiver(200) as receiver:
        form = _form(organization, receiver.url())
        settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = False  # ... refused when sending
        with tenant_scope(organization):
            form_submit(form=form, data=GOOD)
        assert _wait({"sent", "dead"}).status == "dead"
        assert receiver.requests == []

    client.force_login(ops_admin)
    assert _errors_on_page(client, form, "en") == [
        "The address points into a private or reserved network (127.0.0.1): only public internet addresses may be "
        "called."]
    [zh] = _errors_on_page(client, form, "zh-hans")
    assert "127.0.0.1" in zh and "address" not in zh
