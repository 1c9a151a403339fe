"""Notifications: `notify` (and `notify_many`, for many at once) writes the in-app notification and, for every
registered channel the recipient can be reached on and wants this kind on, a row (`NotificationDelivery`) of the
outbox kind "notification" (scrm.platform.outbox), published after commit. Whether a channel wants a kind is the
channel's default (`kinds`) unless the recipient chose otherwise on their settings page (`NotificationPreference`,
`notification_preferences_set`); a channel a notice names (an SLA ladder step's WeCom or SMS) is the organization's
rule and gets its delivery whatever the recipient chose.

Channels plug in with `register_notification_channel(name, sender, ...)`; notifications.senders registers email,
WeCom and SMS. A sender sends
one delivery or raises: `NotificationPermanentError` gives up at once (a bad address), anything else is retried
with back-off until `NOTIFY_MAX_ATTEMPTS`. The outbox claims a delivery with a lease and calls the sender with no
row lock and no transaction held (a stalled SMTP server holds nothing of ours); a delivery marked sent is never
claimed again. A worker killed in the middle of a send leaves the delivery in flight: it is sent again once its
lease expires (at-least-once).
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from notifications.errors import (
    MSG_NOTIFICATION_NOT_YOURS,
    MSG_NOTIFY_OTHER_ORG,
    MSG_PREFERENCE_KIND_NOT_OFFERED,
    MSG_PREFERENCES_NO_ORGANIZATION,
    MSG_TEST_NO_ADDRESS,
    MSG_TEST_UNKNOWN_CHANNEL,
    NotificationError,
)
from notifications.models import (
    Notification,
    NotificationChannelConfig,
    NotificationDelivery,
    NotificationPreference,
)
from notifications.selectors import email_kinds_offered
from scrm.models import SettingsChange
from scrm.platform import outbox
from scrm.platform.audit import settings_change_record
from scrm.platform.coded import coded, coded_messages_register, coded_render, is_coded
from scrm.platform.tenancy import tenant_scope, tenant_sql

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Channel = NotificationDelivery.Channel
Status = NotificationDelivery.Status

# A notification's default title, when its maker gives none: per kind, with the ticket's number; else the kind.
TITLES = {
    Kind.ASSIGNED: _("Ticket %(number)s was assigned to you"),
    Kind.TRANSFERRED: _("Ticket %(number)s was transferred to your queue"),
    Kind.MENTIONED: _("You were mentioned on ticket %(number)s"),
    Kind.ESCALATED: _("Ticket %(number)s was escalated to you"),
    Kind.SLA_WARNING: _("Ticket %(number)s is close to its SLA target"),
    Kind.SLA_BREACH: _("Ticket %(number)s missed its SLA target"),
    Kind.RATING_LOW: _("Ticket %(number)s got a low satisfaction rating"),
}
TEST_TITLE = _("Test message from SCRM: this channel works")
TEST_BODY = _("Sent by %(user)s from the notification channel settings.")

# Stored as codes (scrm.platform.coded), worded in the reader's language on the pages and in the recipient's in
# what is sent. Other apps register the titles and bodies they word themselves (tickets, sla, settlement).
coded_messages_register({
    **{f"notifications.title_{kind}": title for kind, title in TITLES.items()},
    **{f"notifications.kind_{kind.value}": kind.label for kind in Kind},
    "notifications.test_title": TEST_TITLE,
    "notifications.test_body": TEST_BODY,
})

# A title as stored: a coded one whole, in a column with room for it; a sentence (someone's words, or a title
# made before) cut at SENTENCE_LENGTH characters, as titles always were.
TITLE_LENGTH = Notification._meta.get_field("title").max_length
SENTENCE_LENGTH = 200


class NotificationPermanentError(Exception):
    """A channel cannot deliver this one and never will (no such address): the delivery goes dead at once."""


@dataclass(frozen=True)
class NotificationChannel:
    name: str
    sender: object  # callable(delivery) -> None; raises to fail
    address: object  # callable(user) -> str: where the user is reached on the channel, "" when not
    kinds: frozenset = field(default_factory=frozenset)


_CHANNELS = {}


def register_notification_channel(name, sender, *, address, kinds):
    """Add (or replace) an outside channel: `sender(delivery)` sends one `NotificationDelivery` (its
    `notification`, `address` are loaded) or raises; `address(user)` says where the user is reached ("" = not on
    this channel); `kinds` are the notification kinds sent on it. `name` is a `NotificationDelivery.Channel`."""
    if name not in Channel.values:
        raise ValueError(f"unknown notification channel {name!r}: add it to NotificationDelivery.Channel")
    _CHANNELS[name] = NotificationChannel(name=name, sender=sender, address=address, kinds=frozenset(kinds))


def notification_channels():
    return dict(_CHANNELS)


def ticket_url(ticket):
    """The ticket's page in the workspace, or the workspace itself while it has no page per ticket."""
    for name in ("tickets:ticket-detail", "tickets:detail"):
        try:
            return reverse(name, kwargs={"pk": ticket.pk})
        except NoReverseMatch:
            continue
    return reverse("tickets:index")


