"""Demo channel data of the demo organization: its WeChat Official Account (星河家电服务号) and a few callbacks
processed the way the workers process real ones (followers, messages that became tickets).

Registered with `scrm.demo` in ChannelsIngestConfig.ready(); idempotent (the account by its slug, events only
once). The demo account's token and key are public test values: it is a demo, not a connected account.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels_ingest import wire
from channels_ingest.models import ChannelAccount, InboundEvent
from channels_ingest.services import channel_account_create, event_process

DEMO_SLUG = "xinghe-demo-oa"
DEMO_APP_ID = "wxd0e1a2b3c4d5e6f7"
DEMO_TOKEN = "xinghedemo2026"  # noqa: S105 - a public demo value
DEMO_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

# (openid suffix, MsgType, fields)
DEMO_CALLBACKS = [
    ("a1", "event", {"Event": "subscribe", "EventKey": "qrscene_store_nanjing"}),
    ("a1", "text", {"Content": "你好，空调不制冷了，开了一个小时还是吹热风"}),
    ("a1", "location", {"Location_X": "32.0603", "Location_Y": "118.7969", "Scale": "15",
                        "Label": "江苏省南京市玄武区"}),
    ("b2", "event", {"Event": "subscribe", "EventKey": ""}),
    ("b2", "voice", {"Format": "amr", "Recognition": "洗衣机漏水，麻烦派师傅上门"}),
    ("c3", "event", {"Event": "CLICK", "EventKey": "MENU_REPAIR"}),
    ("c3", "text", {"Content": "请问以旧换新活动还有吗？"}),
    ("d4", "event", {"Event": "unsubscribe", "EventKey": ""}),
]


def seed_channels(*, organization):
    account = ChannelAccount.objects.filter(slug=DEMO_SLUG).first()
    if account is None:
        try:
            with transaction.atomic():
                account = channel_account_create(
                    organization=organization, kind=ChannelAccount.Kind.WECHAT_OA, slug=DEMO_SLUG,
                    name="星河家电服务号", app_id=DEMO_APP_ID, token=DEMO_TOKEN, aes_key=DEMO_AES_KEY,
                    subscribe_reply="欢迎关注星河家电！报修、安装、咨询请直接留言，客服会尽快回复。")
        except IntegrityError:
            return
    if account.organization_id != organization.pk or InboundEvent.objects.filter(account=account).exists():
        return
    base = int(timezone.now().timestamp()) - 3600
    for n, (suffix, msg_type, extra) in enumerate(DEMO_CALLBACKS):
        fields = {"ToUserName": "gh_xinghe_demo", "FromUserName": f"oDEMO-openid-{suffix}",
                  "CreateTime": str(base + n * 60), "MsgType": msg_type, **extra}
        if msg_type != "event":
            fields["MsgId"] = str(7_000_000_000_000_000_000 + n)
        event = InboundEvent.objects.create(
            organization=organization, account=account, kind=wire.event_kind(fields),
            dedupe_key=wire.dedupe_key(fields), from_user=fields["FromUserName"], raw=_xml(fields), fields=fields)
        event_process(event_id=event.pk)


def _xml(fields):
    from xml.sax.saxutils import escape

    return "<xml>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items()) + "</xml>"
