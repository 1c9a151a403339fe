from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScrmConfig(AppConfig):
    name = "scrm"
    verbose_name = _("People and places")

    def ready(self):
        # Registers the outbox kinds of the core's background jobs (customer imports and exports).
        from scrm.customers import jobs  # noqa: F401
