"""Finance's statement pages: the list of imports, the upload, an import's page (its progress bar while a worker
reads it, then its figures or the reason it was refused, with the line), and the payment channel settings (with the
column mapping editor of mapped channels and a try-out on a sample file). One permission per action."""

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from scrm.filters import date_range
from scrm.forms import bootstrap
from scrm.paginators import TableRequestConfig
from scrm.platform.access import ModuleRequiredMixin
from settlement.filters import filter_empty_text
from settlement.models import PaymentChannel, StatementImport
from settlement.money_text import money_display
from settlement.reconciliation.services import RUN_PERMISSION
from settlement.statements import selectors
from settlement.statements.channels import payment_channel_save
from settlement.statements.mapped import FIELD_LABELS, FIELDS
from settlement.statements.messages import StatementRefused
from settlement.statements.services import (
    payment_channels_ensure,
    statement_import,
    statement_import_progress,
    statement_mapping_try,
)
from settlement.tables import MoneyColumn

MSG_UPLOADED = _("The statement was uploaded. It is being read; its figures appear here when it is done.")
MSG_CHANNEL_SAVED = _("The payment channel %(name)s was saved.")
MSG_DUPLICATE_LINK = _("Open the first import")


class _SettlementPage(ModuleRequiredMixin):
    module = "settlement"
    permission = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and (not request.user.organization_id
                                              or not request.user.has_perm(self.permission)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- statements -------------------------------------------------------------------------------------------------------

class StatementTable(tables.Table):
    file_name = tables.LinkColumn("settlement:statement-detail", args=[tables.A("pk")], verbose_name=_("File"),
                                 attrs={"td": {"class": "fin-wrap"}})  # a long file name breaks, not a date
    channel = tables.Column(verbose_name=_("Channel"), orderable=False)
    status = tables.TemplateColumn(template_name="settlement/statements/_status.html", verbose_name=_("Status"),
                                   extra_context={})
    period = tables.TemplateColumn("{{ record.period_start|date:'Y-m-d'|default:'—' }}"
                                   "{% if record.period_end and record.period_end != record.period_start %} – "
                                   "{{ record.period_end|date:'Y-m-d' }}{% endif %}",
                                   verbose_name=_("Statement days"), order_by=("period_start", "pk"),
                                   attrs={"td": {"class": "fin-nowrap"}})
    line_count = tables.Column(verbose_name=_("Line count"), attrs={"td": {"class": "text-end"}})
    gross_total = MoneyColumn(verbose_name=_("Net of refunds"), attrs={"td": {"class": "text-end"}})
    created_by = tables.Column(verbose_name=_("Imported by"), orderable=False, default="—")
    created_at = tables.DateTimeColumn(verbose_name=_("Uploaded at"), format="Y-m-d H:i", order_by=("created_at", "pk"),
                                       attrs={"td": {"class": "fin-nowrap"}})

    class Meta:
        model = StatementImport
        fields = ("file_name", "channel", "status", "period", "line_count", "gross_total", "created_by",
                  "created_at")
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "statements"}
        empty_text = _("No statement yet. Upload one, or drop the files in the statements folder.")


