"""Reads of the channels app, shaped for its pages. Run inside the organization's scope."""

from datetime import UTC, datetime

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from channels_ingest.models import ChannelAccount, InboundEvent, OutboundMessage
from channels_ingest.plaintext import plaintext_last_seen
from channels_ingest.services.processing import STALE_AFTER

Status = InboundEvent.Status


def account_list():
    """Accounts with their events counted by status, in one query."""
    counts = {f"n_{status}": Count("events", filter=Q(events__status=status)) for status in Status.values}
    return ChannelAccount.objects.annotate(**counts).order_by("name", "pk")


def account_status_counts(*, account):
    rows = InboundEvent.objects.filter(account=account).values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def account_activity(*, account):
    """When the account's last callback arrived and since when the oldest event still waiting for a worker (received
    or processing) has waited: is WeChat calling, and are the workers keeping up? `backlog_late`: it has waited
    longer than the beat's re-enqueue lets an event wait. One query, a few index probes (one per status, through
    `inboundevent_status_idx`), whatever the number of events."""
    def edge(status, order):
        return Subquery(InboundEvent.objects.filter(account=OuterRef("pk"), status=status)
                        .order_by(order).values("received_at")[:1])

    annotations = {f"last_{status}": edge(status, "-received_at") for status in Status.values}
    annotations.update({f"first_{status}": edge(status, "received_at")
                        for status in (Status.RECEIVED, Status.PROCESSING)})
    row = ChannelAccount.objects.filter(pk=account.pk).annotate(**annotations).values(*annotations).first() or {}
    last = [row.get(f"last_{status}") for status in Status.values]
    waiting = [row.get(f"first_{status}") for status in (Status.RECEIVED, Status.PROCESSING)]
    oldest = min(filter(None, waiting), default=None)
    return {
        "last_received_at": max(filter(None, last), default=None),
        "oldest_waiting_at": oldest,
        "backlog_late": oldest is not None and timezone.now() - oldest > STALE_AFTER,
    }


# What the account page's events list shows (?show=): the failed and dead events to replay (the default), the
# events received and deliberately left alone with why (a test push, a good review, a type nobody handles), or
# every event. Values are the query's, labels the filter's.
EVENT_VIEWS = {
    "problems": (Status.FAILED, Status.DEAD),
    "ignored": (Status.IGNORED,),
    "all": None,
}


def account_events(*, account, show="problems", status=None):
    """The account's events for its page, newest first: `show` one of EVENT_VIEWS (an unknown value reads as the
    default); `status` narrows the failed and dead ones to one of them."""
    queryset = InboundEvent.objects.filter(account=account)
    statuses = EVENT_VIEWS[show if show in EVENT_VIEWS else "problems"]
    if statuses is not None:
        if status in (Status.FAILED, Status.DEAD) and status in statuses:
            statuses = (status,)
        queryset = queryset.filter(status__in=statuses)
    return (queryset.only("pk", "kind", "dedupe_key", "from_user", "status", "attempts", "last_error", "received_at",
                          "updated_at", "account_id", "organization_id")
            .order_by("-received_at", "-pk"))


def account_outbound_problems(*, account):
    return (OutboundMessage.objects.filter(account=account, status__in=[OutboundMessage.Status.FAILED,
                                                                        OutboundMessage.Status.DEAD])
            .select_related("comment__ticket").order_by("-created_at")[:50])


def customer_channel_events(*, customer, before, limit):
    """The customer's WeChat events (follow, unfollow, scan, menu, contact changes) for the timeline."""
    queryset = InboundEvent.objects.filter(customer=customer, kind__startswith="event:",
                                           status=Status.PROCESSED).select_related("account")
    if before is not None:
        queryset = queryset.filter(received_at__lt=before)
    return queryset.order_by("-received_at")[:limit]


def account_plaintext_seen_at(*, account):
    """When the account last received a callback in plaintext mode (within a month), or None: its page then
    recommends safe mode."""
    seen = plaintext_last_seen(account=account)
    return datetime.fromtimestamp(seen, tz=UTC) if seen else None
