"""Attachments of comments: checked before anything is written (count, size, and the type sniffed from the
bytes against the allowed list), then stored through Django's storage API.

A file is written before its row, inside the caller's transaction. If that transaction rolls back later (Django
has no rollback hook), the file stays without a row: `attachment_orphans_delete`, run by beat every hour, deletes
such files once they are an hour old.

`ticket_reply(..., attachments=[...])` attaches an agent's uploads; `comment_attach` attaches a file to an
existing comment (channel ingestion downloads a customer's image or voice message into it).
"""

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from scrm.platform.storage import ORPHAN_GRACE, organization_folders, storage_orphans_delete
from scrm.platform.tenancy import tenant_scope
from tickets.errors import (
    MSG_ATTACHMENT_EMPTY,
    MSG_ATTACHMENT_TOO_BIG,
    MSG_ATTACHMENT_TOO_MANY,
    MSG_ATTACHMENT_TYPE,
    MSG_OTHER_ORGANIZATION,
    TicketError,
)
from tickets.models import Attachment

_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_OLE = {".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint"}
_TEXT = {".txt": "text/plain", ".log": "text/plain", ".csv": "text/csv"}
EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp", "image/bmp": ".bmp",
    "application/pdf": ".pdf", "text/plain": ".txt", "text/csv": ".csv", "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls", "application/vnd.ms-powerpoint": ".ppt",
    _OOXML["word/"]: ".docx", _OOXML["xl/"]: ".xlsx", _OOXML["ppt/"]: ".pptx",
    "audio/mpeg": ".mp3", "audio/wav": ".wav", "audio/amr": ".amr", "audio/silk": ".silk", "audio/ogg": ".ogg",
    "audio/mp4": ".m4a", "video/mp4": ".mp4", "video/quicktime": ".mov",
}


def sniff_content_type(data, name=""):
    """What the bytes are (a MIME type), whatever the name says; None when they are nothing we recognise.

    The name only tells apart formats whose bytes cannot (legacy Office files share one container; text has no
    signature, so only a .txt/.csv/.log name is taken as text, and only if it decodes and holds no NUL byte).
    """
    head = data[:64]
    extension = os.path.splitext(name or "")[1].lower()
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:2] == b"BM" and len(data) > 26 and int.from_bytes(data[2:6], "little") == len(data):
        return "image/bmp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith((b"#!SILK_V3", b"\x02#!SILK_V3")):
        return "audio/silk"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _OLE.get(extension)
    if extension in _TEXT and b"\x00" not in data:
        for encoding in ("utf-8", "gb18030"):
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return _TEXT[extension]
    return None


def _sniff_zip(data):
    """An Office Open XML document is a zip with [Content_Types].xml and its part folder; any other zip is not."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return None
    for folder, content_type in _OOXML.items():
        if any(name.startswith(folder) for name in names):
            return content_type
    return None


@dataclass(frozen=True)
class CheckedFile:
    name: str
    data: bytes
    content_type: str
    sha256: str

    @property
    def size(self):
        return len(self.data)


def _read(content, limit):
    """The bytes of an upload, a file or bytes, reading no more than limit + 1 (an oversized file stops there)."""
    if isinstance(content, bytes | bytearray):
        return bytes(content[: limit + 1])
    if hasattr(content, "seek"):
        content.seek(0)
    if hasattr(content, "chunks"):
        out = bytearray()
        for chunk in content.chunks():
            out += chunk
            if len(out) > limit:
                break
        return bytes(out[: limit + 1])
    return content.read(limit + 1)


def attachment_check(*, name, content):
    """Read and check one file; raises TicketError (too big, empty, a type not allowed) and writes nothing."""
    limit = settings.TICKET_ATTACHMENT_MAX_BYTES
    name = os.path.basename(str(name or "")).strip()[:255] or "attachment"
    data = _read(content, limit)
    if len(data) > limit:
        raise TicketError(MSG_ATTACHMENT_TOO_BIG % {"name": name, "limit": filesizeformat(limit)})
    if not data:
        raise TicketError(MSG_ATTACHMENT_EMPTY % {"name": name})
    content_type = sniff_content_type(data, name)
    if content_type is None or content_type not in settings.TICKET_ATTACHMENT_TYPES:
        raise TicketError(MSG_ATTACHMENT_TYPE % {"name": name})
    return CheckedFile(name=name, data=data, content_type=content_type, sha256=hashlib.sha256(data).hexdigest())


def attachments_check(files):
    """Check every file of one comment before any is stored (all or nothing)."""
    files = list(files or ())
    if len(files) > settings.TICKET_ATTACHMENT_MAX_FILES:
        raise TicketError(MSG_ATTACHMENT_TOO_MANY % {"limit": settings.TICKET_ATTACHMENT_MAX_FILES})
    return [attachment_check(name=getattr(f, "name", ""), content=f) for f in files]


def attachments_store(*, comment, checked, uploaded_by=None):
    """Store checked files on a comment (inside the caller's transaction and scope)."""
    stored = []
    for item in checked:
        attachment = Attachment(
            organization_id=comment.organization_id, comment=comment, original_name=item.name,
            content_type=item.content_type, size=item.size, sha256=item.sha256, uploaded_by=uploaded_by,
        )
        attachment.file.save(f"upload{EXTENSIONS.get(item.content_type, '')}", ContentFile(item.data), save=False)
        try:
            attachment.save(force_insert=True)
        except Exception:
            attachment.file.delete(save=False)  # no row, no file
            raise
        stored.append(attachment)
    return stored


@transaction.atomic
def comment_attach(*, comment, name, content, content_type=""):
    """Attach one file to an existing comment (a customer's image, voice or video message that channel ingestion
    downloaded). `content` is bytes or a file. `content_type` is the sender's claim and only informative: the
    bytes decide the stored type (platforms label voice and video loosely). A file too big or of a type not
    allowed raises TicketError and nothing is stored."""
    checked = attachment_check(name=name, content=content)
    with tenant_scope(comment.organization_id):
        if comment.organization_id != comment.ticket.organization_id:
            raise TicketError(MSG_OTHER_ORGANIZATION)
        return attachments_store(comment=comment, checked=[checked])[0]




def attachment_orphans_delete(*, now=None, days=2, grace=ORPHAN_GRACE):
    """Delete the attachment files that no Attachment row names (their transaction rolled back), once older than
    `grace`, in the day folders of the last `days` days of every organization (each read in its scope). Returns
    how many were deleted. Works through the storage API (a local folder or an object store alike)."""
    storage = Attachment._meta.get_field("file").storage
    now = now or timezone.now()
    today = timezone.localdate(now)
    deleted = 0
    for organization_id, organization_folder in organization_folders(storage, "attachments"):
        for back in range(days):
            folder = f"{organization_folder}/{today - timedelta(days=back):%Y/%m/%d}"
            deleted += storage_orphans_delete(model=Attachment, folder=folder, organization_id=organization_id,
                                              now=now, grace=grace)
    return deleted
