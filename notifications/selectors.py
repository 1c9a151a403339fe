"""Reads of the notification centre and its bell."""

from django.db.models import F

from notifications.models import Notification

NOTIFICATION_BELL_CAP = 99


def notification_list(*, user):
    """The user's notifications: unread first, newest first, then the read ones, most recently read first (the
    order of index notification_recipient_idx, so a page costs the same with 20 or 200,000 notifications)."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related("ticket", "actor")
        .order_by(F("read_at").desc(nulls_first=True), F("created_at").desc())
    )


def notification_unread_count(*, user, cap=NOTIFICATION_BELL_CAP):
    """How many unread notifications the user has, counting no further than cap + 1 (the bell shows "99+")."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).order_by()[: cap + 1].count()
