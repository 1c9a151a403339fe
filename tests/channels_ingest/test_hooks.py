"""The callback endpoints, driven by wechatpy as WeChat: verification, the three modes, every message and event
type, retries, and everything that must be refused without storing anything."""

import time

import pytest
from django.utils import timezone

from channels_ingest.models import InboundEvent, InboundMedia
from channels_ingest.wire import MAX_BODY_BYTES
from scrm.models import ChannelIdentity
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.channels_ingest.conftest import make_account
from tests.channels_ingest.fakeapi import MP4
from tests.channels_ingest.wechat import AES_KEY, CORP_ID, TOKEN, WeChatSender, message, sign, to_xml
from tests.scrm.factories import OrganizationFactory
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db


def _events():
    with platform_scope():
        return list(InboundEvent.objects.order_by("pk"))


def _comments():
    with platform_scope():
        return list(Comment.objects.select_related("ticket").order_by("pk"))


# --- URL verification -------------------------------------------------------------------------------------------

def test_official_account_url_verification_answers_the_echostr(client, oa_account):
    ts, nonce = "1700000000", "abc"
    response = client.get("/hooks/wechat/acme-oa/", {"signature": sign(TOKEN, ts, nonce), "timestamp": ts,
                                                      "nonce": nonce, "echostr": "5837397749042"})
    assert response.status_code == 200
    assert response.content == b"5837397749042"


def test_official_account_url_verification_with_a_bad_signature_is_refused(client, oa_account):
    response = client.get("/hooks/wechat/acme-oa/", {"signature": "0" * 40, "timestamp": "1", "nonce": "n",
                                                      "echostr": "x"})
    assert response.status_code == 403
    assert b"x" not in response.content


def test_wecom_url_verification_decrypts_the_echostr(client, wecom_account):
    sender = WeChatSender(client, "/hooks/wecom/acme-wecom/", app_id=CORP_ID)
    echostr = sender.encrypt("8193640281736")
    ts, nonce = "1700000000", "xyz"
    response = client.get("/hooks/wecom/acme-wecom/", {"msg_signature": sign(TOKEN, ts, nonce, echostr),
                                                        "timestamp": ts, "nonce": nonce, "echostr": echostr})
    assert response.status_code == 200
    assert response.content == b"8193640281736"


def test_wecom_url_verification_with_a_bad_signature_is_refused(client, wecom_account):
    sender = WeChatSender(client, "/hooks/wecom/acme-wecom/", app_id=CORP_ID)
    echostr = sender.encrypt("8193640281736")
    response = client.get("/hooks/wecom/acme-wecom/", {"msg_signature": sign("othertoken", "1", "n", echostr),
                                                        "timestamp": "1", "nonce": "n", "echostr": echostr})
    assert response.status_code == 403


def test_an_unknown_slug_or_the_wrong_platform_is_not_found(client, oa_account):
    assert client.get("/hooks/wechat/nobody/").status_code == 404
    assert client.get("/hooks/wecom/acme-oa/").status_code == 404


# --- modes and types --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["plaintext", "compatible", "safe"])
def test_a_text_message_in_every_mode_becomes_a_ticket_message(oa, deliver, mode):
    fields = message("text", Content="空调不制冷了")
    started = time.monotonic()
    response = deliver(oa, fields, mode=mode)
    assert response.status_code == 200
    assert response.content == b"success"
    [comment] = _comments()
    assert comment.body == "空调不制冷了"
    assert comment.ticket.channel == "wechat_oa"
    assert comment.ticket.source_ref == "acme-oa:oOpenid-customer-0001"
    assert comment.message_id == f"acme-oa:{fields['MsgId']}"
    with platform_scope():
        assert comment.customer.identities.get().external_id == "oOpenid-customer-0001"
    [event] = _events()
    assert event.status == InboundEvent.Status.PROCESSED
    assert event.comment_id == comment.pk
    assert "空调不制冷了" in event.raw
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(("msg_type", "extra", "body"), [
    ("image", {"PicUrl": "http://mmbiz.example/p.jpg", "MediaId": "media-image-1"}, "[Image]"),
    ("voice", {"MediaId": "media-voice-1", "Format": "amr", "Recognition": "洗衣机漏水"}, "[Voice] 洗衣机漏水"),
    ("voice", {"MediaId": "media-voice-2", "Format": "amr"}, "[Voice]"),
    ("video", {"MediaId": "media-video-1", "ThumbMediaId": "thumb-1"}, "[Video]"),
    ("shortvideo", {"MediaId": "media-video-2", "ThumbMediaId": "thumb-2"}, "[Video]"),
    ("location", {"Location_X": "32.06", "Location_Y": "118.79", "Scale": "15", "Label": "南京市玄武区"},
     "[Location] 南京市玄武区 (32.06, 118.79)"),
    ("link", {"Title": "订单截图", "Description": "请看", "Url": "https://example.com/o/1"},
     "[Link] 订单截图\n请看\nhttps://example.com/o/1"),
])
def test_every_message_type_becomes_a_ticket_message(oa, deliver, fake_wechat, settings, msg_type, extra, body):
    settings.LANGUAGE_CODE = "en"
    response = deliver(oa, message(msg_type, **extra))
    assert response.status_code == 200
    [comment] = _comments()
    assert comment.body == body
    with platform_scope():
        media = list(InboundMedia.objects.all())
    if "MediaId" in extra:
        [item] = media
        assert item.comment_id == comment.pk
        assert item.status == InboundMedia.Status.DOWNLOADED
        with platform_scope():
            attachment = comment.attachments.get()  # the agent opens it from the conversation
            assert attachment.file.read().startswith(b"\xff\xd8")
        assert fake_wechat.calls_to("/cgi-bin/media/get")[0][1]["media_id"] == extra["MediaId"]
    else:
        assert media == []


