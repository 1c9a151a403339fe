"""Attachments: checked on their bytes (size, count, type) before anything is written, stored through the storage
API under the organization and the day, and downloadable only by those who may see the ticket."""

import hashlib
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from scrm.models import Role
from tests.scrm.factories import RegionFactory
from tests.tenancy import tenant_pair
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.errors import (
    MSG_ATTACHMENT_TOO_BIG,
    MSG_ATTACHMENT_TOO_MANY,
    MSG_ATTACHMENT_TYPE,
    MSG_EMPTY_BODY,
    TicketError,
)
from tickets.models import Attachment, Comment, TicketEvent
from tickets.services import ticket_add_message, ticket_reply
from tickets.services.attachments import comment_attach, sniff_content_type

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
AMR = b"#!AMR\n" + b"\x3c" * 100
EXE = b"MZ\x90\x00" + b"\x00" * 100


def _docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", EXE)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_reply_carries_its_files_stored_under_the_organization_and_day(scoped, make_user, _media):
    agent = make_user(scoped, Role.AGENT)
    ticket = TicketFactory(organization=scoped)
    files = [SimpleUploadedFile("故障照片.png", PNG, content_type="image/png"),
             SimpleUploadedFile("发票.pdf", PDF, content_type="application/octet-stream")]

    comment = ticket_reply(ticket=ticket, author=agent, body="请查收", attachments=files)

    png, pdf = comment.attachments.order_by("pk")
    assert (png.original_name, png.content_type, png.size) == ("故障照片.png", "image/png", len(PNG))
    assert png.sha256 == hashlib.sha256(PNG).hexdigest()
    assert (pdf.original_name, pdf.content_type) == ("发票.pdf", "application/pdf")
    assert png.file.name.startswith(f"attachments/{scoped.pk}/") and png.file.name.endswith(".png")
    assert png.file.read() == PNG
    assert png.uploaded_by == agent
    event = TicketEvent.objects.get(comment=comment)
    assert [a["name"] for a in event.after["attachments"]] == ["故障照片.png", "发票.pdf"]
    assert len(_stored_files(_media)) == 2


def test_a_file_alone_is_a_reply_but_nothing_at_all_is_not(scoped, make_user):
    agent = make_user(scoped, Role.AGENT)
    ticket = TicketFactory(organization=scoped)
    assert ticket_reply(ticket=ticket, author=agent, body="", attachments=[SimpleUploadedFile("a.pdf", PDF)])
    with pytest.raises(TicketError, match=str(MSG_EMPTY_BODY)):
        ticket_reply(ticket=ticket, author=agent, body="  ", attachments=[])


@pytest.mark.parametrize(("name", "data", "message"), [
    ("setup.jpg", EXE, MSG_ATTACHMENT_TYPE),  # a program named like a picture
    ("资料.docx", _zip(), MSG_ATTACHMENT_TYPE),  # a zip that is no Office document
    ("page.html", b"<script>alert(1)</script>", MSG_ATTACHMENT_TYPE),
    ("big.pdf", PDF + b"0" * 2048, MSG_ATTACHMENT_TOO_BIG),
])
def test_a_bad_file_refuses_the_whole_reply_and_writes_nothing(scoped, make_user, settings, _media, name, data,
                                                               message):
    settings.TICKET_ATTACHMENT_MAX_BYTES = 1024
    agent = make_user(scoped, Role.AGENT)
    ticket = TicketFactory(organization=scoped)
    files = [SimpleUploadedFile("ok.png", PNG), SimpleUploadedFile(name, data)]

    with pytest.raises(TicketError) as error:
        ticket_reply(ticket=ticket, author=agent, body="附件", attachments=files)

    assert name in str(error.value)
    assert str(error.value).startswith(str(message).split("“")[0])
    assert not Comment.objects.exists()
    assert not Attachment.objects.exists()
    assert not TicketEvent.objects.exists()
    assert _stored_files(_media) == []


def test_too_many_files_are_refused(scoped, make_user, settings):
    settings.TICKET_ATTACHMENT_MAX_FILES = 2
    agent = make_user(scoped, Role.AGENT)
    ticket = TicketFactory(organization=scoped)
    with pytest.raises(TicketError) as error:
        ticket_reply(ticket=ticket, author=agent, body="x",
                     attachments=[SimpleUploadedFile(f"{n}.png", PNG) for n in range(3)])
    assert str(error.value) == str(MSG_ATTACHMENT_TOO_MANY % {"limit": 2})
    assert not Comment.objects.exists()


