"""Reads of the notification centre and its bell, and of a user's own settings page."""

from django.db.models import F

from notifications.models import Notification
from scrm.models import Role, User
from scrm.platform.access import user_can_use_module, user_has_role
from scrm.platform.tenancy import tenant_scope

Kind = Notification.Kind

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


# The kinds a user may choose to get by email, in the order of their settings page: what the product sends people
# (`notify`). Not offered: `escalated` (nothing in the product sends it: the SLA ladder tells people with
# `sla_warning` / `sla_breach`), a channel test (ops send it to themselves) and an SMS to a customer (an agent's
# own message, never a notice).
TICKET_KINDS = (Kind.ASSIGNED, Kind.MENTIONED, Kind.TRANSFERRED, Kind.SLA_WARNING, Kind.SLA_BREACH, Kind.WAITING,
                Kind.RATING_LOW)
FINANCE_KINDS = (Kind.REGION_ALERT,)


def email_kinds_offered(*, user):
    """The kinds `user` can receive and so may choose to get by email: the tickets' to whoever works in the
    tickets module, the region alerts to finance (`settlement.partner_dashboard.region_alerts_raise` tells the
    finance role). None for a user of no organization."""
    if not user.is_authenticated or user.organization_id is None:
        return ()
    kinds = []
    if user_can_use_module(user, "tickets"):
        kinds.extend(TICKET_KINDS)
    if user_has_role(user, Role.FINANCE):
        kinds.extend(FINANCE_KINDS)
    return tuple(kinds)


def organization_ops_admins(*, organization_id):
    """Who sets a user's email address (Settings → Users): the organization's active ops admins, by name."""
    with tenant_scope(organization_id):
        return list(User.objects.filter(groups__name=Role.OPS_ADMIN, is_active=True).distinct()
                    .order_by("display_name", "username"))
