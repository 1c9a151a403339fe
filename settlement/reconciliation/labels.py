"""How finance reads a closed discrepancy's reason code (`Discrepancy.resolution_code`, `DiscrepancyAction.code`): the
page, the form and the day's workbook name it the same way."""

from django.utils.translation import gettext_lazy as _

RESOLUTION_LABELS = {
    "ledger_corrected": _("The ledger was corrected"),
    "channel_corrected": _("The channel corrected its statement"),
    "refund_completed": _("The refund was completed"),
    "customer_repaid": _("The customer paid the difference"),
    "duplicate_refunded": _("The duplicate payment was refunded"),
    "rounding": _("Rounding"),
    "other": _("Other (see the note)"),
}
# A reason code finance chose, or the write-off.
DECISION_LABELS = {**RESOLUTION_LABELS, "write_off": _("Written off")}


def decision_label(code):
    """The code's name in the reader's language; a code without one as it is ("" for none)."""
    return str(DECISION_LABELS.get(code, code))
