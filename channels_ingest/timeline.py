"""The channels' entries of the customer timeline (registered from ChannelsIngestConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from channels_ingest.selectors import customer_channel_events
from scrm.platform.timeline import TimelineEntry

_TITLES = {
    "event:subscribe": (_("Followed %(account)s"), "bi-person-plus"),
    "event:unsubscribe": (_("Unfollowed %(account)s"), "bi-person-dash"),
    "event:scan": (_("Scanned a QR code of %(account)s"), "bi-qr-code-scan"),
    "event:click": (_("Clicked a menu of %(account)s"), "bi-menu-button"),
    "event:view": (_("Opened a menu link of %(account)s"), "bi-box-arrow-up-right"),
    "event:location": (_("Shared a location with %(account)s"), "bi-geo-alt"),
    "event:change_external_contact:add_external_contact": (_("Added as a WeCom contact (%(account)s)"),
                                                           "bi-person-plus"),
    "event:change_external_contact:add_half_external_contact": (_("Added as a WeCom contact (%(account)s)"),
                                                                "bi-person-plus"),
    "event:change_external_contact:edit_external_contact": (_("WeCom contact updated (%(account)s)"),
                                                            "bi-pencil"),
    "event:change_external_contact:del_external_contact": (_("Removed a WeCom contact (%(account)s)"),
                                                           "bi-person-dash"),
    "event:change_external_contact:del_follow_user": (_("Removed by the WeCom contact (%(account)s)"),
                                                      "bi-person-dash"),
}


def channel_event_entries(*, customer, before, limit):
    for event in customer_channel_events(customer=customer, before=before, limit=limit):
        title, icon = _TITLES.get(event.kind, (_("WeChat event on %(account)s"), "bi-wechat"))
        key = event.fields.get("EventKey") or event.fields.get("UserID") or ""
        yield TimelineEntry(at=event.received_at, kind="wechat", icon=icon,
                            title=title % {"account": event.account.name}, detail=key)
