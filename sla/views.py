"""The SLA compliance report for supervisors, ops and viewers: a date range grouped by queue, team, agent,
priority or region, as a table, a chart and an Excel download. Reads only (sla.report)."""

from datetime import date, timedelta
from io import BytesIO

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from openpyxl import Workbook

from scrm.customers.exports import neutralise
from scrm.forms import ISO_DATE
from scrm.platform.access import ModuleRequiredMixin
from scrm.text import xlsx_text
from sla.report import (
    GROUPS,
    REPORT_TZ,
    compliance_chart,
    compliance_page_header,
    compliance_table,
    sla_compliance,
    user_reads_sla_reports,
)

MAX_RANGE_DAYS = 366
MSG_RANGE_ORDER = _("The start date must not be after the end date.")
MSG_RANGE_LONG = _("Choose a range of at most a year.")
# The product holds no ticket before 2000, and a range ending 9999-12-31 overflowed the date arithmetic (a 500).
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
MSG_RANGE_BOUNDS = _("Choose dates between %(earliest)s and %(latest)s.")


class SLAReportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control"}, format=ISO_DATE))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control"}, format=ISO_DATE))
    group_by = forms.ChoiceField(label=_("Group by"), choices=[(key, label) for key, (_f, label) in GROUPS.items()],
                                 widget=forms.Select(attrs={"class": "form-select"}))

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            value = data.get(name)
            if value and not EARLIEST <= value <= LATEST:
                self.add_error(name, MSG_RANGE_BOUNDS % {"earliest": EARLIEST, "latest": LATEST})  # drops it
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(MSG_RANGE_ORDER)
            if (end - start).days > MAX_RANGE_DAYS:
                raise forms.ValidationError(MSG_RANGE_LONG)
        return data


def _default_range():
    today = timezone.localtime(timezone.now(), REPORT_TZ).date()
    return {"start": today - timedelta(days=29), "end": today, "group_by": "queue"}


class SLAReportView(ModuleRequiredMixin, TemplateView):
    module = "reports"
    template_name = "sla/report.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_reads_sla_reports(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _form(self):
        data = self.request.GET if "start" in self.request.GET else {
            key: str(value) for key, value in _default_range().items()}
        return SLAReportForm(data)

    def get(self, request, *args, **kwargs):
        form = self._form()
        report = None
        if form.is_valid():
            data = form.cleaned_data
            rows, total = sla_compliance(user=request.user, start=data["start"], end=data["end"],
                                         group_by=data["group_by"])
            if request.GET.get("format") == "xlsx":
                return _excel(*compliance_table(rows, total, data["group_by"]), data)
            header, body = compliance_table(rows, total, data["group_by"], for_page=True)
            header_top, header_sub = compliance_page_header(data["group_by"])
            report = {"header": header, "header_top": header_top, "header_sub": header_sub, "rows": body[:-1],
                      "total": body[-1], "chart": compliance_chart(rows)}
        return self.render_to_response(self.get_context_data(form=form, report=report))


def _excel(header, body, data):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "SLA"
    sheet.append([neutralise(str(_("SLA compliance"))), f"{data['start']} – {data['end']}"])
    sheet.append([neutralise(xlsx_text(str(value))) for value in header])
    for row in body:
        sheet.append([neutralise(xlsx_text(value)) if isinstance(value, str) else value for value in row])
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"sla-{data['group_by']}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
