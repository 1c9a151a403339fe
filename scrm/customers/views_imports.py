"""Customer import (upload, preview, confirm, progress, undo) and export pages.

Every page is a page of the customers module; importing also needs the import permission (ops admins and
supervisors), undoing the undo permission. Batches are always looked up within the user's organization.
"""

import csv

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views import View
from django.views.generic import TemplateView

from scrm.customers import exports as export
from scrm.customers import imports
from scrm.errors import ScrmError
from scrm.models import Customer, CustomerExport, CustomerImport, Segment
from scrm.platform.access import ModuleRequiredMixin
from scrm.platform.tenancy import tenant_scope

PREVIEW_ERRORS = 100
# In the reader's language; every title, in either language, is one the import recognises (imports/columns.py).
TEMPLATE_HEADERS = [pgettext_lazy("person", "Name"), _("Real name"), _("Mobile"), _("Email"), _("Region code"),
                    _("Level"), _("Tags"), _("Owner"), _("Notes"), _("Channel"), _("External ID"), _("App ID")]
TEMPLATE_EXAMPLE = ["张三", "张三", "13812345678", "zhangsan@example.com", "", "VIP", "", "", "", "", "", ""]

MSG_UPLOADED = _("The file was uploaded. It is being checked; the preview appears here when the check is done.")
MSG_CONFIRMED = _("The import has started. This page shows its progress.")
MSG_CANCELLED = _("The import was cancelled. Nothing was imported.")
MSG_UNDO_STARTED = _("The import is being undone. This page shows its progress.")
MSG_EXPORT_QUEUED = _("This export is large, so it is being produced in the background. Download it from this page "
                      "when it is ready.")

ACTION_LABELS = {imports.NEW: _("New"), imports.UPDATE: _("Update"), imports.SKIP: _("Skipped")}


class CustomersModuleMixin(ModuleRequiredMixin, PermissionRequiredMixin):
    """A page of the customers module that also needs a model permission; only for users of an organization."""

    module = "customers"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.organization_id:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class BatchMixin(CustomersModuleMixin):
    permission_required = "scrm.add_customerimport"

    def get_batch(self):
        try:
            return imports.customer_import_get(organization=self.request.user.organization_id, pk=self.kwargs["pk"])
        except CustomerImport.DoesNotExist:
            raise Http404 from None

    def detail_url(self, batch):
        return reverse("scrm:customer-import-detail", args=[batch.pk])


class CustomerImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK) or Excel .xlsx, at most 20 MB and 200,000 rows. The first row holds the "
                    "column titles."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt", "class": "form-control"}),
    )


class CustomerImportView(BatchMixin, TemplateView):
    """Upload a file; below, the latest imports."""

    template_name = "scrm/customers/import_upload.html"

    def get_context_data(self, form=None, **kwargs):
        return super().get_context_data(
            form=form or CustomerImportForm(),
            batches=imports.customer_import_list(organization=self.request.user.organization_id), **kwargs,
        )

    def post(self, request):
        form = CustomerImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                batch = imports.customer_import_upload(
                    organization=request.user.organization, user=request.user, file=form.cleaned_data["file"])
            except ScrmError as exc:
                form.add_error("file", str(exc))
            else:
                messages.info(request, MSG_UPLOADED)
                return redirect(self.detail_url(batch))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CustomerImportTemplateView(BatchMixin, View):
    """An empty file with the column titles (and one example row), for people starting from scratch."""

    def get(self, request):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="customers-import-template.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow([str(title) for title in TEMPLATE_HEADERS])
        writer.writerow(TEMPLATE_EXAMPLE)
        return response