def absolute_url(path):
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}" if path.startswith("/") else path


KIND = "notification"
# SMTP (EMAIL_TIMEOUT), WeCom and SMS calls time out within seconds; the lease outlasts them by far.
LEASE = timedelta(minutes=2)


def _publish(delivery_ids):
    for delivery_id in delivery_ids:
        outbox.publish(KIND, delivery_id)


def notification_deliveries_publish(delivery_ids):
    """Hand deliveries written by another app's service to the workers (call it on commit)."""
    _publish(delivery_ids)


@dataclass(frozen=True)
class Notice:
    """One thing to tell one user (see `notify`). `channels`: channels that get a delivery even when they do not
    want this kind by default (what an SLA ladder step asks for)."""

    recipient: object
    kind: str
    ticket: object = None
    actor: object = None
    title: str = ""
    body: str = ""
    url: str = ""
    channels: tuple = ()


@transaction.atomic
def notify(*, recipient, kind, ticket=None, actor=None, title="", body="", url="", channels=()):
    """Tell `recipient` about something: an in-app notification, plus an outbox delivery on every channel that
    wants `kind` (or is named in `channels`) and can reach them, sent after commit. Returns the notification, or
    None when nobody is told (the recipient did it themselves, or is inactive). A recipient of another
    organization is refused."""
    notice = Notice(recipient=recipient, kind=kind, ticket=ticket, actor=actor, title=title, body=body, url=url,
                    channels=tuple(channels))
    [row] = _notify_rows([notice])
    if row is None:
        return None
    values = dict(zip(_COLUMNS, row, strict=True))
    for name in ("recipient_id", "ticket_id", "actor_id"):
        del values[name]
    return Notification(**values, recipient=recipient, ticket=ticket, actor=actor)


@transaction.atomic
def notify_many(notices):
    """`notify` for many notices in a few statements (the SLA sweep tells thousands at once): per organization one
    INSERT of notifications and one of their deliveries. Returns the notifications' ids in the order of `notices`,
    None where nobody is told."""
    return [row[0] if row is not None else None for row in _notify_rows(notices)]


# The columns of a notification as its INSERT writes them, its id first (returned by the INSERT).
_COLUMNS = ("id", "organization_id", "recipient_id", "kind", "ticket_id", "actor_id", "title", "body", "url",
            "read_at", "created_at")


# Kinds grouped per ticket: a recipient has at most one unread notification of these per ticket, updated in place
# (new title and body, moved to the top) by each new step of the SLA ladder, instead of one per step.
GROUPED_KINDS = frozenset({Kind.SLA_WARNING, Kind.SLA_BREACH})


