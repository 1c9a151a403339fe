"""Notifications: the in-app notification centre (one row per recipient and event) and the outbox of its deliveries
on other channels (email now; WeCom and SMS plug in through `register_notification_channel`).

Workflow lives in notifications.services; these are tables, constraints and indexes only.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scrm.platform.coded import coded_render
from scrm.platform.outbox import OutboxModel, due_index
from scrm.platform.tenancy import TenantModel


class Notification(TenantModel):
    """Something a user should know about, shown in their notification centre until they read it.

    `title` and `body` hold what the product says as coded messages (scrm.platform.coded: a code and its facts),
    worded when read in the reader's language (`title_display`, `body_display`); what people wrote (a comment, a
    transfer's reason, an SMS) and rows written before are plain text, shown as they are.
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Ticket assigned")
        TRANSFERRED = "transferred", _("Ticket transferred")
        MENTIONED = "mentioned", _("Mentioned")
        ESCALATED = "escalated", _("Escalated")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACH = "sla_breach", _("SLA breached")
        RATING_LOW = "rating_low", _("Low satisfaction rating")
        CHANNEL_TEST = "channel_test", _("Channel test")
        WAITING = "waiting", _("Urgent ticket waiting")
        CUSTOMER_SMS = "customer_sms", _("SMS to a customer")
        REGION_ALERT = "region_alert", _("Region alert (settlement)")
        # The shop platform finished or reopened the refund, return or exchange of the assignee's ticket.
        PLATFORM_UPDATE = "platform_update", _("After-sales update from the platform")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="notifications", verbose_name=_("ticket"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"), help_text=_("Empty for the system."))
    # Room for a coded title (its code, its parameters' names and the facts, in JSON): its sentence is far shorter.
    title = models.CharField(_("title"), max_length=1000)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The centre in its order (unread first, newest first; then the most recently read) read straight off
            # the index, and the bell's unread count. PostgreSQL puts NULLs (unread) first in a descending index
            # by default, which is the query's order.
            models.Index(F("organization"), F("recipient"), F("read_at").desc(),
                         F("created_at").desc(), name="notification_recipient_idx"),
            # The unread notification of a ticket a new SLA step updates in place (notifications.services
            # GROUPED_KINDS), found per ticket whatever the recipient's backlog.
            models.Index(F("organization"), F("ticket"), F("recipient"), condition=Q(read_at__isnull=True),
                         name="notification_unread_ticket_idx"),
        ]

    def __str__(self):
        return self.title_display

    @property
    def title_display(self):
        """The title in the active language (the reader's on a page, the recipient's in a delivery)."""
        return coded_render(self.title)

    @property
    def body_display(self):
        return coded_render(self.body)

    @property
    def is_read(self):
        return self.read_at is not None


class NotificationDelivery(OutboxModel, TenantModel):
    """One notification to be sent on one outside channel: a row of the outbox kind "notification".

    pending → sending (claimed, under a lease) → sent, or failed (retried with back-off at `next_attempt_at`) →
    dead after the last attempt, replayable. A row marked sent is never sent again.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        WECOM = "wecom", _("WeCom")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Failed for good")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries",
                                     verbose_name=_("notification"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254, blank=True,
                               help_text=_("Where it goes: an email address, a WeCom user id, a mobile."))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        constraints = [
            models.UniqueConstraint(fields=["organization", "notification", "channel"],
                                    name="notificationdelivery_uniq"),
        ]
        indexes = [
            # The outbox sweeper's: what is due (the broker was down, a retry was lost, a lease expired).
            due_index("notificationdelivery_due_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.get_status_display()}"
