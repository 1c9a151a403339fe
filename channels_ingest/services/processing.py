"""The worker side: turn a stored event into customers, ticket messages and timeline entries.

Processing is the outbox kind "inbound_event" (scrm.platform.outbox): a published or swept event is claimed by one
atomic update (status `processing`, under a lease), so a message delivered twice (the sweeper's and the original)
processes it once; its processing and the record of its success share one transaction. A failure is recorded on
the event (attempts, the redacted error) and retried with back-off until MAX_ATTEMPTS, then the event is dead:
visible on the account's page with a Replay button.
"""

import logging
import time
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels_ingest import wire
from channels_ingest.errors import MSG_NO_SENDER, MSG_NOT_REPLAYABLE, ChannelError
from channels_ingest.models import EVENT_STATES, ChannelAccount, InboundEvent, InboundMedia
from channels_ingest.services.media import media_enqueue
from channels_ingest.shops.ledger import shop_event_process, shop_events_process_many
from scrm.customers.services import customer_resolve
from scrm.models import ChannelIdentity
from scrm.platform import outbox
from scrm.platform.coded import coded, coded_messages_register
from scrm.platform.locks import advisory_xact_lock, advisory_xact_locks
from scrm.platform.tenancy import platform_scope
from tickets.services import InboundMessage, ticket_add_message, ticket_add_messages

logger = logging.getLogger(__name__)

KIND = "inbound_event"
Status = InboundEvent.Status
MAX_ATTEMPTS = 5
# How long a stored event may wait for a worker before the sweeper takes it (the account page warns past it).
STALE_AFTER = outbox.PUBLISH_GRACE
# Processing writes our database only; the lease outlasts the task's time limit.
LEASE = timedelta(minutes=6)

_EVENT_PROFILE = {
    "subscribe": {"subscribed": True},
    "unsubscribe": {"subscribed": False},
}
_CONTACT_ACTIVE = {"add_external_contact", "edit_external_contact", "add_half_external_contact"}
_CONTACT_GONE = {"del_external_contact", "del_follow_user"}

MSG_WECHAT_UNHANDLED = gettext_lazy("WeChat's %(type)s is not one the product acts on; stored and acknowledged.")
# Why a WeChat callback was ignored, coded like the shops' notes (shops/base.py): worded on the account's page.
coded_messages_register({"channels_ingest.wechat_unhandled": MSG_WECHAT_UNHANDLED})


def backoff_seconds(attempts):
    """30 s, 2 min, 8 min, 32 min ... capped at an hour."""
    return min(30 * 4 ** max(attempts - 1, 0), 3600)


def event_enqueue(event_id):
    """Hand a stored event to the workers (call it on commit). Never raises for the broker's sake."""
    outbox.publish(KIND, event_id)


def event_process(*, event_id):
    """Process one event now if it is due and nobody else holds it. Returns its status after this attempt, or None
    when there was nothing to do."""
    outcome = outbox.run(KIND, [event_id]).get(event_id)
    return outcome.status if outcome else None


def _process(event):
    """The outbox handler, inside the transaction that records its success."""
    note = ""
    if event.account.is_shop:
        status, note = shop_event_process(event)
    else:
        status = _dispatch(event)
        if status == Status.IGNORED:
            note = coded("channels_ingest.wechat_unhandled", type=event.kind)
    return {"status": status, "processed_at": timezone.now(), "customer": event.customer, "comment": event.comment,
            "last_error": note}


def _process_many(events):
    """The outbox's batch handler, for one organization's events in one transaction: shop events that report
    orders (`shop_events_process_many`) and WeChat's plain messages (`_messages_process_many`). Returns {event id:
    values} of the events it did; the others run one by one after it, in order."""
    shop = [event for event in events if event.account.is_shop]
    done = shop_events_process_many(shop) if shop else {}
    done.update(_messages_process_many([event for event in events if not event.account.is_shop]))
    return done


