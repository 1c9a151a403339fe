"""The settlement app's domain error and the messages tests import."""

from django.utils.translation import gettext_lazy as _

from scrm import errors as scrm_errors
from scrm.platform.coded import coded, coded_messages_register, coded_render

# What the settlement commands and the statement drop folder tell an operator (in the active language).
MSG_NO_ORGANIZATION = scrm_errors.MSG_NO_ORGANIZATION
MSG_NO_PAYMENT_CHANNEL = _("There is no payment channel with the code “%(code)s”.")
MSG_NO_PAYMENT_CHANNEL_IN = _("There is no payment channel with the code “%(code)s” in %(organization)s.")
MSG_NOT_A_DATE = _("“%(value)s” is not a date (YYYY-MM-DD)")
MSG_NO_FILE = _("There is no file at %(path)s.")
MSG_CURRENCIES_SET = _("%(organization)s accepts %(currencies)s.")
MSG_ANY_CURRENCY = _("%(organization)s accepts every currency.")

MSG_BAD_AMOUNT = _("The amount %(name)s is not a number of yuan to the fen: %(value)s.")
MSG_BAD_CURRENCY = _("The currency %(value)s is not a three-letter ISO code.")
MSG_BAD_STATUS = _("Unknown status %(value)s.")
MSG_BAD_VERSION = _("The platform's version %(value)s is not a number the ledger can order by.")
MSG_REFUND_TICKET_SUBJECT = _("Refund %(refund)s for order %(order)s")
MSG_REFUND_TICKET_BODY = _("Store: %(store)s\nOrder: %(order)s\nRefund: %(refund)s\nAmount: %(amount)s %(currency)s\n"
                           "Status: %(status)s\nReason: %(reason)s")


class SettlementError(Exception):
    """A refusal of settlement. `code` and `params`, when given, name its message (registered in
    scrm.platform.coded), so that a worker (which has no user language) stores them and a page words the message in
    its reader's language."""

    def __init__(self, *args, code="", params=None):
        super().__init__(*args)
        self.code, self.params = code, dict(params or {})

MSG_AFTERSALE_TICKET_SUBJECT = {
    "return": _("Return %(number)s for order %(order)s"),
    "exchange": _("Exchange %(number)s for order %(order)s"),
    "complaint": _("Complaint %(number)s about order %(order)s"),
}
MSG_BAD_REVIEW_SUBJECT = _("Bad review (%(rating)s of 5) of order %(order)s")
MSG_AFTERSALE_TICKET_BODY = _("Store: %(store)s\nOrder: %(order)s\n%(kind)s: %(number)s\nStatus: %(status)s\n"
                              "Reason: %(reason)s\n%(detail)s")
MSG_CURRENCY_NOT_ACCEPTED = _("The organization accepts %(accepted)s only; this report is in %(currency)s. Change the "
                              "accepted currencies or the store's currency, then replay the event.")
MSG_UNKNOWN_PAYMENT_CHANNEL = _("The order says it was paid through “%(code)s”, which is not one of the organization's "
                                "payment channels (%(codes)s). Add that channel under Settlement → Payment channels "
                                "or correct the shop's code, then replay the event.")
MSG_NOT_ISO_4217 = _("%(codes)s: not an ISO 4217 currency code. Write three-letter codes such as CNY, HKD or USD, "
                     "separated by commas.")


# The ledger's refusals of what a shop reported, by code: a worker records them on the shop's event
# (`ledger_refusal_recorded`) and the account's events page words them in its reader's language.
LEDGER_REFUSALS = coded_messages_register({
    "settlement.bad_amount": MSG_BAD_AMOUNT,
    "settlement.bad_currency": MSG_BAD_CURRENCY,
    "settlement.bad_status": MSG_BAD_STATUS,
    "settlement.bad_version": MSG_BAD_VERSION,
    "settlement.currency_not_accepted": MSG_CURRENCY_NOT_ACCEPTED,
    "settlement.unknown_payment_channel": MSG_UNKNOWN_PAYMENT_CHANNEL,
})


def ledger_refusal(code, /, **params):
    """The SettlementError of a LEDGER_REFUSALS code: worded in the active language, carrying its code and
    parameters (as text)."""
    params = {name: str(value) for name, value in params.items()}
    return SettlementError(coded_render({"code": code, "params": params}), code=code, params=params)


def ledger_refusal_recorded(error):
    """What a worker records of a SettlementError: its coded message when it is one of the ledger's refusals, else
    its text."""
    if error.code in LEDGER_REFUSALS:
        return coded(error.code, **error.params)
    return str(error)
