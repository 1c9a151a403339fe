"""The notifications app's tables; import them from `notifications.models`."""

from notifications.models.channel_config import NotificationChannelConfig
from notifications.models.notification import Notification, NotificationDelivery

__all__ = ["Notification", "NotificationChannelConfig", "NotificationDelivery"]