def _messages_process_many(events):
    """The plain messages (no media to fetch) of senders already known, on their conversations' open tickets
    (`ticket_add_messages`). Returns {event id: values} of the events it did; the others run one by one after it,
    in order: every event of a sender with anything else in the batch (an event, a media message, a first
    message), and every message `ticket_add_messages` leaves."""
    plain, others = {}, set()
    for event in events:
        fields = event.fields
        sender = (event.account_id, fields.get("FromUserName") or "")
        msg_type = (fields.get("MsgType") or "").lower()
        if (sender[1] and msg_type in wire.MESSAGE_TYPES
                and not (msg_type in wire.MEDIA_TYPES and fields.get("MediaId"))):
            plain.setdefault(sender, []).append((event, msg_type))
        else:
            others.add(sender)
    for sender in others:
        plain.pop(sender, None)
    if not plain:
        return {}
    accounts = {event.account_id: event.account for messages in plain.values() for event, _type in messages}
    advisory_xact_locks([("wx", account_id, external_id) for account_id, external_id in plain])
    customers = _known_customers(accounts, plain)
    todo = [(event, msg_type, customers[sender]) for sender, messages in plain.items() if sender in customers
            for event, msg_type in messages]
    if not todo:
        return {}
    organization = next(iter(accounts.values())).organization
    comments = ticket_add_messages(organization=organization, messages=[
        InboundMessage(customer=customer, channel=event.account.channel,
                       source_ref=conversation_ref(event.account, event.fields["FromUserName"]),
                       body=message_body(event.fields, msg_type) or "…", message_id=_message_id(event))
        for event, msg_type, customer in todo])
    now = timezone.now()
    return {event.pk: {"status": Status.PROCESSED, "processed_at": now, "customer": customer, "comment": comment,
                       "last_error": ""}
            for (event, _type, customer), comment in zip(todo, comments, strict=True) if comment is not None}


def _known_customers(accounts, senders):
    """{sender: customer} of the senders whose identity exists and needs nothing `customer_resolve` would write
    (a new union id) or follow (a merged customer): one query per account."""
    found = {}
    for account_id, account in accounts.items():
        external_ids = [external_id for sender_account, external_id in senders if sender_account == account_id]
        identities = ChannelIdentity.objects.select_related("customer").filter(
            channel=account.channel, app_id=account.app_id or "", external_id__in=external_ids)
        for identity in identities:
            found[(account_id, identity.external_id)] = identity
    customers = {}
    for sender, messages in senders.items():
        identity = found.get(sender)
        if identity is None or identity.customer.merged_into_id:
            continue
        union_ids = {event.fields.get("UnionId") or event.fields.get("UnionID") or "" for event, _type in messages}
        if union_ids - {"", identity.union_id}:
            continue
        customers[sender] = identity.customer
    return customers


def _message_id(event):
    fields = event.fields
    msg_id = fields.get("MsgId") or fields.get("MsgID") or event.dedupe_key
    return f"{event.account.slug}:{msg_id}"[:128]


def _resolve(event, external_id, profile=None):
    account = event.account
    return customer_resolve(
        organization=account.organization, channel=account.channel, app_id=account.app_id,
        external_id=external_id, union_id=event.fields.get("UnionId") or event.fields.get("UnionID"),
        profile=profile,
    )


def _dispatch(event):
    fields = event.fields
    msg_type = (fields.get("MsgType") or "").lower()
    if msg_type in wire.MESSAGE_TYPES:
        return _message(event, msg_type)
    if msg_type == "event":
        return _event(event, (fields.get("Event") or "").lower())
    return Status.IGNORED


def message_body(fields, msg_type):
    """What an agent reads for a message of each type (media follow as attachments)."""
    if msg_type == "text":
        return fields.get("Content") or ""
    if msg_type == "image":
        return _("[Image]")
    if msg_type == "voice":
        recognition = (fields.get("Recognition") or "").strip()
        return _("[Voice] %(text)s") % {"text": recognition} if recognition else _("[Voice]")
    if msg_type in ("video", "shortvideo"):
        return _("[Video]")
    if msg_type == "file":
        return _("[File] %(title)s") % {"title": fields.get("Title") or ""}
    if msg_type == "location":
        return _("[Location] %(label)s (%(x)s, %(y)s)") % {
            "label": fields.get("Label") or "", "x": fields.get("Location_X") or "",
            "y": fields.get("Location_Y") or ""}
    if msg_type == "link":
        return "\n".join(filter(None, [_("[Link] %(title)s") % {"title": fields.get("Title") or ""},
                                       fields.get("Description") or "", fields.get("Url") or ""]))
    return ""


def conversation_ref(account, external_id):
    """The ticket's source_ref: which account and which WeChat user the conversation is with (replies go back
    there). `slug:openid`."""
    return f"{account.slug}:{external_id}"[:128]


def _conversation_lock(account, external_id):
    """Serialise the messages of one conversation across workers until this transaction ends: two first messages
    of a customer processed at once would otherwise each open a ticket."""
    advisory_xact_lock("wx", account.pk, external_id)


