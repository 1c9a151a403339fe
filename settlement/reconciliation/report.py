"""The day's reconciliation report of a channel: figures per class, match rate, fees charged against expected, open
discrepancies by age, the 30-day trend; and its Excel workbook.

Text that came from outside (order numbers, notes, raw rows) never reaches a cell as a formula nor with a character
a workbook refuses: it goes through settlement.xlsx_cells.text_cell (scrm.text.xlsx_text, then the one neutraliser
every export uses: = + - @, tab, carriage return and their full-width forms)."""

import io
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from openpyxl import Workbook

from settlement.models import MatchClass
from settlement.reconciliation import selectors
from settlement.reconciliation.labels import decision_label, discrepancy_subject, match_keys_label
from settlement.reconciliation.matching import SUMMARY_CLASSES, SUMMARY_KEY
from settlement.xlsx_cells import money_cell, text_cell

CHINA = ZoneInfo("Asia/Shanghai")


def class_rows(run):
    """[(class, label, count, amount), ...] of the run's summary, then timing (figures)."""
    if run is None or not run.summary:
        return []
    rows = []
    for klass in SUMMARY_CLASSES:
        entry = run.summary.get(SUMMARY_KEY.get(klass, str(klass)), {"count": 0, "amount": "0.00"})
        rows.append((str(klass), klass.label, entry["count"], Decimal(entry["amount"])))
    timing = (run.figures or {}).get("timing") or {"count": 0, "amount": "0.00"}
    rows.append((MatchClass.TIMING.value, MatchClass.TIMING.label, timing["count"], Decimal(timing["amount"])))
    return rows


def day_report(*, channel, day):
    run = selectors.run_for_day(channel=channel, day=day)
    trend = selectors.run_trend(channel=channel, last_day=day)
    chart = {
        "labels": [str(r.period_start) for r in trend],
        "datasets": [
            {"label": str(_("Match rate (%)")), "yAxisID": "rate",
             "data": [float((r.figures or {}).get("match_rate") or 0) for r in trend]},
            {"label": str(_("Discrepancies")), "yAxisID": "count", "type": "bar",
             "data": [sum(v["count"] for k, v in r.summary.items() if isinstance(v, dict) and k != "matched")
                      for r in trend]},
        ],
    }
    return {"run": run, "classes": class_rows(run), "chart": chart,
            "ages": selectors.open_by_age(channel=channel).get(channel.pk, [])}


def day_workbook(*, channel, day):
    """The day's report as an .xlsx (bytes): Summary, Discrepancies, Lines."""
    report = day_report(channel=channel, day=day)
    run = report["run"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Summary"))
    sheet.append([text_cell(channel.name), str(day)])
    sheet.append([_("Class"), _("Count"), _("Amount")])
    for _klass, label, count, amount in report["classes"]:
        sheet.append([str(label), count, money_cell(sheet, amount)])
    if run is not None:
        sheet.append([_("Statement total"), None, money_cell(sheet, run.summary["statement_total"])])
        sheet.append([_("Ledger total"), None, money_cell(sheet, run.summary["ledger_total"])])
        figures = run.figures or {}
        rate = figures.get("match_rate")
        sheet.append([_("Match rate (%)"), None, Decimal(str(rate)) if rate not in (None, "") else None])
        sheet.append([_("Fees charged"), None, money_cell(sheet, figures.get("fee_charged"))])
        sheet.append([_("Fees expected"), None, money_cell(sheet, figures.get("fee_expected"))])
    sheet = book.create_sheet(_("Discrepancies"))
    sheet.append([_("About"), _("Class"), _("Status"), _("Order number"), _("Transaction id"), _("Store"),
                  _("Amount in the statement"), _("Amount in the ledger"), _("Difference"), _("Fee charged"),
                  _("Fee expected"), _("Resolution"), _("Note")])
    for d in selectors.report_discrepancies(channel=channel, day=day):
        sheet.append([text_cell(discrepancy_subject(d.key)), str(d.get_kind_display()), str(d.get_status_display()),
                      text_cell(d.order_number), text_cell(d.transaction_id),
                      text_cell(d.store.name) if d.store else None,
                      *[money_cell(sheet, value) for value in (d.statement_amount, d.ledger_amount, d.difference,
                                                               d.statement_fee, d.expected_fee)],
                      text_cell(decision_label(d.resolution_code)),
                      text_cell(d.note)])
    sheet = book.create_sheet(_("Lines"))
    sheet.append([_("Line"), _("Type"), _("Order number"), _("Refund number"), _("Transaction id"), _("Amount"),
                  _("Fee"), _("Net"), _("Time"), _("Result"), _("Matched by")])
    for line in selectors.report_lines(channel=channel, day=day):
        result = getattr(line, "match", None)  # none until a run covers the line
        sheet.append([line.line_number, str(line.get_kind_display()), text_cell(line.order_number),
                      text_cell(line.refund_number), text_cell(line.transaction_id),
                      *[money_cell(sheet, value) for value in (line.gross_amount, line.fee, line.net_amount)],
                      line.occurred_at.astimezone(CHINA).replace(tzinfo=None),
                      str(result.get_match_class_display()) if result else "",
                      match_keys_label(result.keys) if result else ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def yesterday(today):
    return today - timedelta(days=1)
