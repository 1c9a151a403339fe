"""A form's outbound webhook: each submission is POSTed, signed, to the URL its owner set, through the one outbox
(kind `form_webhook`), and every attempt is recorded for the form's page. The wire format is in docs/forms.md.

The body is frozen when the submission is stored, so every retry sends (and signs) the same bytes. The secret is kept
encrypted (scrm.platform.crypto) and read only to sign; an error stored or logged never holds it, nor the URL's path
or query string (the URL is shown as its origin).

The URL is checked (scrm.platform.http.outbound_url_check: http/https to public internet addresses only) when it is
saved, again right before each request, and on the address each connection reached (PublicOnlySession): an address
that became private is a permanent failure (dead, no retries), a name that cannot be found is retried like any
network error.

Errors are stored coded (scrm.platform.coded, codes in forms_builder.errors) and worded on the form's page in the
reader's language; the receiver's status and the network error's text are parameters.
"""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from forms_builder.errors import WEBHOOK_ERRORS  # noqa: F401 - registers the coded messages stored below
from forms_builder.models import Form, FormWebhookAttempt, FormWebhookDelivery
from scrm.platform import outbox
from scrm.platform.coded import coded
from scrm.platform.crypto import secret_decrypt
from scrm.platform.http import PublicOnlySession, UnsafeURL, outbound_url_check, refused_connection
from scrm.platform.redaction import redact
from scrm.platform.tenancy import tenant_scope

KIND = "form_webhook"
SIGNATURE_HEADER = "X-SCRM-Signature"  # "sha256=" + hex HMAC-SHA256(secret, raw body)
EVENT_HEADER = "X-SCRM-Event"
DELIVERY_HEADER = "X-SCRM-Delivery"
EVENT = "form.submission"
TIMEOUT = 10  # seconds for the whole request; the lease below outlasts it
LEASE = timedelta(minutes=2)
# Answers that mean "this will never work" (a wrong URL, a refusal): dead at once. Anything else that is not 2xx
# (5xx, 408, 429) and every network error is retried with back-off.
PERMANENT_CODES = {400, 401, 403, 404, 405, 410, 413, 422}
USER_AGENT = "SCRM-Forms-Webhook/1"


def max_attempts():
    return settings.FORMS_WEBHOOK_MAX_ATTEMPTS


def backoff(attempt):
    """FORMS_WEBHOOK_RETRY_BASE_SECONDS (30 s) × 4ⁿ, at most an hour."""
    base = settings.FORMS_WEBHOOK_RETRY_BASE_SECONDS
    return min(base * 4 ** max(attempt - 1, 0), 3600)


def signature(secret, body):
    """The value of SIGNATURE_HEADER for `body` (bytes)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def url_origin(url):
    """What a page or an error may show of a webhook URL: scheme and host, never its path or query string."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}" if parts.scheme else ""


def submission_body(submission, *, delivery_id):
    """The JSON body of a submission's delivery (docs/forms.md), as text."""
    form = submission.form
    payload = {
        "event": EVENT,
        "delivery": delivery_id,
        "organization": form.organization.slug,
        "form": {"slug": form.slug, "name": form.name, "version": submission.version.number},
        "submission": {
            "id": submission.pk,
            "created_at": submission.created_at,
            "source": submission.source,
            "customer_id": submission.customer_id,
            "answers": submission.data,
            "outcome": submission.outcome,
        },
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)


def webhook_enqueue(submission):
    """Queue the submission's delivery when its form has a webhook (in the caller's transaction; sent on commit)."""
    form = submission.form
    if not form.webhook_url:
        return None
    delivery = FormWebhookDelivery.objects.create(organization_id=submission.organization_id, form=form,
                                                  submission=submission, body="{}")
    delivery.body = submission_body(submission, delivery_id=delivery.pk)
    delivery.save(update_fields=["body"])
    outbox.publish_on_commit(KIND, delivery.pk)
    return delivery


def webhook_replay(delivery):
    """The form's owner sends a failed or dead delivery again (fresh attempts). None when it was neither."""
    return outbox.outbox_replay(KIND, delivery)