def _message(event, msg_type):
    account, fields = event.account, event.fields
    external_id = fields.get("FromUserName") or ""
    if not external_id:
        raise ChannelError(MSG_NO_SENDER)
    _conversation_lock(account, external_id)
    customer = _resolve(event, external_id)
    comment = ticket_add_message(
        organization=account.organization, customer=customer, channel=account.channel,
        source_ref=conversation_ref(account, external_id), body=message_body(fields, msg_type) or "…",
        message_id=_message_id(event),
    )
    event.customer, event.comment = customer, comment
    media_id = fields.get("MediaId")
    if msg_type in wire.MEDIA_TYPES and media_id:
        media, created = InboundMedia.objects.get_or_create(
            organization_id=event.organization_id, event=event, media_id=media_id[:200],
            defaults={"comment": comment})
        if created:
            media_enqueue(media.pk)
    return Status.PROCESSED


def _event(event, name):
    fields = event.fields
    if name == "change_external_contact":
        return _external_contact(event)
    if name not in {"subscribe", "unsubscribe", "scan", "click", "view", "location"}:
        return Status.IGNORED
    profile = dict(_EVENT_PROFILE.get(name, {}))
    key = fields.get("EventKey") or ""
    if name == "subscribe" and key.startswith("qrscene_"):
        profile["subscribe_scene"] = key.removeprefix("qrscene_")
    if name == "scan":
        profile["last_scan_scene"] = key
    if name == "location":
        profile["location"] = {"latitude": fields.get("Latitude"), "longitude": fields.get("Longitude")}
    if not fields.get("FromUserName"):
        raise ChannelError(MSG_NO_SENDER)
    event.customer = _resolve(event, fields["FromUserName"], profile=profile)
    return Status.PROCESSED


def _external_contact(event):
    fields = event.fields
    change = (fields.get("ChangeType") or "").lower()
    external_id = fields.get("ExternalUserID") or ""
    if not external_id or change not in _CONTACT_ACTIVE | _CONTACT_GONE:
        return Status.IGNORED
    profile = {"follow_user": fields.get("UserID") or "", "contact_state": fields.get("State") or "",
               "contact_status": "deleted" if change in _CONTACT_GONE else "active"}
    if change == "add_half_external_contact":
        profile["contact_status"] = "half"
    event.customer = _resolve(event, external_id, profile=profile)
    return Status.PROCESSED


# --- replays -------------------------------------------------------------------------------------------------------

def event_replay(*, event):
    """Ops send a failed or dead event through again: it starts over with a fresh attempt budget."""
    replayed = outbox.outbox_replay(KIND, event)
    if replayed is None:
        raise ChannelError(MSG_NOT_REPLAYABLE)
    return replayed


outbox.register(
    KIND, model=InboundEvent, handler=_process, max_attempts=MAX_ATTEMPTS, backoff=backoff_seconds, lease=LEASE,
    states=EVENT_STATES, atomic=True, select_related=("account", "account__organization"), batch_handler=_process_many,
    # Processing only writes rows it can write again from the stored event (which the callback stored durably).
    commit_wait=False,
)


_ACCOUNT_TTL = 10.0  # seconds a web process trusts its copy of an account (token, key, active)
_accounts = {}


def account_for_slug(slug):
    """The active account a callback URL names (slugs are global), or None. The only cross-tenant lookup of a
    request: it decides which organization's scope the callback runs in.

    Each web process keeps the accounts it served for _ACCOUNT_TTL seconds (callbacks are the hottest path and an
    account changes rarely): a changed token or a deactivation reaches every process within that time; the process
    that made the change forgets its copy at once (`account_forget`).
    """
    now = time.monotonic()
    cached = _accounts.get(slug)
    if cached is not None and cached[0] > now:
        return cached[1]
    # Lift: a callback names only its account's global slug; this lookup decides the organization it runs for.
    with platform_scope():
        # With its organization: a callback of a suspended organization is refused without another query.
        account = ChannelAccount.objects.filter(slug=slug, is_active=True).select_related("organization").first()
    if len(_accounts) > 1000:
        _accounts.clear()
    _accounts[slug] = (now + _ACCOUNT_TTL, account)
    return account


def account_forget(*slugs):
    for slug in slugs:
        _accounts.pop(slug, None)


def accounts_forget_organization(*, organization):
    """The platform suspended or resumed the organization: this process forgets its cached accounts at once (the
    others within _ACCOUNT_TTL)."""
    for slug, (_expires, account) in list(_accounts.items()):
        if account is not None and account.organization_id == organization.pk:
            _accounts.pop(slug, None)
