"""The notifications app's tables; import them from `notifications.models`."""

from notifications.models.channel_config import NotificationChannelConfig
from notifications.models.notification import Notification, NotificationDelivery
from notifications.models.preference import NotificationPreference

__all__ = ["Notification", "NotificationChannelConfig", "NotificationDelivery", "NotificationPreference"]
