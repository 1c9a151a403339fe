"""Demo channel data of the demo organization: its WeChat Official Account (星河家电服务号) and WeCom application
(星河家电企业微信), and a few callbacks processed the way the workers process real ones (followers, messages that
became tickets).

The accounts exist before the demo's customers and tickets (`demo_accounts`): a demo customer on WeChat is a
follower of the demo account, and a demo ticket on WeChat is a conversation with that follower
(`demo_conversation`), so its public replies go through the outbox as an agent's do; the replies the demo writes
are recorded as delivered when they were written (`demo_replies_delivered`), the demo accounts being connected to
no real WeChat.

Registered with `scrm.demo` in ChannelsIngestConfig.ready(); idempotent (the account by its slug, events only
once). The demo account's token and key are public test values: it is a demo, not a connected account.
"""

from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone

from channels_ingest import wire
from channels_ingest.models import WECHAT_KINDS, ChannelAccount, InboundEvent, OutboundMessage
from channels_ingest.services import channel_account_create, event_process, outbound_create
from channels_ingest.services.processing import conversation_ref
from forms_builder.models import FormSubmission
from scrm.models import ChannelIdentity, Customer
from settlement.models import Order
from tickets.models import Comment, Ticket

DEMO_SLUG = "xinghe-demo-oa"
DEMO_APP_ID = "wxd0e1a2b3c4d5e6f7"
DEMO_TOKEN = "xinghedemo2026"  # noqa: S105 - a public demo value
DEMO_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WECHAT_CHANNELS = [str(kind) for kind in WECHAT_KINDS]  # an account's channel is its kind
DEMO_WECOM_SLUG = "xinghe-demo-wecom"
DEMO_WECOM_CORP_ID = "wwd0e1a2b3c4d5e6f7"
DEMO_WECOM_AGENT_ID = "1000002"

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


def demo_accounts(*, organization):
    """The demo's WeChat accounts of `organization` by channel, created on the first call: {channel: account}. An
    account whose slug another organization holds is left out."""
    wanted = [
        (DEMO_SLUG, ChannelAccount.Kind.WECHAT_OA, {
            "name": "星河家电服务号", "app_id": DEMO_APP_ID,
            "subscribe_reply": "欢迎关注星河家电！报修、安装、咨询请直接留言，客服会尽快回复。"}),
        (DEMO_WECOM_SLUG, ChannelAccount.Kind.WECOM, {
            "name": "星河家电企业微信", "app_id": DEMO_WECOM_CORP_ID, "agent_id": DEMO_WECOM_AGENT_ID}),
    ]
    accounts = {}
    for slug, kind, values in wanted:
        account = ChannelAccount.objects.filter(slug=slug).first()
        if account is None:
            try:
                with transaction.atomic():
                    account = channel_account_create(organization=organization, kind=kind, slug=slug,
                                                     token=DEMO_TOKEN, aes_key=DEMO_AES_KEY, **values)
            except IntegrityError:  # the slug is another organization's
                continue
        if account.organization_id == organization.pk:
            accounts[account.channel] = account
    return accounts


def demo_conversation(account, customer):
    """The ticket's conversation (`source_ref`) with `customer` on the demo `account`, or "" when the customer
    does not follow it."""
    external_id = (ChannelIdentity.objects.filter(customer=customer, channel=account.channel, app_id=account.app_id)
                   .order_by("pk").values_list("external_id", flat=True).first())
    return conversation_ref(account, external_id) if external_id else ""


def demo_replies_delivered(ticket_ids):
    """The public replies the demo wrote on the WeChat conversations of `ticket_ids`, as delivered when they were
    written. The services hand a public reply to the channel's outbox once the seed commits; the demo puts each in
    now (`outbound_create`, which that after-commit call then finds) and records it as sent, the worker's way: the
    demo accounts reach no real WeChat, so a worker would otherwise try and show the demo's replies as failed. Only
    rows still waiting: a reply a visitor wrote since is left to the workers. Run it after the backdating (the
    rows take their comments' times)."""
    comments = list(Comment.objects.filter(
        ticket_id__in=list(ticket_ids), ticket__channel__in=WECHAT_CHANNELS, is_public=True, customer__isnull=True,
    ).exclude(ticket__source_ref="").values_list("pk", "organization_id"))
    for comment_id, organization_id in comments:
        outbound_create(organization_id=organization_id, comment_id=comment_id)
    rows = list(OutboundMessage.objects.filter(comment_id__in=[pk for pk, _org in comments],
                                               status=OutboundMessage.Status.PENDING, attempts=0)
                .select_related("comment").only("pk", "organization_id", "comment__created_at"))
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = OutboundMessage.Status.SENT, 1, None
        row.created_at = row.sent_at = row.comment.created_at
    OutboundMessage.objects.bulk_update(rows, ["status", "attempts", "next_attempt_at", "created_at", "sent_at"],
                                        batch_size=500)
    return len(rows)


