"""The reconciliation's domain error and the messages tests import."""

from django.utils.translation import gettext_lazy as _

from settlement.errors import SettlementError

MSG_BAD_PERIOD = _("The period ends before it starts.")
MSG_NOT_ALLOWED = _("You may not work on discrepancies.")
MSG_NOTE_REQUIRED = _("Write the note.")
MSG_BAD_CODE = _("Unknown resolution reason: %(code)s.")
MSG_ALREADY_DECIDED = _("This discrepancy is already decided (%(status)s).")
MSG_NO_WRITE_OFF_REQUESTED = _("No write-off is waiting for approval on this discrepancy.")
MSG_OWN_WRITE_OFF = _("A write-off above the limit needs a second person: you asked for this one.")
MSG_TICKET_EXISTS = _("A ticket is already open for this discrepancy.")
MSG_NO_CUSTOMER = _("No customer is behind this discrepancy (no order in the ledger): choose the queue of the team "
                    "that must fix it, and an internal ticket is opened there.")
MSG_TICKET_SUBJECT = _("Reconciliation: %(kind)s, order %(number)s (%(channel)s, %(day)s)")
MSG_TICKET_BODY = _("Channel: %(channel)s\nStatement day: %(day)s\nOrder: %(number)s\nProblem: %(kind)s\n"
                    "In the statement: %(statement)s\nIn the ledger: %(ledger)s\nDifference: %(difference)s\n"
                    "Note: %(note)s")


class ReconciliationError(SettlementError):
    pass
