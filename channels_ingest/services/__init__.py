"""Every write of the channels app: accounts, the inbound event store and its processing, media, replies."""

from channels_ingest.services.accounts import channel_account_create, channel_account_update
from channels_ingest.services.inbound import event_receive, event_store
from channels_ingest.services.media import media_download
from channels_ingest.services.outbound import outbound_create, outbound_replay, outbound_send, reply_send_enqueue
from channels_ingest.services.processing import account_for_slug, event_process, event_replay

__all__ = [
    "account_for_slug", "channel_account_create", "channel_account_update", "event_process", "event_receive",
    "event_store",
    "event_replay", "media_download", "outbound_create", "outbound_replay", "outbound_send", "reply_send_enqueue",
]
