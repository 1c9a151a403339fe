"""A form's signed webhook, through the one outbox and a real Celery worker on the Redis broker, to a local fake
receiver: delivered and verifiable, retried after a 500, every attempt recorded for the form's owner, dead after the
last attempt and replayed, and never a secret or the URL's path or query string in a stored error."""

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from forms_builder.models import FormWebhookAttempt
from forms_builder.services import form_settings_save, form_submit
from forms_builder.webhooks import EVENT_HEADER, SIGNATURE_HEADER
from scrm.platform.outbox import kind_of
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.forms_builder.factories import published_form, repair_schema
from tests.forms_builder.fakehook import FakeReceiver
from tests.forms_builder.fakehook import delivery_wait as _wait

SECRET = "s3cret-Of-The-Receiver-42"
GOOD = {"name": "李四", "mobile": "13900001111", "problem": "fault", "fault_code": "E07"}


@pytest.fixture(autouse=True)
def _fake_receivers_allowed(settings):
    """The fake receivers listen on 127.0.0.1, which a webhook may not call in production."""
    settings.OUTBOUND_PRIVATE_HOSTS_ALLOWED = True


def _form(organization, url, secret=SECRET):
    with tenant_scope(organization):
        form = published_form(organization, schema=repair_schema(subject_field="problem"))
        return form_settings_save(form=form, edit_days=0, captcha=False, webhook_url=url, webhook_secret=secret)


def _attempts():
    with platform_scope():
        return list(FormWebhookAttempt.objects.order_by("number").values_list("number", "ok", "response_code",
                                                                               "error"))


def test_a_submission_is_delivered_signed_to_the_forms_webhook(celery_worker, organization):
    with FakeReceiver(200) as receiver:
        form = _form(organization, receiver.url())
        with tenant_scope(organization):
            submission = form_submit(form=form, data=GOOD)

        delivery = _wait({"sent", "dead"})

    assert delivery.status == "sent", delivery.last_error
    assert delivery.response_code == 200 and delivery.attempts == 1
    [(path, headers, body)] = receiver.requests
    assert path == "/hook" and headers[EVENT_HEADER] == "form.submission"
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[SIGNATURE_HEADER], expected)
    payload = json.loads(body)
    assert payload["submission"]["id"] == submission.pk and payload["submission"]["answers"]["fault_code"] == "E07"
    assert payload["form"] == {"slug": "repair", "name": "报修", "version": 1}
    assert payload["submission"]["outcome"]["number"]  # the ticket it opened
    assert _attempts() == [(1, True, 200, "")]
    with tenant_scope(organization):
        stored = type(form).objects.get(pk=form.pk).webhook_secret
    assert stored and SECRET not in stored  # encrypted at rest


def test_a_500_is_retried_with_back_off_until_the_receiver_takes_it(celery_worker, organization, settings, client,
                                                                     ops_admin):
    settings.FORMS_WEBHOOK_RETRY_BASE_SECONDS = 1
    with FakeReceiver(500, 200) as receiver:
        form = _form(organization, receiver.url())
        with tenant_scope(organization):
            form_submit(form=form, data=GOOD)

        delivery = _wait({"sent", "dead"})

    assert delivery.status == "sent", delivery.last_error
    assert delivery.attempts == 2 and len(receiver.requests) == 2
    assert receiver.requests[0][2] == receiver.requests[1][2]  # the same bytes, the same signature
    assert [(n, ok, code) for n, ok, code, _error in _attempts()] == [(1, False, 500), (2, True, 200)]
    client.force_login(ops_admin)
    page = client.get(reverse("forms_builder:form-detail", args=[form.pk])).content.decode()
    assert page.count('data-testid="webhook-attempt"') == 2 and "HTTP 500" in page


def test_no_stored_error_holds_the_secret_or_the_urls_path_and_query(celery_worker, organization, settings, client,
                                                                     ops_admin):
    settings.FORMS_WEBHOOK_RETRY_BASE_SECONDS, settings.FORMS_WEBHOOK_MAX_ATTEMPTS = 0, 2
    with FakeReceiver(503) as receiver:
        url = receiver.url(f"/in/{SECRET}-path?key={SECRET}&sig=abc123")
        form = _form(organization, url)
        with tenant_scope(organization):
            form_submit(form=form, data=GOOD)

        dead = _wait({"dead"})

        assert dead.attempts == 2
        errors = [dead.last_error, *(error for *_rest, error in _attempts())]
        assert all(errors) and all("503" in error for error in errors)
        for error in errors:
            assert SECRET not in error and "key=" not in error and "/in/" not in error and "abc123" not in error

        # Replay: the receiver is fixed, the owner sends the dead delivery again.
        receiver.answer(200)
        client.force_login(ops_admin)
        page = client.get(reverse("forms_builder:form-detail", args=[form.pk])).content.decode()
        # The settings input and the deliveries show only the URL's origin.
        assert SECRET not in page and "/in/" not in page
        deliveries = page[page.index('data-testid="webhook-deliveries"'):]
        assert 'data-testid="webhook-replay"' in deliveries and SECRET not in deliveries
        response = client.post(reverse("forms_builder:webhook-replay", args=[form.pk, dead.pk]))
        assert response.status_code == 302
        sent = _wait({"sent"})
    assert sent.attempts == 1 and len(receiver.requests) == 3
    assert [ok for _n, ok, _code, _error in _attempts()] == [False, False, True]


def test_a_receiver_that_cannot_be_reached_leaves_no_secret_in_the_error(celery_worker, organization, settings):
    settings.FORMS_WEBHOOK_RETRY_BASE_SECONDS, settings.FORMS_WEBHOOK_MAX_ATTEMPTS = 0, 1
    with FakeReceiver() as receiver:
        url = receiver.url(f"/x?token={SECRET}")
    # The receiver is gone: the connection is refused, and requests quotes the URL in its message.
    form = _form(organization, url)
    with tenant_scope(organization):
        form_submit(form=form, data=GOOD)

    dead = _wait({"dead"})

    [(_n, ok, code, error)] = _attempts()
    assert not ok and code is None and "ConnectionError" in error
    for text in (error, dead.last_error):
        assert SECRET not in text and "token=" not in text and "/x" not in text


def test_the_kind_is_declared_with_its_attempts_and_back_off(settings):
    kind = kind_of("form_webhook")
    settings.FORMS_WEBHOOK_RETRY_BASE_SECONDS = 30
    assert kind.attempts_allowed() == settings.FORMS_WEBHOOK_MAX_ATTEMPTS
    assert [kind.backoff(n) for n in (1, 2, 3, 5)] == [30, 120, 480, 3600]
