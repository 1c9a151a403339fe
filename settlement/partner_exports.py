"""Exports of partner settlement: one statement as an Excel workbook, the period summary across partners, and the
bank payment file (CSV) of approved statements. Numbers are written as numbers; text a spreadsheet would run as a
formula is neutralised. Amounts are the statement's, never recomputed here.

The statement as a PDF is settlement.partner_pdf's."""

import csv
import io

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook

from settlement.models import SettlementStatement, StatementLineKind
from settlement.money_text import rate_display
from settlement.xlsx_cells import money_cell, text_cell

# The rate of a line: the exchange rate of a line in another currency, the commission or tax rate of those lines.
# Titled "Exchange rate" alone, a commission of 8% read as an exchange rate of 0.08.
LINE_RATE = pgettext_lazy("statement line", "Rate")

# A name with what qualifies it, "Sales (CNY)": Chinese writes the full-width （）, as the rest of its UI does.
QUALIFIED_NAME = pgettext_lazy("a name and its qualifier", "%(name)s (%(qualifier)s)")

TOTALS = ("sales", "refunds", "channel_fees", "commission", "rebates", "service_income", "materials",
          "technician_payouts", "adjustments", "tax", "payable")



def line_label(line):
    """A statement line as the reader names it: a generated line by its kind in the reader's language (its stored
    description froze the language of whoever generated it), an adjustment by the reason finance typed. The page, the
    workbook and the PDF name lines the same way."""
    if line.kind == StatementLineKind.ADJUSTMENTS or line.kind not in StatementLineKind.values:
        return line.description
    label = StatementLineKind(line.kind).label
    if not line.source_currency:
        return str(label)
    return QUALIFIED_NAME % {"name": label, "qualifier": line.source_currency}


# Lines whose rate is a fraction of the amount (read as a percentage), not the rate a currency was converted at.
PERCENT_LINES = (StatementLineKind.COMMISSION, StatementLineKind.TAX)


def line_rate(line):
    """A line's rate as the page and the PDF show it: a commission or tax rate as a percentage (0.05 → 5%), an
    exchange rate as it is (7.1). Empty when the line has none; the workbook keeps the number."""
    if line.rate is None:
        return ""
    return rate_display(line.rate) if line.kind in PERCENT_LINES else line.rate

def _total_labels():
    # The fields' names are lower case ("sales", "payable"); a total's row starts with its label.
    return {name: str(capfirst(SettlementStatement._meta.get_field(name).verbose_name)) for name in TOTALS}


def _save(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text(value):
    return text_cell("" if value is None else value)


def statement_xlsx(statement):
    """The statement as a partner reads it: header facts, its lines (original and settled amounts), its totals."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Statement")[:31]
    partner = statement.partner
    facts = [
        (_("Partner"), _text(partner.name)), (_("Code"), _text(partner.code)),
        (_("Period"), f"{statement.period_start} – {statement.period_end}"),
        (_("Status"), str(statement.get_status_display())), (_("Currency"), statement.currency),
    ]
    for label, value in facts:
        sheet.append([label, value])
    sheet.append([])
    sheet.append([_("Line"), _("Count"), _("Original currency"), _("Original amount"), str(LINE_RATE),
                  _("Amount")])
    for line in statement.lines.all():
        sheet.append([_text(line_label(line)), line.count, line.source_currency,
                      money_cell(sheet, line.source_amount), line.rate, money_cell(sheet, line.amount)])
    sheet.append([])
    labels = _total_labels()
    for name in TOTALS:
        sheet.append([labels[name], None, None, None, None, money_cell(sheet, getattr(statement, name))])
    if statement.tax_included:
        sheet.append([_("of which tax"), None, None, None, None, money_cell(sheet, statement.tax_included)])
    for column, width in zip("ABCDEF", (36, 8, 10, 16, 14, 16), strict=True):
        sheet.column_dimensions[column].width = width
    return _save(workbook)


def period_summary_xlsx(statements):
    """One row per statement of the selection, with every total."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Summary")[:31])
    labels = _total_labels()
    sheet.append([_("Partner"), _("Code"), _("Region"), _("From"), _("To"), _("Status"), _("Currency"),
                  *[labels[name] for name in TOTALS]])
    for statement in statements:
        partner = statement.partner
        sheet.append([_text(partner.name), _text(partner.code), _text(partner.region.name),
                      statement.period_start, statement.period_end, str(statement.get_status_display()),
                      statement.currency, *[money_cell(sheet, getattr(statement, name)) for name in TOTALS]])
    return _save(workbook)


def bank_payable(statements):
    """The statements the bank file pays: approved, reaching their minimum payout, with something to pay."""
    return [statement for statement in statements
            if statement.status == SettlementStatement.Status.APPROVED and not statement.below_minimum
            and statement.payable > 0]


def bank_payment_csv(statements):
    """The bank's payment file: one transfer per approved statement whose payable reaches its minimum payout,
    account numbers in full (the file goes to the bank, never to a page)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["payee_name", "bank", "account_number", "amount", "currency", "reference"])
    for statement in bank_payable(statements):
        partner = statement.partner
        writer.writerow([_text(partner.bank_account_name or partner.name), _text(partner.bank_name),
                         partner.bank_account, f"{statement.payable:.2f}", statement.currency,
                         f"ST{statement.pk}-{statement.period_end:%Y%m%d}"])
    return buffer.getvalue()


def export_name(prefix, extension):
    return f"{prefix}-{timezone.localtime():%Y%m%d-%H%M}.{extension}"