def _notify_rows(notices):
    """Insert the notifications of `notices` (plain rows: a model object per notification and bulk_create's
    compiler cost more than the rest of an SLA escalation) and their deliveries; returns the rows as in _COLUMNS,
    None where nobody is told. A notice of a grouped kind updates the recipient's unread one of that ticket."""
    results = [None] * len(notices)
    by_organization = {}
    urls = _TicketUrls()
    now = timezone.now()
    # Titles and bodies are coded messages, in no language; a lazy sentence (someone's own words never are) is
    # stored in the product's.
    with translation.override(settings.LANGUAGE_CODE):
        for index, notice in enumerate(notices):
            organization_id = _audience(notice)
            if organization_id is None:
                continue
            row = (notice.recipient.pk, str(notice.kind), notice.ticket.pk if notice.ticket is not None else None,
                   notice.actor.pk if notice.actor is not None else None, _title(notice), str(notice.body),
                   notice.url or (urls(notice.ticket) if notice.ticket is not None else ""), now)
            by_organization.setdefault(organization_id, []).append((index, notice, row))
    table = connection.ops.quote_name(Notification._meta.db_table)
    for organization_id, items in by_organization.items():
        with tenant_scope(organization_id):
            items, updates, superseded = _grouped_updates(organization_id, items)
            ids = []
            if items:
                ids = tenant_sql(
                    f"INSERT INTO {table} (organization_id, recipient_id, kind, ticket_id, actor_id, title, body, url, "  # noqa: S608 - ours
                    "read_at, created_at) SELECT %(organization)s, v.recipient, v.kind, v.ticket, v.actor, v.title, "
                    "v.body, v.url, NULL, v.at FROM (VALUES %(values)s) AS v (n, recipient, kind, ticket, actor, "
                    "title, body, url, at) ORDER BY v.n RETURNING id",
                    organization=organization_id, values=[(n, *row) for n, (_i, _notice, row) in enumerate(items)],
                    template="(%s, %s::bigint, %s, %s::bigint, %s::bigint, %s, %s, %s, %s::timestamptz)")
            # Ids come from one sequence in the order of the rows (ORDER BY v.n), whatever order RETURNING uses.
            inserted = list(zip(sorted(notification_id for (notification_id,) in ids), items, strict=True))
            deliveries, again, id_of = [], [], {}
            chosen = _choices({item[1].recipient.pk for _id, item in (*inserted, *updates)})
            for written, out in ((inserted, deliveries), (updates, again)):
                for notification_id, item in written:
                    index, notice, row = item
                    results[index] = (notification_id, organization_id, *row[:7], None, row[7])
                    id_of[id(item)] = notification_id
                    out.extend(_deliveries(notice, notification_id, organization_id, chosen))
            for index, winner in superseded:
                row = winner[2]
                results[index] = (id_of[id(winner)], organization_id, *row[:7], None, row[7])
            if deliveries:
                NotificationDelivery.objects.bulk_create(deliveries)
            if again:
                # A grouped notification's earlier delivery on a channel is sent again, with the new text.
                NotificationDelivery.objects.bulk_create(
                    again, update_conflicts=True, unique_fields=["organization", "notification", "channel"],
                    update_fields=["address", "status", "attempts", "next_attempt_at", "lease_until", "last_error",
                                   "sent_at"])
            if deliveries or again:
                transaction.on_commit(partial(_publish, [d.pk for d in (*deliveries, *again)]))
    return results