def test_a_video_is_fetched_from_the_download_url_wechat_answers_with(oa, deliver, fake_wechat):
    # An Official Account video: media/get answers JSON with a URL, not the bytes.
    fake_wechat.answer("/cgi-bin/media/get", (200, {"video_url": fake_wechat.base.replace("/cgi-bin/", "/video/1.mp4")},
                                              None))
    deliver(oa, message("video", MediaId="media-video-9", ThumbMediaId="thumb-9"))
    [comment] = _comments()
    with platform_scope():
        [media] = InboundMedia.objects.all()
        assert media.status == InboundMedia.Status.DOWNLOADED
        attachment = comment.attachments.get()
        assert attachment.content_type == "video/mp4"
        assert attachment.file.read() == MP4
    assert fake_wechat.calls_to("/video/1.mp4")


def test_messages_of_one_customer_land_on_the_same_open_ticket(oa, deliver):
    deliver(oa, message("text", Content="你好"))
    deliver(oa, message("text", Content="在吗"))
    deliver(oa, message("text", Content="别人", openid="oOpenid-customer-0002"))
    comments = _comments()
    assert len(comments) == 3
    assert comments[0].ticket_id == comments[1].ticket_id != comments[2].ticket_id


def test_an_old_timestamp_is_not_refused(oa, deliver):
    response = deliver(oa, message("text", Content="重试"), timestamp=1400000000)
    assert response.status_code == 200
    assert len(_comments()) == 1


def test_wecom_messages_are_always_encrypted(wecom, deliver):
    response = deliver(wecom, message("text", Content="企业微信消息", to=CORP_ID), mode="plaintext")
    assert response.status_code == 403
    assert _events() == []
    response = deliver(wecom, message("text", Content="企业微信消息", to=CORP_ID))
    assert response.status_code == 200
    [comment] = _comments()
    assert comment.ticket.channel == "wecom"


# --- events -----------------------------------------------------------------------------------------------------

def _identity(external_id="oOpenid-customer-0001"):
    with platform_scope():
        return ChannelIdentity.objects.select_related("customer").get(external_id=external_id)


def test_subscribe_from_a_qr_code_creates_the_customer_and_answers_the_welcome_encrypted(
        oa, deliver, oa_account, organization):
    from channels_ingest.services import channel_account_update

    with tenant_scope(organization):
        channel_account_update(account=oa_account, name=oa_account.name, slug=oa_account.slug,
                               app_id=oa_account.app_id, subscribe_reply="欢迎关注！")
    response = deliver(oa, message("event", Event="subscribe", EventKey="qrscene_store_nj", Ticket="TICKET"))
    assert response.status_code == 200
    plain = oa.decrypt_reply(response.content.decode())
    assert "欢迎关注！" in plain
    assert "<ToUserName><![CDATA[oOpenid-customer-0001]]></ToUserName>" in plain
    identity = _identity()
    assert identity.profile["subscribed"] is True
    assert identity.profile["subscribe_scene"] == "store_nj"
    assert _comments() == []  # events are not ticket messages


def test_subscribe_in_plaintext_mode_answers_the_welcome_in_plaintext(oa, deliver, oa_account, organization):
    from channels_ingest.services import channel_account_update

    with tenant_scope(organization):
        channel_account_update(account=oa_account, name=oa_account.name, slug=oa_account.slug,
                               app_id=oa_account.app_id, subscribe_reply="欢迎！")
    response = deliver(oa, message("event", Event="subscribe", EventKey=""), mode="plaintext")
    assert "<Content><![CDATA[欢迎！]]></Content>" in response.content.decode()


