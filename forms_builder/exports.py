"""Submissions as CSV or XLSX: one column per field key across every version (labelled as in the latest), answers
as people read them, text a spreadsheet would run as a formula made inert."""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from forms_builder.selectors import answer_fields, column_answer, region_choices
from scrm.customers.exports import neutralise


def _rows(form, submissions, *, masked):
    specs = answer_fields(form)
    regions = dict(region_choices())
    versions = {}
    # Headed as the submissions list heads its columns, in the reader's language.
    yield ["#", _("Submitted"), _("Version"), _("Customer"), _("Ticket"), *(spec["label"] for spec in specs)]
    for submission in submissions:
        answers = [column_answer(spec, submission, versions, region_names=regions, masked=masked) for spec in specs]
        yield [submission.pk, timezone.localtime(submission.created_at).strftime("%Y-%m-%d %H:%M"),
               submission.version.number, submission.customer.display_name if submission.customer else "",
               (submission.outcome or {}).get("number", ""), *answers]


def submissions_csv(form, submissions, *, masked):
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel opens UTF-8 Chinese correctly only with the BOM
    writer = csv.writer(buffer)
    for row in _rows(form, submissions, masked=masked):
        writer.writerow([neutralise(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def submissions_xlsx(form, submissions, *, masked):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(form.name[:31] or "form")
    for row in _rows(form, submissions, masked=masked):
        sheet.append([neutralise(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