def _grouped_updates(organization_id, items):
    """Split one organization's items: those to insert; those that update the unread notification of the same
    recipient and ticket of a grouped kind, written here ([(notification id, item)]); and those superseded by a
    later notice of the same group in this batch ([(index, the winning item)]: they answer with its id)."""
    grouped = {id(item) for item in items if item[1].kind in GROUPED_KINDS and item[1].ticket is not None}
    if not grouped:
        return items, [], []

    def key(item):
        return (item[1].recipient.pk, item[1].ticket.pk)

    winners = {key(item): item for item in items if id(item) in grouped}  # the last of each group
    existing = {}
    for pk, recipient_id, ticket_id in (
            Notification.objects.filter(read_at__isnull=True, kind__in=GROUPED_KINDS,
                                        recipient_id__in={r for r, _t in winners},
                                        ticket_id__in={t for _r, t in winners})
            .order_by("created_at", "pk").values_list("pk", "recipient_id", "ticket_id")):
        existing[(recipient_id, ticket_id)] = pk  # the newest, should earlier ones never have been grouped
    inserts, updates, superseded = [], [], []
    for item in items:
        if id(item) not in grouped:
            inserts.append(item)
        elif winners[key(item)] is not item:
            superseded.append((item[0], winners[key(item)]))
        elif key(item) in existing:
            updates.append((existing[key(item)], item))
        else:
            inserts.append(item)
    if updates:
        Notification.objects.bulk_update(
            [Notification(pk=pk, organization_id=organization_id, kind=row[1], actor_id=row[3], title=row[4],
                          body=row[5], url=row[6], created_at=row[7]) for pk, (_i, _n, row) in updates],
            ["kind", "actor_id", "title", "body", "url", "created_at"])
    return inserts, updates, superseded


def _audience(notice):
    """The recipient's organization, or None when nobody needs telling; NotificationError across organizations."""
    recipient, actor, ticket = notice.recipient, notice.actor, notice.ticket
    if actor is not None and actor.pk == recipient.pk:
        return None  # nobody needs telling what they just did
    if not recipient.is_active or recipient.organization_id is None:
        return None
    organization_id = recipient.organization_id
    if ticket is not None and ticket.organization_id != organization_id:
        raise NotificationError(MSG_NOTIFY_OTHER_ORG)
    if actor is not None and actor.organization_id not in (None, organization_id):
        raise NotificationError(MSG_NOTIFY_OTHER_ORG)
    return organization_id


def _title(notice):
    if not notice.title:
        if notice.ticket is not None and notice.kind in TITLES:
            return coded(f"notifications.title_{notice.kind}", number=notice.ticket.number)
        return coded(f"notifications.kind_{notice.kind}")
    title = str(notice.title)
    if not is_coded(title):
        return title[:SENTENCE_LENGTH]
    if len(title) > TITLE_LENGTH:
        # Never cut in the middle (it would show as JSON): facts this long are not expected, worded instead.
        logger.warning("notification title too long to keep coded", extra={"kind": notice.kind})
        return coded_render(title)[:SENTENCE_LENGTH]
    return title


def _choices(recipient_ids):
    """What these recipients chose against the channels' defaults, {(user id, channel, kind): sent}: one query for
    a whole batch, in the open scope."""
    if not recipient_ids:
        return {}
    return {(user_id, channel, kind): enabled for user_id, channel, kind, enabled in
            NotificationPreference.objects.filter(user_id__in=recipient_ids)
            .values_list("user_id", "channel", "kind", "enabled")}


def _deliveries(notice, notification_id, organization_id, chosen):
    for channel in _CHANNELS.values():
        # The recipient's own choice, else the channel's default; a channel the notice names (the organization's
        # escalation rule) whatever they chose.
        wanted = chosen.get((notice.recipient.pk, channel.name, str(notice.kind)), notice.kind in channel.kinds)
        if not wanted and channel.name not in notice.channels:
            continue
        address = channel.address(notice.recipient)
        if address:
            yield NotificationDelivery(organization_id=organization_id, notification_id=notification_id,
                                       channel=channel.name, address=address[:254])


class _TicketUrls:
    """`ticket_url` for many tickets: its shape is learnt from the first one (reverse() tries URL names in turn)."""

    def __init__(self):
        self.shape = None

    def __call__(self, ticket):
        if self.shape is None:
            url, marker = ticket_url(ticket), f"/{ticket.pk}/"
            self.shape = url.replace(marker, "/{pk}/") if marker in url else url
        return self.shape.replace("{pk}", str(ticket.pk))


