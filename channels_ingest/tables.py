import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from channels_ingest.models import InboundEvent


class AccountEventTable(tables.Table):
    """The events of the account's page: the failed and dead ones with Replay, or those it ignored with why (the
    note the worker stored, in the reader's language)."""

    last_error = tables.Column(verbose_name=_("Last error, or why it was ignored"))
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