def _url_pieces(url):
    """What of `url` an error may quote, longest first: the URL itself, its path with the query, the query, the
    path, each as written and as requests quotes it (requote_uri: a non-ASCII or "|" path is percent-encoded in
    "with url: /path?query")."""
    pieces = set()
    for form in {url, requests.utils.requote_uri(url)}:
        parts = urlsplit(form)
        pieces.update((f"{parts.path}?{parts.query}" if parts.query else "", parts.query,
                       parts.path if len(parts.path) > 1 else ""))
    pieces.discard("")
    return sorted(pieces, key=len, reverse=True)


def _error(text, *, url, secret, organization_id):
    # The URL as a whole (as its origin), then what of its path and query requests may quote: a path may hold a
    # token too. Then the platform's redaction (query strings, secret-named values, secrets).
    text = str(text)
    if url:
        for whole in {url, requests.utils.requote_uri(url)}:
            text = text.replace(whole, url_origin(url))
        for piece in _url_pieces(url):
            text = text.replace(piece, "/…")
    return redact(text, secrets=[secret] if secret else (), organization_id=organization_id)


def _record(delivery, *, ok, code=None, error="", started):
    # Numbered across replays (a replay starts the outbox's count again; the owner reads one history). Only the
    # worker holding the row's lease records, so counting cannot race.
    with tenant_scope(delivery.organization_id):
        number = FormWebhookAttempt.objects.filter(delivery=delivery).count() + 1
        FormWebhookAttempt.objects.create(
            organization_id=delivery.organization_id, delivery=delivery, number=number, ok=ok,
            response_code=code, error=error, duration_ms=int((time.monotonic() - started) * 1000))


def _deliver(delivery):
    """The outbox handler: one POST with no lock held; every attempt is recorded, whatever its outcome."""
    form = delivery.form
    url = form.webhook_url
    secret = secret_decrypt(form.webhook_secret) if form.webhook_secret else ""
    started = time.monotonic()
    if not url:
        error = coded("forms_builder.webhook_no_url")
        _record(delivery, ok=False, error=error, started=started)
        raise outbox.Failure(error, permanent=True)
    try:
        outbound_url_check(url)  # again, right before connecting: the name may point elsewhere since it was saved
    except UnsafeURL as exc:
        error = _error(exc.coded, url=url, secret=secret, organization_id=delivery.organization_id)
        _record(delivery, ok=False, error=error, started=started)
        raise outbox.Failure(error, permanent=exc.permanent) from exc
    body = delivery.body.encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               EVENT_HEADER: EVENT, DELIVERY_HEADER: str(delivery.pk), SIGNATURE_HEADER: signature(secret, body)}
    try:
        with PublicOnlySession(TIMEOUT) as session:  # and the address connected to is checked again
            response = session.post(url, data=body, headers=headers, allow_redirects=False)
    except requests.RequestException as exc:
        refused = refused_connection(exc)
        code = "forms_builder.webhook_connection_refused" if refused else "forms_builder.webhook_unreachable"
        error = _error(coded(code, error=f"{type(exc).__name__}: {exc}"), url=url, secret=secret,
                       organization_id=delivery.organization_id)
        _record(delivery, ok=False, error=error, started=started)
        raise outbox.Failure(error, permanent=refused) from exc
    code = response.status_code
    if 200 <= code < 300:
        _record(delivery, ok=True, code=code, started=started)
        return {"response_code": code, "sent_at": timezone.now()}
    error = _error(coded("forms_builder.webhook_http", origin=url_origin(url), status=code), url=url, secret=secret,
                   organization_id=delivery.organization_id)
    _record(delivery, ok=False, code=code, error=error, started=started)
    raise outbox.Failure(error, permanent=code in PERMANENT_CODES, fields={"response_code": code})


outbox.register(KIND, model=FormWebhookDelivery, handler=_deliver, max_attempts=max_attempts, backoff=backoff,
                lease=LEASE, select_related=("form",))


def webhook_secrets(organization_id):
    """The organization's webhook secrets, masked in every error the platform records (a secret source)."""
    if organization_id is None:
        return []
    with tenant_scope(organization_id):
        tokens = Form.objects.exclude(webhook_secret="").values_list("webhook_secret", flat=True)
        return [secret_decrypt(token) for token in tokens]