def seed_channels(*, organization):
    account = demo_accounts(organization=organization).get(ChannelAccount.Kind.WECHAT_OA)
    if account is not None and not InboundEvent.objects.filter(account=account).exists():
        _seed_callbacks(organization, account)
    # The last seeder: every customer, order, ticket and submission is in and backdated.
    date_first_contacts()


def _earliest(rows, into):
    for key, at in rows:
        if key is not None and at is not None and (into.get(key) is None or at < into[key]):
            into[key] = at


def date_first_contacts():
    """Date each demo customer, and each of their channel identities, at their first contact: the seed made them
    now, but a mall buyer came with an order weeks old, a follower with the messages the demo dates back, a form's
    customer with a submission dated at its ticket's opening (a ticket page's 近期动态 read "通过自有商城联系我们"
    on the seed day, the customers list had them created at the seeding minute). A customer's first contact is the
    earliest of their recorded first contact, their creation, orders, tickets, submissions and WeChat callbacks; an
    identity of another channel than the customer's source is dated at its own first order or ticket there when
    there is one. Times only ever move back, so a second seed changes nothing."""
    first = {}
    _earliest(Customer.objects.values_list("pk", "first_contact_at"), first)
    _earliest(Customer.objects.values_list("pk", "created_at"), first)
    _earliest(Order.objects.values("customer").annotate(at=Min("placed_at")).values_list("customer", "at"), first)
    _earliest(Ticket.objects.values("customer").annotate(at=Min("created_at")).values_list("customer", "at"), first)
    _earliest(FormSubmission.objects.values("customer").annotate(at=Min("created_at"))
              .values_list("customer", "at"), first)
    by_channel = {}  # (customer, channel, app id) -> the first order or ticket there
    orders = (Order.objects.filter(customer__isnull=False).values("customer", "store__channel", "store__ref")
              .annotate(at=Min("placed_at")).values_list("customer", "store__channel", "store__ref", "at"))
    _earliest((((customer, channel, ref), at) for customer, channel, ref, at in orders), by_channel)
    messages = {}  # external id -> the time of its first WeChat callback
    for from_user, sent in InboundEvent.objects.exclude(from_user="").values_list("from_user", "fields__CreateTime"):
        if str(sent or "").isdigit():
            _earliest([(from_user, datetime.fromtimestamp(int(sent), tz=UTC))], messages)
    identities = list(ChannelIdentity.objects.select_related("customer").only(
        "pk", "organization_id", "channel", "app_id", "external_id", "created_at", "customer__source_channel"))
    for identity in identities:
        _earliest([(identity.customer_id, messages.get(identity.external_id))], first)
    customers = list(Customer.objects.filter(pk__in=list(first)).only("pk", "organization_id", "created_at",
                                                                        "first_contact_at"))
    for customer in customers:
        at = first[customer.pk]
        customer.created_at = min(customer.created_at, at)
        customer.first_contact_at = min(customer.first_contact_at or at, at)
    Customer.objects.bulk_update(customers, ["created_at", "first_contact_at"], batch_size=500)
    for identity in identities:
        own = by_channel.get((identity.customer_id, identity.channel, identity.app_id))
        if identity.channel == identity.customer.source_channel or own is None:
            own = min(filter(None, [first.get(identity.customer_id), messages.get(identity.external_id)]),
                      default=None)
        if own is not None:
            identity.created_at = min(identity.created_at, own)
    ChannelIdentity.objects.bulk_update(identities, ["created_at"], batch_size=500)


def _seed_callbacks(organization, account):
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