def test_without_a_welcome_subscribe_answers_success(oa, deliver):
    response = deliver(oa, message("event", Event="subscribe", EventKey=""))
    assert response.content == b"success"


@pytest.mark.parametrize(("event", "extra", "profile"), [
    ("unsubscribe", {"EventKey": ""}, {"subscribed": False}),
    ("SCAN", {"EventKey": "store_sh", "Ticket": "T"}, {"last_scan_scene": "store_sh"}),
    ("CLICK", {"EventKey": "MENU_REPAIR"}, {}),
    ("VIEW", {"EventKey": "https://example.com/menu"}, {}),
    ("LOCATION", {"Latitude": "23.1", "Longitude": "113.3", "Precision": "119"},
     {"location": {"latitude": "23.1", "longitude": "113.3"}}),
])
def test_events_update_the_customer_and_its_timeline(oa, deliver, organization, ops_admin, client, event, extra,
                                                      profile):
    deliver(oa, message("event", Event=event, **extra))
    [stored] = _events()
    assert stored.status == InboundEvent.Status.PROCESSED
    identity = _identity()
    for key, value in profile.items():
        assert identity.profile[key] == value
    client.force_login(ops_admin)
    page = client.get(f"/customers/{identity.customer_id}/")
    assert page.status_code == 200
    assert "acme-oa 服务号" in page.content.decode()


def test_unsubscribe_after_subscribe_marks_the_customer_unsubscribed(oa, deliver):
    deliver(oa, message("event", Event="subscribe", EventKey=""))
    fields = message("event", Event="unsubscribe", EventKey="")
    fields["CreateTime"] += 5
    deliver(oa, fields)
    assert _identity().profile["subscribed"] is False
    assert len(_events()) == 2


@pytest.mark.parametrize(("change", "status"), [
    ("add_external_contact", "active"), ("edit_external_contact", "active"),
    ("add_half_external_contact", "half"), ("del_external_contact", "deleted"), ("del_follow_user", "deleted"),
])
def test_wecom_external_contact_changes_create_and_update_the_customer(wecom, deliver, change, status):
    fields = message("event", openid="sys", to=CORP_ID, Event="change_external_contact", ChangeType=change,
                     UserID="zhangsan", ExternalUserID="wmEXTERNAL001", State="store_nj", WelcomeCode="WC")
    response = deliver(wecom, fields)
    assert response.status_code == 200
    identity = _identity("wmEXTERNAL001")
    assert identity.channel == "wecom"
    assert identity.app_id == CORP_ID
    assert identity.profile["contact_status"] == status
    assert identity.profile["follow_user"] == "zhangsan"


def test_an_unknown_event_is_stored_and_ignored(oa, deliver):
    deliver(oa, message("event", Event="TEMPLATESENDJOBFINISH", Status="success"))
    [event] = _events()
    assert event.status == InboundEvent.Status.IGNORED
    assert _comments() == []


# --- retries and dedupe -----------------------------------------------------------------------------------------

def test_three_deliveries_of_one_message_make_one_ticket_message(oa, deliver):
    fields = message("text", Content="重复投递")
    for mode in ("safe", "safe", "safe"):
        assert deliver(oa, fields, mode=mode, nonce=f"n{time.monotonic_ns()}").content == b"success"
    assert len(_events()) == 1
    assert len(_comments()) == 1
    with platform_scope():
        assert Ticket.objects.count() == 1


def test_three_deliveries_of_one_event_make_one_event(oa, deliver):
    fields = message("event", Event="CLICK", EventKey="MENU")
    for _ in range(3):
        deliver(oa, fields)
    assert len(_events()) == 1


# --- refusals: nothing stored -----------------------------------------------------------------------------------

def _nothing_stored():
    assert _events() == []
    assert _comments() == []


@pytest.mark.parametrize("mode", ["plaintext", "compatible", "safe"])
def test_a_bad_signature_is_refused_and_nothing_stored(oa, deliver, mode):
    response = deliver(oa, message("text", Content="伪造"), mode=mode, token="notthetoken")
    assert response.status_code == 403
    _nothing_stored()


def test_a_tampered_encrypted_payload_is_refused(oa, deliver):
    query, body = oa.request(message("text", Content="x"))
    query["msg_signature"] = "f" * 40
    assert oa.post_raw(body, query).status_code == 403
    _nothing_stored()


