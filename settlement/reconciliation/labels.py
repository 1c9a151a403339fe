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


# What a discrepancy is about, as finance reads it (its `key` is the matching's internal name for the same thing:
# "order:<number>", "txn:<id>", "refund:<number>", "rtxn:<id>", "line:<id>", "dup:<payment|refund>:<key>:<n>").
SUBJECT_LABELS = {
    "order": _("Order %(number)s"),
    "txn": _("Transaction %(number)s"),
    "refund": _("Refund %(number)s"),
    "rtxn": _("Channel refund %(number)s"),
    "line": _("Statement line %(number)s"),
}
DUPLICATE_LABELS = {
    "payment": _("Duplicate payment %(subject)s (no. %(n)s)"),
    "refund": _("Duplicate refund %(subject)s (no. %(n)s)"),
}


def discrepancy_subject(key):
    """A discrepancy's key as the table, its page and the day's workbook name it ("订单 E1", "重复支付 E1（第 2 笔）");
    a key of no known shape as it is."""
    prefix, _sep, rest = (key or "").partition(":")
    if prefix in SUBJECT_LABELS and rest:
        return str(SUBJECT_LABELS[prefix] % {"number": rest})
    if prefix == "dup":
        kind, _sep, tail = rest.partition(":")
        inner, _sep, n = tail.rpartition(":")
        if kind in DUPLICATE_LABELS and inner and n.isdigit():
            # The duplicate's own key is the bare order or refund number, or a prefixed transaction or line.
            head = inner.partition(":")[0]
            subject = discrepancy_subject(inner) if head in SUBJECT_LABELS and ":" in inner else inner
            return str(DUPLICATE_LABELS[kind] % {"subject": subject, "n": n})
    return key


# What a statement line matched its ledger entry by (`StatementMatch.matched_by`: "order_number", "transaction_id",
# "refund_number", "order_number+amount"), as the discrepancy page and the day's workbook name it.
MATCH_KEY_LABELS = {
    "order_number": _("order number"),
    "transaction_id": _("transaction id"),
    "refund_number": _("refund number"),
    "order_number+amount": _("order number and amount"),
}


def match_keys_label(keys):
    """The keys of a match (a list, as `StatementMatch.keys` gives them) in the reader's language; "" for none."""
    joined = "+".join(keys)
    if joined in MATCH_KEY_LABELS:
        return str(MATCH_KEY_LABELS[joined])
    return " + ".join(str(MATCH_KEY_LABELS.get(key, key)) for key in keys)
