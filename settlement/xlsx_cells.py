"""Cells of finance's workbooks that read as the page does: money to the fen (and finer only where the figure is
finer, as a channel's fee to a fraction of a fen), numbers written as numbers, never as text; text as plain text,
never a formula, never a character that makes openpyxl refuse the whole workbook."""

from decimal import Decimal, InvalidOperation

from openpyxl.cell import WriteOnlyCell

from scrm.customers.exports import neutralise
from scrm.text import xlsx_text

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


def text_cell(value):
    """A text cell for `value` (None stays empty): characters a workbook refuses dropped first (text stored before
    input was cleaned), then a leading = + - @ (or tab, carriage return, full-width forms) made inert, so what is
    left can never run as a formula."""
    if value is None:
        return None
    return neutralise(xlsx_text(str(value)))