class CustomerImportDetailView(BatchMixin, TemplateView):
    """A batch: its progress while a worker runs, then the preview and errors, confirm / cancel, later undo."""

    template_name = "scrm/customers/import_detail.html"

    def get_context_data(self, **kwargs):
        batch = self.get_batch()
        user = self.request.user
        Status = CustomerImport.Status
        preview = [
            {**row, "action_label": ACTION_LABELS.get(row["action"], row["action"]),
             "level_label": Customer.Level(row["level"]).label if row["level"] else ""}
            for row in batch.preview
        ]
        errors = list(imports.customer_import_errors(batch=batch, limit=PREVIEW_ERRORS))
        return super().get_context_data(
            batch=batch, Status=Status, progress=imports.customer_import_progress(batch),
            failure=imports.customer_import_failure(batch), preview=preview, errors=errors,
            errors_total=batch.row_errors.count() if errors else 0, errors_shown=PREVIEW_ERRORS,
            same_file=imports.customer_import_same_file(batch=batch) if batch.status == Status.VALIDATED else None,
            can_confirm=batch.status == Status.VALIDATED and bool(batch.new_count or batch.update_count),
            can_cancel=batch.status in {Status.UPLOADED, Status.VALIDATED},
            can_undo=batch.status == Status.APPLIED and user.has_perm("scrm.undo_customerimport"),
            **kwargs,
        )


class CustomerImportProgressView(BatchMixin, TemplateView):
    """The progress bar alone, polled by htmx every second while a worker runs; once the phase is over it answers
    without the polling attributes and asks htmx to reload the page, which then shows the outcome."""

    template_name = "scrm/customers/import_progress.html"

    def get(self, request, *args, **kwargs):
        batch = self.get_batch()
        response = self.render_to_response({"batch": batch, "progress": imports.customer_import_progress(batch)})
        if not batch.in_progress and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
        return response


class CustomerImportConfirmView(BatchMixin, View):
    def post(self, request, pk):
        batch = self.get_batch()
        try:
            imports.customer_import_confirm(batch=batch, user=request.user)
        except ScrmError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, MSG_CONFIRMED)
        return redirect(self.detail_url(batch))


class CustomerImportCancelView(BatchMixin, View):
    def post(self, request, pk):
        batch = self.get_batch()
        try:
            imports.customer_import_cancel(batch=batch, user=request.user)
        except ScrmError as exc:
            messages.error(request, str(exc))
            return redirect(self.detail_url(batch))
        messages.success(request, MSG_CANCELLED)
        return redirect("scrm:customer-import")


class CustomerImportUndoView(BatchMixin, TemplateView):
    """GET asks for confirmation, POST undoes."""

    permission_required = ("scrm.add_customerimport", "scrm.undo_customerimport")
    template_name = "scrm/customers/import_undo.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(batch=self.get_batch(), **kwargs)

    def post(self, request, pk):
        batch = self.get_batch()
        try:
            imports.customer_import_request_undo(batch=batch, user=request.user)
        except ScrmError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, MSG_UNDO_STARTED)
        return redirect(self.detail_url(batch))


class CustomerImportErrorsView(BatchMixin, View):
    """Every row error of a batch as CSV (UTF-8 with BOM), streamed."""

    def get(self, request, pk):
        batch = self.get_batch()
        writer = csv.writer(export.Echo())
        titles = [str(_("Row")), str(_("Column")), str(_("Error"))]
        organization_id = request.user.organization_id

        def stream():
            # A streamed body is produced after the middleware's tenant scope has closed.
            with tenant_scope(organization_id):
                yield ("\ufeff" + writer.writerow(titles)).encode()
                for error in imports.customer_import_errors(batch=batch):
                    yield writer.writerow([error["row"], export.neutralise(error["column"]),
                                           export.neutralise(error["message"])]).encode()

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="customer-import-{batch.pk}-errors.csv"'
        return response


