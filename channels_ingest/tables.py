import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from channels_ingest.models import InboundEvent


class ProblemEventTable(tables.Table):
    replay = tables.TemplateColumn(template_name="channels_ingest/_replay_button.html", verbose_name="",
                                   orderable=False)

    class Meta:
        model = InboundEvent
        fields = ("received_at", "kind", "from_user", "status", "attempts", "last_error")
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "problem-events"}
        empty_text = _("No failed or dead events.")
        order_by = ("-received_at",)

    def render_last_error(self, record):
        return record.last_error_display