def _retry_delay(attempts):
    base = settings.NOTIFY_RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.NOTIFY_RETRY_MAX_SECONDS)


def notification_delivery_send(*, delivery_id):
    """Send one delivery now if it is due (what a worker does). Returns the seconds before its next attempt after a
    failure that may pass later, else None (sent now, already sent, dead, in flight elsewhere, or not due yet)."""
    outcome = outbox.run(KIND, [delivery_id]).get(delivery_id)
    return outcome.retry_in if outcome else None


def notification_delivery_replay(*, delivery):
    """Ops send a failed or dead delivery again, with a fresh attempt budget. Returns it, or None when it was
    neither."""
    return outbox.outbox_replay(KIND, delivery)


def notification_language(user):
    """The language what is sent to `user` (email, WeCom, SMS) is worded in: the one they chose (the language switch
    keeps it on their account, `scrm.services.user_language_set`), else the product's (LANGUAGE_CODE, Chinese). Never
    the worker's nor that of the request that made the notification."""
    return user.language or settings.LANGUAGE_CODE


def _deliver(delivery):
    """The outbox handler: the channel's sender, with no lock held."""
    channel = _CHANNELS.get(delivery.channel)
    if channel is None:
        raise outbox.Failure(f"no sender registered for channel {delivery.channel!r}")
    try:
        # Worded in the recipient's language (the worker has none of its own).
        with translation.override(notification_language(delivery.notification.recipient)):
            channel.sender(delivery)
    except NotificationPermanentError as error:
        raise outbox.Failure(str(error), permanent=True) from error
    return {"sent_at": timezone.now()}


outbox.register(
    KIND, model=NotificationDelivery, handler=_deliver, max_attempts=lambda: settings.NOTIFY_MAX_ATTEMPTS,
    backoff=_retry_delay, lease=LEASE, select_related=("notification__recipient", "notification__ticket"),
)


# --- reading and marking ------------------------------------------------------------------------------------------

@transaction.atomic
def notification_mark_read(*, notification, user):
    """Mark one of the user's notifications read (again is harmless)."""
    if notification.recipient_id != user.pk:
        raise NotificationError(MSG_NOTIFICATION_NOT_YOURS)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        with tenant_scope(notification.organization_id):
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
                read_at=notification.read_at)
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user):
    """Mark every unread notification of the user read; returns how many."""
    with tenant_scope(user.organization_id):
        return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- the organization's channels, set by ops in the product ---------------------------------------------------------

# The fields of NotificationChannelConfig ops set (the secrets apart: write-only, never read back).
CHANNEL_FIELDS = ("wecom_corp_id", "wecom_agent_id", "wecom_userid_field", "sms_provider", "aliyun_access_key_id",
                  "aliyun_sign_name", "aliyun_template_code", "aliyun_endpoint")


@transaction.atomic
def notification_channels_save(*, organization, by, wecom_secret="", aliyun_access_key_secret="", **fields):
    """Set the organization's WeCom application and SMS account (one row, created on the first save). A secret left
    empty keeps the one stored; a channel emptied (no corp ID and agent ID; no SMS provider) forgets its secret.
    Incomplete settings raise ValidationError and nothing is saved. The audit row names which secrets were
    replaced, never their values."""
    unknown = set(fields) - set(CHANNEL_FIELDS)
    if unknown:
        raise TypeError(f"unknown channel fields: {sorted(unknown)}")
    with tenant_scope(organization):
        config = (NotificationChannelConfig.objects.select_for_update().filter(organization=organization).first()
                  or NotificationChannelConfig(organization=organization))
        created = config.pk is None
        for name, value in fields.items():
            setattr(config, name, value.strip() if isinstance(value, str) else value)
        replaced = []
        if wecom_secret:
            config.set_wecom_secret(wecom_secret.strip())
            replaced.append("wecom_secret")
        if aliyun_access_key_secret:
            config.set_aliyun_access_key_secret(aliyun_access_key_secret.strip())
            replaced.append("aliyun_access_key_secret")
        if not config.wecom_corp_id and not config.wecom_agent_id:
            config.wecom_secret_encrypted = ""
        if not config.sms_provider:
            config.aliyun_access_key_secret_encrypted = ""
        config.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        config.save()
        settings_change_record(
            instance=config, by=by, action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED,
            detail={**{name: getattr(config, name) for name in CHANNEL_FIELDS}, "secrets_replaced": replaced})
        return config


