"""A user's own choices of what is sent to them outside the product (email, for now): one row per kind and channel
where their choice differs from the channel's default (`notifications.senders.EMAIL_KINDS` for email). A user who
never chose has no row and gets what everyone gets. The in-app centre is not a choice: it gets everything.

Read by `notifications.services` when it decides a notification's deliveries; written only by
`notification_preferences_set`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models.notification import Notification, NotificationDelivery
from scrm.platform.tenancy import TenantModel


class NotificationPreference(TenantModel):
    """One user's choice for one kind on one channel: `enabled` on or off, against the channel's default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences", verbose_name=_("user"))
    channel = models.CharField(_("channel"), max_length=16, choices=NotificationDelivery.Channel.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Notification.Kind.choices)
    enabled = models.BooleanField(_("active"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            # Also the index `notify` reads a batch's recipients through (organization, user).
            models.UniqueConstraint(fields=["organization", "user", "channel", "kind"],
                                    name="notificationpreference_uniq"),
        ]

    def __str__(self):
        state = _("On") if self.enabled else _("Off")
        return f"{self.get_channel_display()} · {self.get_kind_display()} · {state}"
