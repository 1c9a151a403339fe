"""The worker side: turn a stored event into customers, ticket messages and timeline entries.

Each event is locked (`SELECT ... FOR UPDATE SKIP LOCKED`) for its processing transaction, so a task delivered
twice (the beat's re-enqueue and the original) processes it once. A failure is recorded on the event in a
transaction of its own (attempts, error), and the task retries with back-off until MAX_ATTEMPTS, then the event is
dead: visible on the account's page with a Replay button.
"""

import hashlib
import logging
import time
from datetime import timedelta
from functools import partial

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_ingest import wire
from channels_ingest.errors import MSG_NO_SENDER, MSG_NOT_REPLAYABLE, ChannelError
from channels_ingest.models import ChannelAccount, InboundEvent, InboundMedia
from channels_ingest.services.enqueue import event_enqueue
from scrm.services import customer_resolve
from scrm.tenancy import platform_scope, tenant_scope
from tickets.services import ticket_add_message

logger = logging.getLogger(__name__)

Status = InboundEvent.Status
MAX_ATTEMPTS = 5
STALE_AFTER = timedelta(minutes=1)
FAILED_STALE_AFTER = timedelta(minutes=30)
REQUEUE_BATCH = 1000

_EVENT_PROFILE = {
    "subscribe": {"subscribed": True},
    "unsubscribe": {"subscribed": False},
}
_CONTACT_ACTIVE = {"add_external_contact", "edit_external_contact", "add_half_external_contact"}
_CONTACT_GONE = {"del_external_contact", "del_follow_user"}


def backoff_seconds(attempts):
    """30 s, 2 min, 8 min, 32 min ... capped at an hour."""
    return min(30 * 4 ** max(attempts - 1, 0), 3600)


def event_qs_select_for_update():
    return InboundEvent.objects.select_for_update(skip_locked=True, of=("self",))


def event_process(*, event_id):
    """Process one event if it is waiting (received or failed) and nobody else holds it. Returns its status after
    this attempt, or None when there was nothing to do."""
    with platform_scope():
        organization_id = InboundEvent.objects.filter(pk=event_id).values_list("organization_id", flat=True).first()
    if organization_id is None:
        return None
    with tenant_scope(organization_id):
        try:
            with transaction.atomic():
                event = (event_qs_select_for_update().select_related("account", "account__organization")
                         .filter(pk=event_id, status__in=[Status.RECEIVED, Status.FAILED]).first())
                if event is None:
                    return None
                status = _dispatch(event)
                InboundEvent.objects.filter(pk=event.pk).update(
                    status=status, attempts=F("attempts") + 1, last_error="", processed_at=timezone.now(),
                    customer=event.customer, comment=event.comment, updated_at=timezone.now())
                return status
        except Exception as exc:
            # Recorded, not swallowed: the error is on the event for ops, and the task retries or it is dead.
            logger.exception("inbound event failed", extra={"event_id": event_id})
            return _event_fail(event_id, f"{type(exc).__name__}: {exc}")


@transaction.atomic
def _event_fail(event_id, error):
    event = InboundEvent.objects.select_for_update().get(pk=event_id)
    event.attempts += 1
    event.status = Status.DEAD if event.attempts >= MAX_ATTEMPTS else Status.FAILED
    event.last_error = error[:2000]
    event.save(update_fields=["attempts", "status", "last_error", "updated_at"])
    return event.status


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
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"wx:{account.pk}:{external_id}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def _message(event, msg_type):
    account, fields = event.account, event.fields
    external_id = fields.get("FromUserName") or ""
    if not external_id:
        raise ChannelError(MSG_NO_SENDER)
    _conversation_lock(account, external_id)
    customer = _resolve(event, external_id)
    msg_id = fields.get("MsgId") or fields.get("MsgID") or event.dedupe_key
    comment = ticket_add_message(
        organization=account.organization, customer=customer, channel=account.channel,
        source_ref=conversation_ref(account, external_id), body=message_body(fields, msg_type) or "…",
        message_id=f"{account.slug}:{msg_id}"[:128],
    )
    event.customer, event.comment = customer, comment
    media_id = fields.get("MediaId")
    if msg_type in wire.MEDIA_TYPES and media_id:
        media, created = InboundMedia.objects.get_or_create(
            organization_id=event.organization_id, event=event, media_id=media_id[:200],
            defaults={"comment": comment})
        if created:
            transaction.on_commit(partial(_enqueue_media, media.pk))
    return Status.PROCESSED


def _enqueue_media(media_id):
    from channels_ingest.tasks import media_download

    try:
        media_download.apply_async((media_id,), retry=False)
    except Exception:  # noqa: BLE001 - broker down: logged; ops re-run it from the event page (replay)
        logger.warning("media download not enqueued", extra={"media_id": media_id}, exc_info=True)


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


# --- sweeps and replays -------------------------------------------------------------------------------------------

def events_stale(*, now=None):
    """Ids of events waiting longer than they should: received over a minute ago (the broker was down when they
    arrived) or failed and not retried for half an hour (a retry message was lost). Cross-tenant maintenance."""
    now = now or timezone.now()
    with platform_scope():
        return list(
            InboundEvent.objects.filter(
                Q(status=Status.RECEIVED, received_at__lt=now - STALE_AFTER)
                | Q(status=Status.FAILED, updated_at__lt=now - FAILED_STALE_AFTER)
            ).order_by("received_at").values_list("pk", flat=True)[:REQUEUE_BATCH]
        )


@transaction.atomic
def event_replay(*, event):
    """Ops send a failed or dead event through again: it starts over with a fresh attempt budget."""
    with tenant_scope(event.organization_id):
        event = InboundEvent.objects.select_for_update().get(pk=event.pk)
        if event.status not in (Status.FAILED, Status.DEAD):
            raise ChannelError(MSG_NOT_REPLAYABLE)
        event.status, event.attempts = Status.RECEIVED, 0
        event.save(update_fields=["status", "attempts", "updated_at"])
        transaction.on_commit(partial(event_enqueue, event.pk))
        return event


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