@transaction.atomic
def notification_channel_test(*, organization, by, channel, address="", url=""):
    """Send a test message on one outside channel through the outbox, to `address` (else where `by` is reached on
    it). It shows in `by`'s notification centre too; its delivery's state (sent, failed with the reason) is the
    answer. Returns the delivery."""
    registered = _CHANNELS.get(channel)
    if registered is None:
        raise NotificationError(MSG_TEST_UNKNOWN_CHANNEL)
    with tenant_scope(organization):
        address = (address or "").strip() or registered.address(by)
        if not address:
            raise NotificationError(MSG_TEST_NO_ADDRESS)
        notification = Notification.objects.create(
            organization=organization, recipient=by, kind=Kind.CHANNEL_TEST, title=coded("notifications.test_title"),
            body=coded("notifications.test_body", user=by.get_full_name() or by.username), url=url)
        delivery = NotificationDelivery.objects.create(organization=organization, notification=notification,
                                                       channel=channel, address=address[:254])
        transaction.on_commit(partial(_publish, [delivery.pk]))
        return delivery


# --- a user's own choices -------------------------------------------------------------------------------------------

def email_kinds_sent(*, user):
    """The kinds `user` gets by email (whether they have an address or not): the email channel's defaults, changed
    by their own choices."""
    default = _CHANNELS[Channel.EMAIL].kinds if Channel.EMAIL in _CHANNELS else frozenset()
    with tenant_scope(user.organization_id):
        chosen = dict(NotificationPreference.objects.filter(user=user, channel=Channel.EMAIL)
                      .values_list("kind", "enabled"))
    return frozenset(kind for kind in Kind.values if chosen.get(kind, kind in default))


@transaction.atomic
def notification_preferences_set(*, user, email_kinds):
    """Keep which of the kinds offered to `user` (`email_kinds_offered`) they want by email: those in
    `email_kinds`, none of the others. A kind not offered to them is refused; one they are not offered now (a role
    they lost) keeps its choice. Stored as differences from the email channel's default, so a user who keeps the
    defaults has no row and gets what everyone gets. The in-app centre is not a choice, nor are the channels an
    SLA escalation step names. Returns the kinds now sent to them by email."""
    if user.organization_id is None:
        raise NotificationError(MSG_PREFERENCES_NO_ORGANIZATION)
    offered = email_kinds_offered(user=user)
    wanted = {str(kind) for kind in email_kinds}
    for kind in sorted(wanted - set(offered)):
        label = Kind(kind).label if kind in Kind.values else kind
        raise NotificationError(MSG_PREFERENCE_KIND_NOT_OFFERED % {"kind": label})
    default = _CHANNELS[Channel.EMAIL].kinds
    with tenant_scope(user.organization_id):
        NotificationPreference.objects.filter(user=user, channel=Channel.EMAIL, kind__in=offered).delete()
        now = timezone.now()
        NotificationPreference.objects.bulk_create(
            NotificationPreference(organization_id=user.organization_id, user=user, channel=Channel.EMAIL,
                                   kind=kind, enabled=kind in wanted, updated_at=now)
            for kind in offered if (kind in wanted) != (kind in default))
    sent = email_kinds_sent(user=user)
    logger.info("email notification choices saved", extra={
        "user_id": user.pk, "organization_id": user.organization_id, "email_kinds": sorted(sent)})
    return sent
