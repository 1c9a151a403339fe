"""The callback endpoints WeChat, WeCom and the online stores call: verify, store, answer. No business rule here and
no outside call.

`/hooks/wechat/<slug>/` (Official Account) and `/hooks/wecom/<slug>/` (WeCom). Modes, as WeChat names them:
plaintext (the message itself, `signature` in the query), compatible (both the message and `Encrypt`) and safe
(only `Encrypt`; `msg_signature` in the query). Compatible and safe payloads are always read from `Encrypt`; there
the age of `timestamp` is not checked: WeChat's retries and the platforms' samples carry old ones, the signature
covers the body, and the dedupe key makes a replayed callback a no-op. In plaintext mode the signature does not
cover the body, so a stale or replayed signed URL is refused (channels_ingest.plaintext).

Nothing here logs the query string: it holds the signature, and in plaintext mode a signed URL is a credential for
the window (gunicorn.conf.py and the logging filter keep it out of the access logs too).
"""

import hashlib
import logging

from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels_ingest import shops, wire
from channels_ingest.models import ChannelAccount
from channels_ingest.plaintext import PlaintextRefused, plaintext_check, signed_url_record
from channels_ingest.services import account_for_slug, event_receive, event_store
from channels_ingest.services.inbound import OrganizationSuspended

logger = logging.getLogger(__name__)

SUCCESS = "success"


def _text(body, status=200):
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _account(slug, kind):
    account = account_for_slug(slug)
    if account is None or account.kind != kind:
        return None
    return account


# Reached through scrm.platform.middleware.CallbackFastPathMiddleware: no session, CSRF, locale or CSP middleware runs.
# csrf_exempt all the same, should the middleware order change.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def wechat_hook(request, slug):
    return _hook(request, slug, ChannelAccount.Kind.WECHAT_OA)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def wecom_hook(request, slug):
    return _hook(request, slug, ChannelAccount.Kind.WECOM)


def _suspended_check(account):
    """Raise OrganizationSuspended when the account's organization is suspended (nothing is stored while it is).
    Called only once a callback has passed every check an active organization's would: only WeChat, or a shop
    holding the secret, learns that the organization behind a slug is suspended; anyone else is refused as for an
    active one."""
    if account.organization.is_suspended:
        raise OrganizationSuspended(account.organization_id)


def _hook(request, slug, kind):
    account = _account(slug, kind)
    if account is None:
        return _text("unknown account", status=404)
    query = request.GET
    try:
        if request.method == "GET":
            return _verify_url(account, query)
        return _receive(request, account, query)
    except OrganizationSuspended:
        # Suspended since this process cached the account: refused at once all the same, nothing stored.
        return HttpResponseForbidden("organization suspended")
    except PlaintextRefused as exc:
        logger.warning("plaintext callback refused: %s", exc, extra={"account": account.slug})
        return HttpResponseForbidden("stale or replayed callback")
    except wire.SignatureError as exc:
        logger.warning("callback refused: %s", exc, extra={"account": account.slug})
        return HttpResponseForbidden("bad signature")
    except wire.WireError as exc:
        logger.warning("callback refused: %s", exc, extra={"account": account.slug})
        return HttpResponseBadRequest("bad request")


def _verify_url(account, query):
    timestamp, nonce, echostr = query.get("timestamp", ""), query.get("nonce", ""), query.get("echostr", "")
    if account.kind == ChannelAccount.Kind.WECOM:
        # WeCom: the echostr is encrypted; answer its plaintext.
        plain = wire.decrypt(account, echostr, query.get("msg_signature", ""), timestamp, nonce)
        _suspended_check(account)
        return _text(plain)
    if not wire.signature_matches((account.token, timestamp, nonce), query.get("signature", "")):
        raise wire.SignatureError("bad signature")
    _suspended_check(account)
    return _text(echostr)


