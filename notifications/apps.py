from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # The core app imports nothing of ours: we hand it our role permissions and our channels' secrets here.
        from notifications import senders  # noqa: F401 - registers the email, WeCom and SMS senders
        from notifications.senders import notification_channel_secrets
        from scrm.models import Role
        from scrm.platform.redaction import register_secret_source
        from scrm.platform.roles import CRUD, register_role_permissions

        register_role_permissions("notifications", {
            Role.OPS_ADMIN: {"notificationchannelconfig": CRUD},
            Role.SUPERVISOR: {},
            Role.AGENT: {},
            Role.FINANCE: {},
            Role.VIEWER: {},
        })
        # notifications.services registers the outbox kind "notification" (imported with the senders above); the
        # channels' secrets are masked in every error recorded.
        register_secret_source(notification_channel_secrets)
        self._register_navigation()

    @staticmethod
    def _register_navigation():
        from notifications.views_settings import user_configures_notification_channels
        from scrm.platform.navigation import NavChild, register_nav_children

        register_nav_children("settings", [
            NavChild("notification-channels", _("Notification channels"), "notifications:channel-settings",
                     "bi-broadcast", user_configures_notification_channels),
        ])
