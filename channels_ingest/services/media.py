"""Pictures, voice and video a customer sent: fetched from the media API after the message is on the ticket.

The file becomes an attachment of the ticket message (`tickets.services.comment_attach`, which checks its size
and type by its bytes), so agents open it from the conversation. The InboundMedia row is the download's record:
status, attempts, the last error. Media of an event that made no ticket message is kept on the row itself.
"""

import mimetypes

import requests
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from wechatpy.exceptions import WeChatClientException

from channels_ingest.errors import ChannelError
from channels_ingest.models import InboundMedia
from channels_ingest.services.wechat_api import client_for
from scrm.tenancy import platform_scope, tenant_scope
from tickets.errors import TicketError
from tickets.services import comment_attach

MAX_ATTEMPTS = 5
MAX_MEDIA_BYTES = 20 * 1024 * 1024


class MediaRetry(Exception):
    """A download that may succeed later (network, 5xx, token); the task retries it."""


def media_download(*, media_id):
    """Download one media file; returns its status. A WeChat error that will not change (expired media) marks it
    failed for good; a network error raises MediaRetry while attempts remain."""
    with platform_scope():
        organization_id = InboundMedia.objects.filter(pk=media_id).values_list("organization_id", flat=True).first()
    if organization_id is None:
        return None
    with tenant_scope(organization_id):
        media = InboundMedia.objects.select_related("event__account", "comment__ticket").get(pk=media_id)
        if media.status == InboundMedia.Status.DOWNLOADED:
            return media.status
        InboundMedia.objects.filter(pk=media.pk).update(attempts=F("attempts") + 1)
        attempts = media.attempts + 1
        try:
            response = client_for(media.event.account).get("media/get", params={"media_id": media.media_id})
        except ChannelError as exc:
            return _record_error(media, str(exc), final=True)
        except WeChatClientException as exc:
            if exc.errcode is None and attempts < MAX_ATTEMPTS:  # HTTP failure, not a WeChat answer
                _record_error(media, str(exc), final=False)
                raise MediaRetry(str(exc)) from exc
            return _record_error(media, f"{exc.errcode}: {exc.errmsg}", final=True)
        except requests.RequestException as exc:
            return _network_failure(media, exc, attempts)
        if isinstance(response, dict):
            # An Official Account video answers with a download URL rather than the bytes.
            url = response.get("video_url") or response.get("down_url") or ""
            if not url.startswith(("https://", "http://")):
                return _record_error(media, f"unexpected JSON answer: {sorted(response)}", final=True)
            try:
                response = requests.get(url, timeout=30)
                response.raise_for_status()
            except requests.RequestException as exc:
                return _network_failure(media, exc, attempts)
        content = response.content[:MAX_MEDIA_BYTES + 1]
        if len(content) > MAX_MEDIA_BYTES:
            return _record_error(media, "media over 20 MB", final=True)
        return _store(media, content, response.headers.get("Content-Type", "application/octet-stream"))


@transaction.atomic
def _store(media, content, content_type):
    content_type = content_type.split(";")[0].strip()
    extension = mimetypes.guess_extension(content_type) or ".bin"
    name = f"{media.event.account.slug}-{media.pk}{extension}"
    if media.comment_id is not None:
        try:
            comment_attach(comment=media.comment, name=name, content=content, content_type=content_type)
        except TicketError as exc:  # too big or a type we do not keep: it will not change on a retry
            return _record_error(media, str(exc), final=True)
    else:
        media.file.save(name, ContentFile(content), save=False)
    media.content_type, media.size, media.status = content_type[:100], len(content), InboundMedia.Status.DOWNLOADED
    media.last_error = ""
    media.save(update_fields=["file", "content_type", "size", "status", "last_error"])
    return media.status


def _network_failure(media, exc, attempts):
    """A download that failed on the way (network, 5xx): retried while attempts remain, then failed for good."""
    final = attempts >= MAX_ATTEMPTS
    _record_error(media, f"{type(exc).__name__}: {exc}", final=final)
    if final:
        return InboundMedia.Status.FAILED
    raise MediaRetry(str(exc)) from exc


def _record_error(media, error, *, final):
    status = InboundMedia.Status.FAILED if final else InboundMedia.Status.PENDING
    InboundMedia.objects.filter(pk=media.pk).update(last_error=error[:2000], status=status)
    return status