class CustomerExportView(CustomersModuleMixin, TemplateView):
    """GET with no format: how many customers the export holds and how; with ?format=csv|xlsx: the file.
    The list page passes its own query string (or ?segment=<id>); POST exports a selection (ids=...)."""

    permission_required = export.EXPORT_PERMISSION
    template_name = "scrm/customers/export.html"
    CONTROL_PARAMS = ("format", "pii", "segment")

    def get(self, request, *args, **kwargs):
        segment = self._segment()
        query = self._query()
        try:
            customers = export.customer_export_queryset(user=request.user, query=query, segment=segment)
        except ScrmError as exc:
            return self.render_to_response(self.get_context_data(error=str(exc), segment=segment), status=400)
        file_format = request.GET.get("format")
        if file_format in ("csv", "xlsx"):
            response = self._download(customers, file_format, masked=request.GET.get("pii") == "masked",
                                      query=segment.query if segment else query)
            if response is not None:
                return response
            return redirect(f"{reverse('scrm:customer-export')}?{self._page_query()}")
        return self.render_to_response(self.get_context_data(
            count=customers.count(), segment=segment, page_query=self._page_query(),
            reveal=export.customer_export_reveals(request.user), xlsx_limit=export.XLSX_MAX_ROWS,
        ))

    def post(self, request, *args, **kwargs):
        try:
            ids = [int(value) for value in request.POST.getlist("ids")]
        except ValueError:
            ids = []
        file_format = request.POST.get("format", "csv")
        if file_format not in ("csv", "xlsx"):
            raise Http404
        try:
            customers = export.customer_export_queryset(user=request.user, ids=ids)
        except ScrmError as exc:
            messages.error(request, str(exc))
            return redirect("scrm:customers")
        response = self._download(customers, file_format, masked=request.POST.get("pii") == "masked", ids=ids)
        return response if response is not None else redirect("scrm:customers")

    def _segment(self):
        segment_id = self.request.GET.get("segment")
        if not segment_id:
            return None
        if not segment_id.isdigit():
            raise Http404
        return get_object_or_404(Segment.objects.filter(organization_id=self.request.user.organization_id),
                                 pk=segment_id)

    def _query(self):
        params = self.request.GET.copy()
        for name in self.CONTROL_PARAMS:
            params.pop(name, None)
        return params.urlencode()

    def _page_query(self):
        params = self.request.GET.copy()
        for name in ("format", "pii"):
            params.pop(name, None)
        return params.urlencode()

    def _download(self, customers, file_format, *, masked, query="", ids=None):
        """The file, a redirect to the page of a large export a worker now produces, or None (with a message) when
        it cannot be made."""
        user = self.request.user
        if customers.count() > export.SYNC_EXPORT_ROWS:
            try:
                job = export.customer_export_start(user=user, file_format=file_format, customers=customers,
                                                   query=query, ids=ids, masked=masked)
            except ScrmError as exc:
                messages.error(self.request, str(exc))
                return None
            messages.info(self.request, MSG_EXPORT_QUEUED)
            return redirect("scrm:customer-export-job", pk=job.pk)
        reveal = export.customer_export_reveals(user, masked=masked)
        if file_format == "csv":
            response = StreamingHttpResponse(
                export.customer_export_csv(queryset=customers, user=user, reveal=reveal),
                content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = f'attachment; filename="{export.customer_export_filename("csv")}"'
            return response
        try:
            output = export.customer_export_xlsx(queryset=customers, user=user, reveal=reveal)
        except ScrmError as exc:
            messages.error(self.request, str(exc))
            return None
        return FileResponse(
            output, as_attachment=True, filename=export.customer_export_filename("xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


class ExportJobMixin(CustomersModuleMixin):
    permission_required = export.EXPORT_PERMISSION

    def get_job(self):
        try:
            return export.customer_export_get(user=self.request.user, pk=self.kwargs["pk"])
        except CustomerExport.DoesNotExist:
            raise Http404 from None


class CustomerExportJobView(ExportJobMixin, TemplateView):
    """A large export: its progress while a worker produces it, then the download."""

    template_name = "scrm/customers/export_job.html"

    def get_context_data(self, **kwargs):
        job = self.get_job()
        return super().get_context_data(
            job=job, progress=export.customer_export_progress(job),
            masked=not export.customer_export_reveals(self.request.user, masked=job.masked), **kwargs,
        )


class CustomerExportProgressView(ExportJobMixin, TemplateView):
    """The export's progress bar alone, polled by htmx; once done it asks htmx to reload the page."""

    template_name = "scrm/customers/export_progress.html"

    def get(self, request, *args, **kwargs):
        job = self.get_job()
        response = self.render_to_response({"job": job, "progress": export.customer_export_progress(job)})
        if not job.in_progress and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
        return response


class CustomerExportDownloadView(ExportJobMixin, View):
    def get(self, request, pk):
        job = self.get_job()
        if job.status != CustomerExport.Status.DONE:
            raise Http404
        content_type = ("text/csv; charset=utf-8" if job.file_format == CustomerExport.Format.CSV
                        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return FileResponse(export.customer_export_open(job), as_attachment=True, filename=job.file_name,
                            content_type=content_type)
