"""A video's download from the URL WeChat's media API answers with: streamed, and given up as soon as it is known
to be over the cap, so a huge file never sits in a worker's memory."""

import pytest

from channels_ingest.models import InboundEvent, InboundMedia
from channels_ingest.services.media import MAX_MEDIA_BYTES, MEDIA_TOO_BIG, media_download
from scrm.platform.tenancy import platform_scope
from tests.channels_ingest.fakeapi import MP4, FakeVideoHost
from tests.channels_ingest.wechat import message
from tickets.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def video_host():
    host = FakeVideoHost(hold=10.0).start()
    yield host
    host.stop()


@pytest.fixture
def video_media(oa, deliver, fake_wechat, video_host):
    """A video of a customer's message whose media/get answers with a download URL on the video host; the test
    says what that URL serves."""
    deliver(oa, message("text", Content="视频发给你们了"))
    with platform_scope():
        comment = Comment.objects.get()
        event = InboundEvent.objects.get()
        media = InboundMedia.objects.create(organization_id=event.organization_id, event=event, comment=comment,
                                            media_id="media-video-big")
    fake_wechat.answer("/cgi-bin/media/get", (200, {"video_url": video_host.url("/v.mp4")}, None))
    return media


def _outcome(media):
    with platform_scope():
        media.refresh_from_db()
        return media.status, media.last_error, media.comment.attachments.count(), media.file.name


def test_a_video_streamed_without_a_length_is_given_up_once_over_the_cap(video_media, video_host):
    # More than the cap arrives, and the body never ends: only a download that stops at the cap can finish.
    video_host.serve("/v.mp4", MP4 + b"\x00" * (MAX_MEDIA_BYTES + 64 * 1024), length=None, finish=False)

    assert media_download(media_id=video_media.pk) == InboundMedia.Status.DEAD
    assert _outcome(video_media) == (InboundMedia.Status.DEAD, MEDIA_TOO_BIG, 0, "")
    assert video_host.requests == ["/v.mp4"]


def test_a_video_whose_length_is_over_the_cap_is_refused_before_its_body(video_media, video_host):
    # The header says one byte over the cap; only a little of the body is ever sent.
    video_host.serve("/v.mp4", MP4 + b"\x00" * 1024, length=MAX_MEDIA_BYTES + 1, finish=False)

    assert media_download(media_id=video_media.pk) == InboundMedia.Status.DEAD
    assert _outcome(video_media) == (InboundMedia.Status.DEAD, MEDIA_TOO_BIG, 0, "")


@pytest.mark.parametrize("chunked", [True, False])
def test_a_video_under_the_cap_is_stored_whole(video_media, video_host, chunked):
    body = MP4 + bytes(range(256)) * 4096  # about 1 MB: many chunks
    video_host.serve("/v.mp4", body, length=None if chunked else len(body))

    assert media_download(media_id=video_media.pk) == InboundMedia.Status.DOWNLOADED
    with platform_scope():
        attachment = video_media.comment.attachments.get()
        assert attachment.content_type == "video/mp4"
        assert attachment.file.read() == body