def _receive(request, account, query):
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > wire.MAX_BODY_BYTES:
        raise wire.WireError("body too large")
    body = request.body
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    outer = wire.xml_parse(body)
    encrypted = outer.get("Encrypt")
    safe = bool(encrypted) and (query.get("encrypt_type") == "aes" or "msg_signature" in query)
    if safe:
        raw = wire.decrypt(account, encrypted, query.get("msg_signature", ""), timestamp, nonce)
        fields = wire.xml_parse(raw)
        signed_url_record(account=account, timestamp=timestamp, nonce=nonce, signature=query.get("signature", ""),
                          body=body)
    elif account.kind == ChannelAccount.Kind.WECOM:
        raise wire.SignatureError("WeCom callbacks are always encrypted")
    else:
        signature = query.get("signature", "")
        if not wire.signature_matches((account.token, timestamp, nonce), signature):
            raise wire.SignatureError("bad signature")
        plaintext_check(account=account, timestamp=timestamp, nonce=nonce, signature=signature, body=body)
        raw, fields = body.decode("utf-8", errors="replace"), outer
    wire.fields_check(fields)
    _suspended_check(account)
    event_receive(account=account, raw=raw, fields=fields)
    return _answer(account, fields, safe=safe, nonce=nonce, timestamp=timestamp)


def _answer(account, fields, *, safe, nonce, timestamp):
    """`success`, or the configured welcome for a new follower as a passive reply (encrypted in safe mode)."""
    is_subscribe = (fields.get("MsgType") == "event" and (fields.get("Event") or "").lower() == "subscribe")
    if not (is_subscribe and account.subscribe_reply):
        return _text(SUCCESS)
    reply = wire.text_reply(to_user=fields.get("FromUserName", ""), from_user=fields.get("ToUserName", ""),
                            content=account.subscribe_reply)
    if safe:
        reply = wire.encrypt_reply(account, reply, nonce or "scrm", timestamp or None)
    return HttpResponse(reply, content_type="application/xml; charset=utf-8")


# --- online stores ---------------------------------------------------------------------------------------------------

@csrf_exempt
@require_http_methods(["POST"])
def shop_hook(request, slug):
    """`/hooks/shop/<slug>/`: the account's kind picks the adapter that checks the signature over the raw body and
    splits it into events. A bad signature stores nothing (403), whether the organization is suspended or not; a
    signed call of a suspended organization is refused (403) and stores nothing. A signed body that is not the
    platform's JSON is kept as one `shop:malformed` event (ops see it, dead, on the account's page) and refused with
    400; the events of a good body are stored together or not at all, then acknowledged the way the platform
    expects."""
    account = account_for_slug(slug)
    if account is None or not account.is_shop:
        return _text("unknown account", status=404)
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > wire.MAX_BODY_BYTES:
        return HttpResponseBadRequest("body too large")
    body = request.body
    adapter = shops.adapter_for(account.kind)
    answer = adapter.handshake(account, request.headers, body)
    if answer is not None:
        return answer
    try:
        adapter.verify(account, request.headers, body)
    except wire.SignatureError as exc:
        logger.warning("shop callback refused: %s", exc, extra={"account": account.slug})
        return adapter.forbid(exc)
    try:
        _suspended_check(account)
        try:
            incoming = adapter.split(account, request.headers, body)
        except wire.WireError as exc:
            logger.warning("shop callback malformed: %s", exc, extra={"account": account.slug})
            event_store(account=account, raw=body.decode("utf-8", errors="replace"),
                        kind=shops.SHOP_EVENT_MALFORMED, dedupe_key=f"sha256:{hashlib.sha256(body).hexdigest()}",
                        fields={"error": str(exc)})
            return adapter.refuse(str(exc))
        with transaction.atomic():
            for item in incoming:
                event_store(account=account, raw=item.raw, fields=item.fields, kind=item.kind,
                            dedupe_key=item.dedupe_key, from_user=item.from_user)
    except OrganizationSuspended:
        # Suspended since this process cached the account: refused all the same, nothing stored.
        return HttpResponseForbidden("organization suspended")
    return adapter.ack(incoming)
