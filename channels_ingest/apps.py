from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsIngestConfig(AppConfig):
    name = "channels_ingest"
    verbose_name = _("Channels")
