"""The customer timeline: one list, newest first, of everything that happened with a customer, in any app.

The core app knows no other app: each app registers a provider (in its AppConfig.ready) that yields its own
entries for a customer. A provider answers with at most `limit` entries older than `before`, newest first, in a
bounded number of queries (usually one), so a page of the timeline costs one query per provider, whatever the
length of the history. A provider that also takes `user` is told who reads the timeline, to mask what that user's
roles mask (order amounts).

    @register_timeline_provider("tickets")
    def ticket_entries(*, customer, before, limit, user=None):
        ...
        yield TimelineEntry(at=..., kind="ticket", title=..., url=...)
"""

import inspect
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scrm.models import ChannelIdentity, CustomerMerge, CustomerTag

_providers = {}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    icon: str = "bi-dot"


_reads_user = set()


def register_timeline_provider(name):
    """A provider that takes a `user` keyword is given the reader (to mask what their roles mask); others are not."""
    def decorate(func):
        _providers[name] = func
        if "user" in inspect.signature(func).parameters:
            _reads_user.add(name)
        else:
            _reads_user.discard(name)
        return func

    return decorate


def timeline_providers():
    return dict(_providers)


def customer_timeline(*, customer, before=None, limit=20, user=None):
    """One page of the customer's timeline, as `user` may read it, and the cursor of the next page (None at the
    end)."""
    entries = []
    for name, provider in _providers.items():
        reader = {"user": user} if name in _reads_user else {}
        entries.extend(provider(customer=customer, before=before, limit=limit + 1, **reader))
    entries.sort(key=lambda e: e.at, reverse=True)
    page = entries[:limit]
    next_before = page[-1].at if len(entries) > limit else None
    return page, next_before


def _older(queryset, field, before, limit):
    if before is not None:
        queryset = queryset.filter(**{f"{field}__lt": before})
    return queryset.order_by(f"-{field}")[:limit]


@register_timeline_provider("scrm.identities")
def _identity_entries(*, customer, before, limit, user=None):
    for identity in _older(ChannelIdentity.objects.filter(customer=customer), "created_at", before, limit):
        yield TimelineEntry(
            at=identity.created_at, kind="identity", icon="bi-person-badge",
            title=_("Reached us through %(channel)s") % {"channel": identity.get_channel_display()},
            detail=identity.external_id,
        )


@register_timeline_provider("scrm.tags")
def _tag_entries(*, customer, before, limit, user=None):
    rows = _older(CustomerTag.objects.filter(customer=customer).select_related("tag"), "created_at", before, limit)
    for row in rows:
        yield TimelineEntry(at=row.created_at, kind="tag", icon="bi-tag",
                            title=_("Tagged %(tag)s") % {"tag": row.tag.name})


@register_timeline_provider("scrm.merges")
def _merge_entries(*, customer, before, limit, user=None):
    merges = _older(CustomerMerge.objects.filter(primary=customer).select_related("actor", "duplicate"),
                    "created_at", before, limit)
    for merge in merges:
        yield TimelineEntry(
            at=merge.created_at, kind="merge", icon="bi-intersect",
            title=_("Merged with %(name)s") % {"name": merge.duplicate.display_name},
            detail=_("by %(user)s") % {"user": merge.actor},
        )
    # An undone merge shows on both customers' timelines, when it was undone and by whom.
    undone = _older(CustomerMerge.objects.filter(Q(primary=customer) | Q(duplicate=customer),
                                                 undone_at__isnull=False).select_related("undone_by", "duplicate",
                                                                                        "primary"),
                    "undone_at", before, limit)
    for merge in undone:
        yield TimelineEntry(
            at=merge.undone_at, kind="merge", icon="bi-arrow-counterclockwise",
            title=_("Merge of %(duplicate)s into %(primary)s undone") % {
                "duplicate": merge.duplicate.display_name, "primary": merge.primary.display_name},
            detail=_("by %(user)s") % {"user": merge.undone_by},
        )
