"""Cells of finance's workbooks that read as the page does: money to the fen (and finer only where the figure is
finer, as a channel's fee to a fraction of a fen), numbers written as numbers, never as text."""

from decimal import Decimal, InvalidOperation

from openpyxl.cell import WriteOnlyCell

# Two decimals always (1500 reads 1,500.00, 764.6 reads 764.60), up to five where the figure carries them (7.194).
MONEY_FORMAT = "#,##0.00###"


def money_cell(sheet, value):
    """A money cell of `sheet` (a normal or write-only worksheet) for `value`: a Decimal, a number or the text of
    one (as a run's figures keep it in JSON). None and text that is no number are written as they are."""
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except InvalidOperation:
            return value
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = MONEY_FORMAT
    return cell
