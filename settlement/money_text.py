"""Money as finance reads it on a page: to the fen, and finer only where the figure itself is finer.

A channel charges fees to a fraction of a fen (the WeChat Pay bill writes five decimals: 7.19400) and a fee mismatch
may be that fraction (7.194 charged, 7.19 expected at 0.6%): shown to the fen, both would read 7.19 beside a "fee
mismatch". So the trailing zeros past the fen go and the digits that carry a value stay: 7.19400 → 7.194,
1249 → 1249.00, 14.09400 → 14.094. Nothing is rounded.

On a page the figure is also grouped by thousands (`money_display`: 1,234,567.89), as finance writes it, in Chinese
as in English. Only on a page: a workbook keeps numbers, a CSV export, the API and a value put back into a form input
keep the plain text (`money_text`), which parses back.

A rate (a channel's fee rate, a rule's commission and tax rates, a rebate tier's) is stored as a fraction (0.006) and
read on a page as a percentage (`rate_display`: 0.6%), to the precision the value carries (0.0055 → 0.55%). Forms
keep the fraction they take, and a workbook keeps the number.
"""

from decimal import Decimal, InvalidOperation

FEN = Decimal("0.01")


def _amount(value):
    """`value` as a finite Decimal, or None when it is no number (None, "", a mask such as "***")."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def _plain(amount):
    if amount == amount.quantize(FEN):
        return f"{amount.quantize(FEN):f}"
    return f"{amount.normalize():f}"


def money_text(value):
    """`value` (a Decimal, or a string or number as stored in JSON) as text; what is not a number comes back as it
    was (None stays None)."""
    amount = _amount(value)
    return value if amount is None else _plain(amount)


def money_display(value):
    """`money_text` grouped by thousands for a page: 1234567.894 → 1,234,567.894, -1234.5 → -1,234.50. What is not
    a number comes back as it was (None stays None, a mask stays the mask)."""
    amount = _amount(value)
    if amount is None:
        return value
    whole, _dot, fraction = _plain(amount).partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{grouped}.{fraction}" if fraction else f"{sign}{grouped}"


HUNDRED = Decimal(100)


def rate_display(value):
    """A rate stored as a fraction as a percentage for a page: 0.006 → 0.6%, 0.05000 → 5%, 0.0055 → 0.55%; only the
    digits that carry a value (nothing is rounded). What is not a number comes back as it was (None stays None)."""
    rate = _amount(value)
    if rate is None:
        return value
    percent = (rate * HUNDRED).normalize()
    return f"{percent:f}%"
