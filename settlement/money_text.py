"""Money as finance reads it on a page: to the fen, and finer only where the figure itself is finer.

A channel charges fees to a fraction of a fen (the WeChat Pay bill writes five decimals: 7.19400) and a fee mismatch
may be that fraction (7.194 charged, 7.19 expected at 0.6%): shown to the fen, both would read 7.19 beside a "fee
mismatch". So the trailing zeros past the fen go and the digits that carry a value stay: 7.19400 → 7.194,
1249 → 1249.00, 14.09400 → 14.094. Nothing is rounded.
"""

from decimal import Decimal, InvalidOperation

FEN = Decimal("0.01")


def money_text(value):
    """`value` (a Decimal, or a string or number as stored in JSON) as text; what is not a number comes back as it
    was (None stays None)."""
    if value is None or value == "":
        return value
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value
    if not amount.is_finite():
        return value
    if amount == amount.quantize(FEN):
        return f"{amount.quantize(FEN):f}"
    return f"{amount.normalize():f}"