def test_a_correctly_signed_payload_for_another_app_id_is_refused(oa, deliver):
    response = deliver(oa, message("text", Content="别的公众号"), app_id="wxOTHERAPPID000000")
    assert response.status_code == 403
    _nothing_stored()


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY])
@pytest.mark.parametrize("mode", ["plaintext", "safe"])
def test_xml_attacks_are_refused_and_nothing_stored(oa, deliver, payload, mode):
    response = deliver(oa, payload, mode=mode)
    assert response.status_code == 400
    assert b"root:" not in response.content
    _nothing_stored()


def test_malformed_xml_is_refused(oa, deliver):
    ts, nonce = "1700000000", "n"
    response = oa.post_raw("<xml><MsgType>text</MsgType>", {"timestamp": ts, "nonce": nonce,
                                                             "signature": sign(TOKEN, ts, nonce)})
    assert response.status_code == 400
    _nothing_stored()


def test_an_oversized_body_is_refused(oa, deliver):
    response = deliver(oa, message("text", Content="长" * (MAX_BODY_BYTES // 3 + 10)), mode="plaintext")
    assert response.status_code == 400
    _nothing_stored()


# --- the fast path past the browser's middleware ------------------------------------------------------------------

def test_a_callback_answer_carries_no_browser_state(oa, deliver, client, ops_admin):
    """No session cookie, no CSRF check, no CSP header, whatever the caller sends: a callback skips that middleware
    (a signed-in browser posting to a hook gets no further than WeChat would)."""
    client.force_login(ops_admin)
    response = deliver(oa, message("text", Content="你好"))
    assert response.content == b"success"
    assert "Content-Security-Policy" not in response
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert len(_comments()) == 1
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware, above the fast path, still applies


def test_a_callback_for_a_host_we_do_not_serve_is_refused_and_nothing_stored(oa, deliver):
    from urllib.parse import urlencode

    query, body = oa.request(message("text", Content="你好"))
    response = oa.client.post(f"{oa.path}?{urlencode(query)}", data=body, content_type="text/xml",
                              HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    _nothing_stored()


def test_an_unknown_hook_path_is_not_found_and_a_failing_view_is_a_500(client, oa_account, monkeypatch):
    assert client.post("/hooks/nothing-here/", data="<xml/>", content_type="text/xml").status_code == 404
    client.raise_request_exception = False

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("channels_ingest.hooks.account_for_slug", broken)
    assert client.get("/hooks/wechat/acme-oa/").status_code == 500


# --- tenants ----------------------------------------------------------------------------------------------------

def test_a_callback_lands_in_the_organization_of_its_account(client, deliver, oa, organization):
    with platform_scope():
        other = OrganizationFactory(slug="other", name="别家")
    make_account(other, slug="other-oa")
    other_sender = WeChatSender(client, "/hooks/wechat/other-oa/")
    deliver(other_sender, message("text", Content="别家的消息", openid="oOpenid-same"))
    deliver(oa, message("text", Content="我们的消息", openid="oOpenid-same"))
    with tenant_scope(organization):
        assert [c.body for c in Comment.objects.all()] == ["我们的消息"]
    with tenant_scope(other):
        assert [c.body for c in Comment.objects.all()] == ["别家的消息"]
        assert InboundEvent.objects.get().account.slug == "other-oa"


def test_aes_key_fixture_is_wechat_shaped():
    assert len(AES_KEY) == 43
    assert to_xml({"A": 1}) == "<xml><A>1</A></xml>"


def test_a_video_download_failing_on_the_way_is_retried_then_marked_failed(oa, deliver, fake_wechat):
    from channels_ingest.services.media import MAX_ATTEMPTS, media_download

    deliver(oa, message("text", Content="视频发不过去"))
    [comment] = _comments()
    with platform_scope():
        event = InboundEvent.objects.get()
        media = InboundMedia.objects.create(organization_id=event.organization_id, event=event, comment=comment,
                                            media_id="media-video-broken")
    fake_wechat.answer("/cgi-bin/media/get", (200, {"video_url": fake_wechat.base.replace("/cgi-bin/", "/video/2.mp4")},
                                              None))
    fake_wechat.answer("/video/2.mp4", (502, b"bad gateway", "text/plain"))

    assert media_download(media_id=media.pk) == InboundMedia.Status.FAILED  # will be retried
    with platform_scope():
        media.refresh_from_db()
        assert (media.status, media.attempts) == (InboundMedia.Status.FAILED, 1)
        assert "HTTPError" in media.last_error
        assert media.next_attempt_at > timezone.now()
        assert media_download(media_id=media.pk) is None  # not before its back-off is over
        InboundMedia.objects.filter(pk=media.pk).update(attempts=MAX_ATTEMPTS - 1, next_attempt_at=timezone.now())

    assert media_download(media_id=media.pk) == InboundMedia.Status.DEAD
    with platform_scope():
        assert not comment.attachments.exists()