def test_office_documents_and_text_are_recognised_by_their_bytes():
    assert sniff_content_type(_docx(), "合同.docx").endswith("wordprocessingml.document")
    assert sniff_content_type(_docx(), "合同.bin").endswith("wordprocessingml.document")
    assert sniff_content_type("退款明细，共三笔".encode("gb18030"), "明细.txt") == "text/plain"
    assert sniff_content_type(b"\x00\x01binary", "x.txt") is None
    assert sniff_content_type(AMR, "voice") == "audio/amr"
    assert sniff_content_type(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 20, "v") == "video/mp4"


def test_a_customers_voice_message_is_attached_to_the_inbound_comment(scoped, customer):
    comment = ticket_add_message(organization=scoped, customer=customer, channel="wechat_oa", source_ref="conv-1",
                                 body="[语音]", message_id="m-1")

    attachment = comment_attach(comment=comment, name="voice-m-1.amr", content=AMR, content_type="audio/amr")

    assert attachment.content_type == "audio/amr"
    assert attachment.uploaded_by is None
    assert list(comment.attachments.all()) == [attachment]
    with pytest.raises(TicketError):
        comment_attach(comment=comment, name="x.amr", content=EXE, content_type="audio/amr")
    assert comment.attachments.count() == 1


def _attachment(organization, *, region=None, name="发票.pdf", queue=None):
    ticket = TicketFactory(organization=organization, region=region, queue=queue)
    author = make_agent(organization)
    comment = ticket_reply(ticket=ticket, author=author, body="附件", public=False,
                           attachments=[SimpleUploadedFile(name, PDF)])
    return comment.attachments.get()


def test_someone_who_may_see_the_ticket_downloads_the_file_as_an_attachment(client, scoped):
    queue = QueueFactory(organization=scoped)
    attachment = _attachment(scoped, queue=queue)
    client.force_login(make_agent(scoped, queues=[queue]))

    response = client.get(f"/files/attachments/{attachment.pk}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%8F%91%E7%A5%A8.pdf" in response["Content-Disposition"]


def test_a_ticket_outside_the_agents_regions_keeps_its_files(client, scoped):
    east, west = RegionFactory(organization=scoped, code="EAST"), RegionFactory(organization=scoped, code="WEST")
    queue = QueueFactory(organization=scoped)
    attachment = _attachment(scoped, region=west, queue=queue)
    client.force_login(make_agent(scoped, regions=[east], queues=[queue]))
    assert client.get(f"/files/attachments/{attachment.pk}/").status_code == 404


def test_roles_without_tickets_and_visitors_are_refused(client, scoped, make_user):
    attachment = _attachment(scoped)
    assert client.get(f"/files/attachments/{attachment.pk}/").status_code == 302  # to sign in
    client.force_login(make_user(scoped, Role.FINANCE))
    assert client.get(f"/files/attachments/{attachment.pk}/").status_code == 403


def test_another_organizations_file_is_not_found(client):
    def seed(tenant):
        customer = CustomerFactory(organization=tenant.organization, display_name=f"{tenant.marker} 客户")
        ticket = TicketFactory(organization=tenant.organization, customer=customer)
        comment = ticket_reply(ticket=ticket, author=tenant.users[Role.AGENT], body=tenant.marker,
                               attachments=[SimpleUploadedFile("a.pdf", PDF)])
        tenant.objects["attachment"] = comment.attachments.get()

    a, b = tenant_pair(seed)
    client.force_login(a.users[Role.OPS_ADMIN])
    assert client.get(f"/files/attachments/{a.objects['attachment'].pk}/").status_code == 200
    assert client.get(f"/files/attachments/{b.objects['attachment'].pk}/").status_code == 404


def test_the_files_of_a_rolled_back_reply_are_deleted_by_the_hourly_sweep(scoped, make_user, _media):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from tickets.services.attachments import attachment_orphans_delete

    agent = make_user(scoped, Role.AGENT)
    ticket = TicketFactory(organization=scoped)
    kept = ticket_reply(ticket=ticket, author=agent, body="保留", attachments=[SimpleUploadedFile("照片.png", PNG)])
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_reply(ticket=ticket, author=agent, body="回滚", attachments=[SimpleUploadedFile("发票.pdf", PDF)])
        raise RuntimeError("the caller fails after the reply: its transaction rolls back")
    assert len(_stored_files(_media)) == 2  # the rolled-back reply's file stayed behind, with no row
    assert attachment_orphans_delete() == 0  # under an hour old: its transaction might still be open
    assert attachment_orphans_delete(now=timezone.now() + timedelta(hours=2)) == 1
    assert _stored_files(_media) == [_media / kept.attachments.get().file.name]
    assert kept.attachments.get().file.read() == PNG
