from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

WECHAT_REPLY_WINDOW_HOURS = 48


class ChannelsIngestConfig(AppConfig):
    name = "channels_ingest"
    verbose_name = _("Channels")

    def ready(self):
        # Nothing imports this app: we hand the core and tickets apps our permissions, timeline entries and reply
        # senders here; importing the services modules registers our outbox kinds (inbound_event, wechat_media,
        # wechat_reply, shop_order_fetch), and the redaction step learns our secrets.
        from channels_ingest.services import media, processing, shop_fetch  # noqa: F401 - registers their kinds
        from channels_ingest.services.accounts import account_secrets
        from channels_ingest.services.outbound import reply_deliveries, reply_retry, reply_send_enqueue
        from channels_ingest.services.processing import accounts_forget_organization
        from channels_ingest.services.templates import (
            ticket_template_enqueue,
            ticket_template_prepare,
            ticket_templates,
        )
        from channels_ingest.timeline import channel_event_entries
        from scrm.models import Role
        from scrm.platform.onboarding import register_organization_status_hook
        from scrm.platform.redaction import register_secret_source
        from scrm.platform.roles import CRUD, register_role_permissions
        from scrm.platform.timeline import register_timeline_provider
        from tickets.outbound import (
            register_delivery_source,
            register_reply_sender,
            register_reply_window,
            register_template_source,
        )

        read = ("view",)
        register_role_permissions("channels_ingest", {
            Role.OPS_ADMIN: {"channelaccount": CRUD, "inboundevent": ("view", "change"), "inboundmedia": read,
                             "outboundmessage": read, "wechattemplate": CRUD},
            Role.SUPERVISOR: {"inboundmedia": read},
            Role.AGENT: {"inboundmedia": read},
            Role.FINANCE: {},
            Role.VIEWER: {},
        })
        register_timeline_provider("channels_ingest")(channel_event_entries)
        register_secret_source(account_secrets)
        register_organization_status_hook("callback-accounts", accounts_forget_organization)
        self._register_console()
        for channel in ("wechat_oa", "wecom"):
            register_reply_sender(channel, reply_send_enqueue)
        register_delivery_source(read=reply_deliveries, retry=reply_retry)
        register_template_source(list=ticket_templates, prepare=ticket_template_prepare,
                                 enqueue=ticket_template_enqueue)
        # An Official Account's customer-service messages reach a user only within 48 hours of their last message
        # (errcode 45015 after it); a WeCom application message reaches a member at any time.
        register_reply_window("wechat_oa", timedelta(hours=WECHAT_REPLY_WINDOW_HOURS))
        self._register_navigation()

    @staticmethod
    def _register_console():
        """The platform console counts the inbound events received per day and the media files kept (a medium
        whose message became an attachment is counted with the attachments)."""
        from channels_ingest.models import InboundEvent, InboundMedia
        from scrm.platform.console import register_daily_count, register_stored_files

        register_daily_count("inbound_events", label=_("Inbound events"), model=InboundEvent, field="received_at")
        register_stored_files("inbound_media", label=_("Channel media"), model=InboundMedia, size_field="size")

    @staticmethod
    def _register_navigation():
        from scrm.platform.navigation import NavChild, register_nav_children

        register_nav_children("settings", [
            NavChild("channel-accounts", _("Channel accounts"), "channels_ingest:account-list", "bi-plug",
                     lambda user: user.has_perm("channels_ingest.view_channelaccount")),
        ])
        from channels_ingest.models import ChannelAccount
        from scrm.platform.onboarding import OnboardingStep, register_onboarding_step

        register_onboarding_step(OnboardingStep(
            "channel-accounts", 70, _("Channel accounts"),
            _("Your WeChat Official Account, WeCom application or shop: their messages and orders come in here."),
            "channels_ingest:account-list", lambda: ChannelAccount.objects.exists(),
            lambda user: user.has_perm("channels_ingest.add_channelaccount")))
