"""Pictures, voice and video a customer sent: fetched from the media API after the message is on the ticket, through
the outbox (kind "wechat_media", scrm.platform.outbox): claimed under a lease, downloaded with no lock held, retried
with back-off while WeChat or the network fail, dead when WeChat says the media is gone.

The file becomes an attachment of the ticket message (`tickets.services.comment_attach`, which checks its size
and type by its bytes), so agents open it from the conversation. The InboundMedia row is the download's record:
status, attempts, the last error (redacted). Media of an event that made no ticket message is kept on the row.
"""

import mimetypes
from datetime import timedelta

import requests
from django.core.files.base import ContentFile
from django.db import transaction
from wechatpy.exceptions import WeChatClientException

from channels_ingest.errors import ChannelError
from channels_ingest.models import MEDIA_STATES, InboundMedia
from channels_ingest.services.wechat_api import client_for
from scrm.platform import outbox
from scrm.platform.http import client_error_detail
from tickets.errors import TicketError
from tickets.services import comment_attach

KIND = "wechat_media"
MAX_ATTEMPTS = 5
MAX_MEDIA_BYTES = 20 * 1024 * 1024
MEDIA_TOO_BIG = "media over 20 MB"
DOWNLOAD_TIMEOUT = 30  # seconds, for a video's download URL (each connect and each read)
DOWNLOAD_CHUNK_BYTES = 64 * 1024
# The media API (token and media, 10 s each) and a video's download: well within three minutes.
LEASE = timedelta(minutes=3)


def media_download(*, media_id):
    """Download one media file now if it is due; returns its status after this attempt, or None when it was not
    ours to download (done already, in flight elsewhere, or its retry is not due)."""
    outcome = outbox.run(KIND, [media_id]).get(media_id)
    return outcome.status if outcome else None


def media_enqueue(media_id):
    """Hand a stored media row to the workers after commit."""
    outbox.publish_on_commit(KIND, media_id)


def _download(media):
    """The outbox handler: a WeChat error that will not change (expired media) is permanent; a network error or
    an HTTP failure is retried."""
    try:
        response = client_for(media.event.account).get("media/get", params={"media_id": media.media_id})
    except ChannelError as exc:
        raise outbox.Failure(str(exc), permanent=True) from exc
    except WeChatClientException as exc:
        # No errcode: WeChat was not reached, or answered an HTTP error; retried.
        raise outbox.Failure(client_error_detail(exc), permanent=exc.errcode is not None) from exc
    if isinstance(response, dict):
        # An Official Account video answers with a download URL rather than the bytes.
        url = response.get("video_url") or response.get("down_url") or ""
        if not url.startswith(("https://", "http://")):
            raise outbox.Failure(f"unexpected JSON answer: {sorted(response)}", permanent=True)
        content, content_type = _video_download(url)
    else:
        content, content_type = response.content, response.headers.get("Content-Type", "")
        if len(content) > MAX_MEDIA_BYTES:
            raise outbox.Failure(MEDIA_TOO_BIG, permanent=True)
    return _store(media, content, content_type or "application/octet-stream")


def _video_download(url):
    """A video's bytes and content type from its download URL, never holding more than the cap in memory: refused
    at once when its Content-Length is over the cap, else read in chunks and given up as soon as more than the cap
    has arrived (a chunked body says no length). Either refusal is permanent: the same file will be as big later."""
    with requests.get(url, timeout=DOWNLOAD_TIMEOUT, stream=True) as response:
        response.raise_for_status()
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_MEDIA_BYTES:
            raise outbox.Failure(MEDIA_TOO_BIG, permanent=True)
        chunks, size = [], 0
        for chunk in response.iter_content(chunk_size=DOWNLOAD_CHUNK_BYTES):
            size += len(chunk)
            if size > MAX_MEDIA_BYTES:
                raise outbox.Failure(MEDIA_TOO_BIG, permanent=True)
            chunks.append(chunk)
        return b"".join(chunks), response.headers.get("Content-Type", "")


@transaction.atomic
def _store(media, content, content_type):
    content_type = content_type.split(";")[0].strip()
    extension = mimetypes.guess_extension(content_type) or ".bin"
    name = f"{media.event.account.slug}-{media.pk}{extension}"
    fields = {"content_type": content_type[:100], "size": len(content)}
    if media.comment_id is not None:
        try:
            comment_attach(comment=media.comment, name=name, content=content, content_type=content_type)
        except TicketError as exc:  # too big or a type we do not keep: it will not change on a retry
            raise outbox.Failure(str(exc), permanent=True) from exc
    else:
        media.file.save(name, ContentFile(content), save=False)
        fields["file"] = media.file.name
    return fields


outbox.register(
    KIND, model=InboundMedia, handler=_download, max_attempts=MAX_ATTEMPTS, backoff=outbox.exponential(30, factor=4),
    lease=LEASE, states=MEDIA_STATES, select_related=("event__account", "comment__ticket"),
)