class StatementFilter(django_filters.FilterSet):
    channel = django_filters.ModelChoiceFilter(
        label=_("Channel"), queryset=lambda request: PaymentChannel.objects.order_by("name", "pk"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=StatementImport.Status.choices)
    day = date_range(_("Statement day"), method="filter_day")

    class Meta:
        model = StatementImport
        fields = ["channel", "status", "day"]

    def filter_day(self, queryset, name, value):
        """Imports whose statement days overlap the range."""
        if value and value.start:
            queryset = queryset.filter(period_end__gte=value.start)
        if value and value.stop:
            queryset = queryset.filter(period_start__lte=value.stop)
        return queryset


class StatementListView(_SettlementPage, TemplateView):
    permission = "settlement.view_statementimport"
    template_name = "settlement/statements/list.html"

    def get_context_data(self, **kwargs):
        filterset = StatementFilter(self.request.GET or None, queryset=selectors.statement_list(),
                                    request=self.request)
        bootstrap(filterset.form, small=True)
        table = StatementTable(filterset.qs, empty_text=filter_empty_text(filterset))
        TableRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        return super().get_context_data(filter=filterset, table=table, **kwargs)


class StatementUploadForm(forms.Form):
    channel = forms.ModelChoiceField(label=_("Payment channel"), queryset=PaymentChannel.objects.none(),
                                     widget=forms.Select(attrs={"class": "form-select"}))
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_("WeChat Pay: the trade bill CSV. Alipay: the bill ZIP as downloaded. Other channels: the CSV or "
                    "Excel file their column mapping describes."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.zip,.xlsx,.txt", "class": "form-control"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = selectors.payment_channel_list(active_only=True)


class StatementUploadView(_SettlementPage, TemplateView):
    permission = "settlement.add_statementimport"
    template_name = "settlement/statements/upload.html"

    def get_context_data(self, form=None, **kwargs):
        payment_channels_ensure(organization=self.request.user.organization)
        initial = {}
        if self.request.GET.get("channel"):
            initial["channel"] = self.request.GET["channel"]
        return super().get_context_data(form=form or StatementUploadForm(initial=initial), **kwargs)

    def post(self, request):
        form = StatementUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                row = statement_import(organization=request.user.organization, channel=form.cleaned_data["channel"],
                                       file=form.cleaned_data["file"], user=request.user,
                                       source=StatementImport.Source.UPLOAD)
            except StatementRefused as refused:
                first = getattr(refused, "first_import", None)
                if first is not None:
                    form.add_error("file", format_html('{} <a href="{}">{}</a>', refused.message,
                                                       reverse("settlement:statement-detail", args=[first.pk]),
                                                       MSG_DUPLICATE_LINK))
                else:
                    form.add_error("file", refused.message)
            else:
                messages.info(request, MSG_UPLOADED)
                return redirect("settlement:statement-detail", pk=row.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class _StatementMixin(_SettlementPage):
    permission = "settlement.view_statementimport"

    def get_statement(self):
        row = selectors.statement_get(pk=self.kwargs["pk"])
        if row is None:
            raise Http404
        return row


class StatementDetailView(_StatementMixin, TemplateView):
    template_name = "settlement/statements/detail.html"

    def get_context_data(self, **kwargs):
        row = self.get_statement()
        # An imported statement's next step is reconciling its days: offered here to who may run it.
        may_reconcile = (row.status == StatementImport.Status.IMPORTED and row.channel.active
                         and self.request.user.has_perm(RUN_PERMISSION))
        return super().get_context_data(statement=row, progress=statement_import_progress(row),
                                        layout_label=selectors.layout_label(row.layout),
                                        fee_total=money_display(row.fee_total),
                                        errors=selectors.statement_errors(row), may_reconcile=may_reconcile, **kwargs)


class StatementProgressView(_StatementMixin, TemplateView):
    """The progress bar alone, polled by htmx every second while a worker reads the file; once it is over it asks
    htmx to reload the page, which then shows the figures or the refusal."""

    template_name = "settlement/statements/_progress.html"

    def get(self, request, *args, **kwargs):
        row = self.get_statement()
        response = self.render_to_response({"statement": row, "progress": statement_import_progress(row)})
        if not row.in_progress and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
        return response


# --- payment channels -------------------------------------------------------------------------------------------------

class PaymentChannelListView(_SettlementPage, TemplateView):
    permission = "settlement.view_paymentchannel"
    template_name = "settlement/channels/list.html"

    def get_context_data(self, **kwargs):
        payment_channels_ensure(organization=self.request.user.organization)
        return super().get_context_data(channels=list(selectors.payment_channel_list()), **kwargs)


# A mapped CSV's column separator as the form names it → the character the mapping keeps ("delimiter"); none
# kept: the reader detects a comma or a tab from the first line.
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
DELIMITER_CHOICES = [("", _("Detect (comma or tab)")), ("comma", _("Comma ,")), ("semicolon", _("Semicolon ;")),
                     ("tab", _("Tab")), ("pipe", _("Pipe |"))]


class PaymentChannelForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    layout = forms.ChoiceField(label=_("Statement layout"), choices=PaymentChannel.Layout.choices)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    expected_fee_rate = forms.DecimalField(label=_("Expected fee rate"), required=False, max_digits=7,
                                           decimal_places=5, help_text=_("As a fraction: 0.006 for 0.6%."))
    amount_tolerance = forms.DecimalField(label=_("Amount tolerance"), max_digits=18, decimal_places=2, initial=0)
    fee_tolerance = forms.DecimalField(label=_("Fee tolerance"), max_digits=18, decimal_places=2, initial="0.01")
    timing_window_minutes = forms.IntegerField(label=_("Timing window (minutes)"), min_value=0, initial=30)
    write_off_limit = forms.DecimalField(label=_("Write-off limit"), max_digits=18, decimal_places=2, initial=100)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    # The column mapping of a mapped channel.
    refund_values = forms.CharField(label=_("Values of the type column that mean a refund"), required=False,
                                    help_text=_("Separated by commas, e.g. 退款,退货."))
    date_format = forms.CharField(label=_("Time format"), required=False, initial="%Y-%m-%d %H:%M:%S")
    encoding = forms.ChoiceField(label=_("Encoding"), choices=[("auto", _("Detect (UTF-8 or GBK)")),
                                                               ("utf-8", "UTF-8"), ("gb18030", "GBK")],
                                 initial="auto")
    delimiter = forms.ChoiceField(label=_("Column separator (CSV)"), choices=DELIMITER_CHOICES, required=False,
                                  initial="")
    header_row = forms.IntegerField(label=_("Row of the column titles"), min_value=1, initial=1)
    decimal_comma = forms.BooleanField(label=_("Amounts use a decimal comma (1.234,56)"), required=False)
    sample = forms.FileField(label=_("Sample file"), required=False,
                             help_text=_("Try the mapping on a statement file: nothing is imported."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in FIELDS:
            self.fields[f"column_{field}"] = forms.CharField(
                label=FIELD_LABELS[field], required=False, max_length=100,
                help_text=_("The title of its column in the file."))
        bootstrap(self)

    @classmethod
    def initial_of(cls, channel):
        mapping = channel.mapping or {}
        initial = {name: getattr(channel, name) for name in (
            "code", "name", "layout", "currency", "expected_fee_rate", "amount_tolerance", "fee_tolerance",
            "timing_window_minutes", "write_off_limit", "active")}
        initial.update({
            "refund_values": ",".join(mapping.get("refund_values") or []),
            "date_format": mapping.get("date_format", "%Y-%m-%d %H:%M:%S"),
            "encoding": mapping.get("encoding", "auto"), "header_row": mapping.get("header_row", 1),
            "decimal_comma": mapping.get("decimal_comma", False),
            "delimiter": {char: name for name, char in DELIMITERS.items()}.get(mapping.get("delimiter"), "")})
        for field in FIELDS:
            initial[f"column_{field}"] = (mapping.get("columns") or {}).get(field, "")
        return initial

    def values(self):
        data = self.cleaned_data
        mapping = {}
        # The mapping is kept whatever the layout: a mapped channel switched to another layout by mistake gets
        # its column titles back when switched back (only a mapped channel reads them).
        if data["layout"] == PaymentChannel.Layout.MAPPED or any(
                data.get(f"column_{field}", "").strip() for field in FIELDS):
            mapping = {
                "columns": {field: data[f"column_{field}"].strip() for field in FIELDS
                            if data.get(f"column_{field}", "").strip()},
                "refund_values": [value.strip() for value in data["refund_values"].replace("，", ",").split(",")
                                  if value.strip()],
                "date_format": data["date_format"] or "%Y-%m-%d %H:%M:%S", "decimal_comma": data["decimal_comma"],
                "encoding": data["encoding"], "header_row": data["header_row"] or 1,
            }
            if data.get("delimiter"):
                mapping["delimiter"] = DELIMITERS[data["delimiter"]]
        return {name: data[name] for name in (
            "code", "name", "layout", "expected_fee_rate", "amount_tolerance", "fee_tolerance",
            "timing_window_minutes", "write_off_limit", "active")} | {
            "currency": data["currency"].upper(), "mapping": mapping}


class PaymentChannelEditView(_SettlementPage, TemplateView):
    """Create (no pk) or change a channel; "Try" runs the mapping on a sample file and saves nothing."""

    template_name = "settlement/channels/form.html"

    @property
    def permission(self):
        return "settlement.change_paymentchannel" if "pk" in self.kwargs else "settlement.add_paymentchannel"

    def get_channel(self):
        if "pk" not in self.kwargs:
            return None
        channel = selectors.payment_channel_get(pk=self.kwargs["pk"])
        if channel is None:
            raise Http404
        return channel

    def get_context_data(self, form=None, **kwargs):
        channel = self.get_channel()
        if form is None:
            form = PaymentChannelForm(initial=PaymentChannelForm.initial_of(channel) if channel else None)
        channel_names = {"code", "name", "layout", "currency", "expected_fee_rate", "amount_tolerance",
                         "fee_tolerance", "timing_window_minutes", "write_off_limit", "active"}
        return super().get_context_data(
            form=form, channel=channel, channel_fields=[form[name] for name in form.fields if name in channel_names],
            mapping_fields=[form[name] for name in form.fields if name not in channel_names], **kwargs)

    def post(self, request, *args, **kwargs):
        channel = self.get_channel()
        form = PaymentChannelForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        values = form.values()
        if "try" in request.POST:
            sample = form.cleaned_data.get("sample")
            trial = PaymentChannel(organization=request.user.organization, **values)
            preview, refusal = ([], None)
            if sample is not None:
                preview, refusal = statement_mapping_try(channel=trial, mapping=values["mapping"] or None,
                                                         file=sample)
            return self.render_to_response(self.get_context_data(
                form=form, preview=preview, refusal=refusal.message if refusal else "", tried=sample is not None))
        try:
            channel = payment_channel_save(organization=request.user.organization, by=request.user,
                                           channel=channel, **values)
        except ValidationError as error:
            for field, problems in error.message_dict.items() if hasattr(error, "error_dict") else [
                    (None, error.messages)]:
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, MSG_CHANNEL_SAVED % {"name": channel.name})
        return redirect("settlement:channel-list")
