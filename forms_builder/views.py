"""The forms pages for ops: the list, a form's versions and submissions, the drag-and-drop editor, exports."""

import json
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from forms_builder import selectors
from forms_builder.engine import build_form, logic_rules, region_tree
from forms_builder.errors import (
    MSG_CREATED,
    MSG_DRAFT_SAVED,
    MSG_NOT_ALLOWED,
    MSG_PUBLISHED,
    MSG_REPLAYED,
    MSG_SETTINGS_SAVED,
    MSG_SUBMISSION_SAVED,
    FormError,
)
from forms_builder.exports import submissions_csv, submissions_xlsx
from forms_builder.filters import answer_filterset
from forms_builder.keymap import SAFE_CONVERSIONS, answerable
from forms_builder.models import Form, FormSubmission, FormWebhookDelivery
from forms_builder.permissions import (
    masks_mobiles,
    may_edit_forms,
    may_edit_submissions,
    may_view_forms,
    may_view_submissions,
)
from forms_builder.schema import BINDINGS, FIELD_TYPES, OPERATORS, schema_problems
from forms_builder.services import (
    form_create,
    form_draft_save,
    form_settings_save,
    form_update,
    form_version_publish,
    submission_edit,
)
from forms_builder.tables import FormTable, SubmissionTable, answer_columns
from forms_builder.views_public import sections_for_display, style_widgets, with_problems
from forms_builder.webhooks import SIGNATURE_HEADER, url_origin, webhook_replay
from scrm.forms import bootstrap
from scrm.models import Team
from scrm.paginators import TableRequestConfig
from scrm.platform.access import ModuleRequiredMixin

EXPORT_LIMIT = 50_000

# The editor's words (its script builds the panels).
EDITOR_TEXT = {
    "field": _('Field'),
    "key": _('Key'),
    "label": _('Label'),
    "help": _('Help text'),
    "placeholder": _('Placeholder'),
    "required": _('Required'),
    "default": _('Default'),
    "options": _('Options (one per line: value|label)'),
    "min": _('Minimum'),
    "max": _('Maximum'),
    "min_length": _('Minimum length'),
    "max_length": _('Maximum length'),
    "regex": _('Pattern (regular expression)'),
    "file_types": _('Accepted file types (.jpg .png ...)'),
    "max_size_mb": _('Largest file (MB)'),
    "depth": _('Region level to reach (1 = top; empty: the last)'),
    "bind": _('Customer profile field'),
    "none": _('(none)'),
    "visible_if": _('Show only when'),
    "required_if": _('Required when'),
    "flag_required": _('Required'),
    "flag_visible_if": _('Shown only when its conditions hold'),
    "flag_required_if": _('Required when its conditions hold'),
    "all": _('all of these hold'),
    "any": _('any of these holds'),
    "add_condition": _('Add a condition'),
    "remove": _('Remove'),
    "up": _('Move up'),
    "down": _('Move down'),
    "empty_section": _('Drop fields here'),
    "page": _('Page'),
    "page_title": _('Page title'),
    "select_field": _('Select a field to change it, or open the form settings.'),
    "settings": _('Form settings'),
    "submit_label": _('Submit button text'),
    "thank_you": _('Thank-you message'),
    "intake": _('Ticket (intake forms)'),
    "subject_field": _('Ticket subject from field'),
    "ticket_type": _('Ticket type code'),
    "queue": _('Queue code'),
    "priority": _('Priority (1 = P1 … 4 = P4)'),
    "tags": _('Tags (comma-separated)'),
    "rules": _('Routing rules (JSON: [{"when": {...}, "ticket_type": "..."}])'),
    "saved": _('Draft saved.'),
    "problems": _('The form cannot be saved yet:'),
    "publish_confirm": _('Publish this form as a new version? Customers will see it at once.'),
    "value": _('value'),
    "bad_json": _('The routing rules are not valid JSON.'),
    "map_title": _('Fields changed since the published version: say what happens to the answers already given.'),
    "map_removed": _('Removed or renamed'),
    "map_renamed_to": _('its answers now belong to'),
    "map_no_rename": _('(no field: keep them under the old key)'),
    "map_retyped": _('Type changed'),
    "map_convert": _('convert the old answers to the new type'),
    "map_keep": _('keep the old answers as they were (shown in their own version)'),
    "map_unsafe": _('no safe conversion: the old answers are kept as they were'),
    "map_publish": _('Publish with this mapping'),
    "cancel": _('Cancel'),
}


class FormCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    slug = forms.SlugField(label=_("Address"), max_length=50,
                           help_text=_("Letters, digits and dashes: the end of the public link."))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Form.Purpose.choices)
    owner_team = forms.ModelChoiceField(label=_("Owner team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = Team.objects.order_by("name")
        bootstrap(self)


class FormSettingsForm(forms.Form):
    # The name and owner team chosen at creation, changed here (a post without them leaves them as they are).
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    owner_team = forms.ModelChoiceField(label=_("Owner team"), queryset=Team.objects.none(), required=False)
    edit_days = forms.IntegerField(label=_("Customers may change their answers for (days)"), min_value=0,
                                   max_value=365, initial=0, help_text=_("0: not at all."))
    captcha = forms.BooleanField(label=_("Ask for a captcha"), required=False,
                                 help_text=_("Beside the hidden bot trap: a picture whose characters people type."))
    webhook_url = forms.URLField(label=_("Webhook URL"), required=False, max_length=500, assume_scheme="https",
                                 help_text=_("Each submission is POSTed here as signed JSON (docs/forms.md). Only "
                                             "the saved address's origin is shown: left as is, the full saved URL "
                                             "is kept. Public internet addresses only."))
    webhook_secret = forms.CharField(label=_("Webhook secret"), required=False, max_length=200,
                                     widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                                     help_text=_("Leave empty to keep the stored one. Never shown again."))

    def __init__(self, *args, stored_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_url = stored_url
        self.fields["owner_team"].queryset = Team.objects.order_by("name")
        bootstrap(self, small=True)


    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if "name" in self.data and not name:
            raise forms.ValidationError(self.fields["name"].error_messages["required"], code="required")
        return name

    def changes(self):
        """The settings the post carried, for form_settings_save: name and owner team only when sent."""
        values = {key: value for key, value in self.cleaned_data.items() if key not in ("name", "owner_team")}
        for key in ("name", "owner_team"):
            if key in self.data:
                values[key] = self.cleaned_data[key]
        return values

    def clean_webhook_url(self):
        # The page shows only the stored URL's origin (a path or query string may hold a token): sent back as
        # shown, it keeps the stored URL; anything else replaces it, empty removes the webhook.
        url = self.cleaned_data["webhook_url"]
        parts = urlsplit(url)
        if (self.stored_url and url and url_origin(url) == url_origin(self.stored_url) and parts.path in ("", "/")
                and not parts.query and not parts.fragment):
            return self.stored_url
        return url


def settings_form_for(form, data=None):
    return FormSettingsForm(data, stored_url=form.webhook_url, initial={
        "name": form.name, "owner_team": form.owner_team_id, "edit_days": form.edit_days, "captcha": form.captcha,
        "webhook_url": url_origin(form.webhook_url)})


class _FormsPage(ModuleRequiredMixin):
    module = "forms"
    rule = staticmethod(may_view_forms)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.rule(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)
        return super().dispatch(request, *args, **kwargs)

    def get_form_obj(self, pk):
        return get_object_or_404(Form.objects.select_related("current_version"), pk=pk)


class _EditPage(_FormsPage):
    rule = staticmethod(may_edit_forms)


class FormsBuilderIndexView(_FormsPage, TemplateView):
    template_name = "forms_builder/list.html"

    def get_context_data(self, **kwargs):
        purpose = self.request.GET.get("purpose") or ""
        table = FormTable(selectors.form_list(purpose=purpose or None))
        TableRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        return super().get_context_data(table=table, create_form=kwargs.pop("create_form", None) or FormCreateForm(),
                                        may_edit=may_edit_forms(self.request.user), purposes=Form.Purpose.choices,
                                        purpose=purpose, **kwargs)


class FormCreateView(_EditPage, View):
    def post(self, request):
        form = FormCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = form_create(organization=request.user.organization, name=data["name"], slug=data["slug"],
                                      purpose=data["purpose"], owner_team=data["owner_team"], actor=request.user)
            except FormError as exc:
                form.add_error("slug", str(exc))
            else:
                messages.success(request, MSG_CREATED % {"name": created.name})
                return redirect("forms_builder:form-edit", created.pk)
        view = FormsBuilderIndexView()
        view.setup(request)
        return render(request, view.template_name, view.get_context_data(create_form=form), status=400)


RECENT_SUBMISSIONS = 10  # on a form's page; the submissions page lists them all


class FormDetailView(_FormsPage, TemplateView):
    template_name = "forms_builder/detail.html"

    def get_context_data(self, pk, **kwargs):
        form = self.get_form_obj(pk)
        user = self.request.user
        context = {"form": form, "may_edit": may_edit_forms(user), "versions": selectors.form_versions_with_diffs(form),
                   "public_url": self.request.build_absolute_uri(
                       reverse("forms_public:form", kwargs={"org": user.organization.slug, "slug": form.slug}))}
        if context["may_edit"]:
            context["settings_form"] = kwargs.pop("settings_form", None) or settings_form_for(form)
            context["has_webhook_secret"] = bool(form.webhook_secret)
            context["webhook_origin"] = url_origin(form.webhook_url)
            context["deliveries"] = selectors.webhook_deliveries(form)
            context["signature_header"] = SIGNATURE_HEADER
        if may_view_submissions(user):
            # A form of one version: "v1" on every row says nothing, and the card beside the versions has no room
            # for it (at 1280 in English the table ran out of its card).
            single = len(context["versions"]) <= 1
            # The newest few only (42 made a page of scrolling past the charts); "All answers" lists them all.
            submissions = selectors.form_submissions(form)
            context["submission_count"] = submissions.count()
            unused = (("version",) if single else ()) + selectors.submission_unused_columns(form)
            table = SubmissionTable(list(submissions[:RECENT_SUBMISSIONS]), masked=masks_mobiles(user), viewer=user,
                                    orderable=False, exclude=unused)
            context["table"] = table
            context["recent_submissions"] = RECENT_SUBMISSIONS
            # A form with no answer yet shows an empty state, never charts of zeros; so does a field nobody answered
            # and a daily series with no answer in its window.
            context["has_answers"] = bool(context["submission_count"])
            if context["has_answers"]:
                context["summary"] = selectors.form_summary(form)
                context["daily"] = selectors.form_daily_counts(form)
                context["daily_total"] = sum(day["count"] for day in context["daily"])
                context["chart"] = {"summary": [{"key": entry["key"],
                                                 "labels": [row["label"] for row in entry["rows"]],
                                                 "counts": [row["count"] for row in entry["rows"]]}
                                                for entry in context["summary"] if entry.get("total")],
                                    "daily": context["daily"] if context["daily_total"] else [],
                                    "label": str(_("Submissions"))}
        return super().get_context_data(**context, **kwargs)


class FormStatusView(_EditPage, View):
    """Close a published form to new answers, or reopen it."""

    def post(self, request, pk):
        form = self.get_form_obj(pk)
        status = Form.Status.CLOSED if request.POST.get("status") == "closed" else Form.Status.PUBLISHED
        form_update(form=form, status=status, actor=request.user)
        return redirect("forms_builder:form-detail", form.pk)


class FormSettingsView(_EditPage, View):
    """Editing by customers, the captcha, the webhook: the form's settings beside its schema."""

    def post(self, request, pk):
        form = self.get_form_obj(pk)
        given = settings_form_for(form, request.POST)
        if given.is_valid():
            try:
                form_settings_save(form=form, actor=request.user, **given.changes())
            except FormError as exc:
                given.add_error("webhook_url" if "webhook_url" in exc.problems else "webhook_secret", str(exc))
            else:
                messages.success(request, MSG_SETTINGS_SAVED)
                return redirect("forms_builder:form-detail", form.pk)
        view = FormDetailView()
        view.setup(request, pk=pk)
        return render(request, view.template_name, view.get_context_data(pk=pk, settings_form=given), status=400)


class WebhookReplayView(_EditPage, View):
    """Send a failed or dead delivery again (the outbox's replay)."""

    def post(self, request, pk, delivery_pk):
        form = self.get_form_obj(pk)
        delivery = get_object_or_404(FormWebhookDelivery, form=form, pk=delivery_pk)
        if webhook_replay(delivery) is not None:
            messages.success(request, MSG_REPLAYED)
        return redirect(reverse("forms_builder:form-detail", args=[form.pk]) + "#webhook")


class FormEditorView(_EditPage, TemplateView):
    template_name = "forms_builder/editor.html"

    def get_context_data(self, pk, **kwargs):
        form = self.get_form_obj(pk)
        editor = {
            "schema": form.draft_schema,
            "types": [{"type": key, "label": str(label)} for key, label in FIELD_TYPES.items()],
            "operators": [{"op": key, "label": str(label)} for key, label in OPERATORS.items()],
            "bindings": list(BINDINGS),
            # The published version's fields, so that publishing can ask for the mapping of changed keys.
            "published": ([{"key": f["key"], "type": f["type"], "label": f["label"]}
                           for f in answerable(form.current_version.schema).values()]
                          if form.current_version_id else []),
            "conversions": {kind: sorted(targets) for kind, targets in SAFE_CONVERSIONS.items()},
            "text": {key: str(value) for key, value in EDITOR_TEXT.items()},
            "urls": {"draft": reverse("forms_builder:form-draft", args=[form.pk]),
                     "publish": reverse("forms_builder:form-publish", args=[form.pk]),
                     "preview": reverse("forms_builder:form-preview", args=[form.pk]),
                     "detail": reverse("forms_builder:form-detail", args=[form.pk])},
        }
        return super().get_context_data(form=form, editor=editor, **kwargs)


def _body(request):
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _schema_from(request):
    return _body(request).get("schema")


def _problems_response(problems, status=400):
    return JsonResponse({"ok": False, "problems": [{"path": path, "message": str(message)}
                                                   for path, message in problems]}, status=status)


class FormDraftSaveView(_EditPage, View):
    def post(self, request, pk):
        form = self.get_form_obj(pk)
        schema = _schema_from(request)
        try:
            form_draft_save(form=form, schema=schema)
        except FormError as exc:
            return _problems_response(exc.problems or [("/", str(exc))])
        return JsonResponse({"ok": True, "message": str(MSG_DRAFT_SAVED)})


class FormPublishView(_EditPage, View):
    def post(self, request, pk):
        form = self.get_form_obj(pk)
        body = _body(request)
        try:
            version = form_version_publish(form=form, actor=request.user, schema=body.get("schema"),
                                           key_map=body.get("key_map"))
        except FormError as exc:
            return _problems_response(exc.problems or [("/", str(exc))])
        message = MSG_PUBLISHED % {"number": version.number, "name": form.name}
        messages.success(request, message)
        return JsonResponse({"ok": True, "number": version.number, "message": str(message),
                             "redirect": reverse("forms_builder:form-detail", args=[form.pk])})


class FormPreviewView(_EditPage, View):
    """The form as customers will see it, from the editor's unsaved schema (rendered by the same engine)."""

    def post(self, request, pk):
        form = self.get_form_obj(pk)
        schema = _schema_from(request)
        problems = schema_problems(schema) if schema is not None else [("/", "?")]
        if problems:
            return render(request, "forms_builder/_preview.html", {"problems": problems})
        regions = selectors.region_choices_for(schema)
        bound = style_widgets(build_form(schema, regions=regions, prefix="preview"))
        return render(request, "forms_builder/_preview.html", {
            "form": form, "sections": sections_for_display(schema, bound), "logic": logic_rules(schema),
            "regions": region_tree(schema, regions),
            "submit_label": schema.get("submit_label", "")})


def filtered_submissions(request, form):
    """The form's submissions filtered on any field (the GET's "a_<key>" filters), the filterset, and the fields by
    key across every version (selectors.answer_fields)."""
    specs = selectors.answer_fields(form)
    regions = selectors.region_choices_for({"sections": [{"fields": specs}]})
    filterset = answer_filterset(specs, regions=regions)(request.GET or None,
                                                         queryset=selectors.form_submissions(form))
    return filterset, specs, regions


class SubmissionListView(_FormsPage, TemplateView):
    """Every submission of a form, one column per field key across its versions, filtered on any field."""

    template_name = "forms_builder/submissions.html"
    rule = staticmethod(may_view_submissions)

    def get_context_data(self, pk, **kwargs):
        form = self.get_form_obj(pk)
        filterset, specs, regions = filtered_submissions(self.request, form)
        # An invalid filter (a range of letters) is ignored and shown with its error; the valid ones apply.
        masked = masks_mobiles(self.request.user)
        table = SubmissionTable(filterset.qs, exclude=("summary", *selectors.submission_unused_columns(form)),
                                masked=masked, viewer=self.request.user,
                                extra_columns=answer_columns(specs, region_names=dict(regions), masked=masked))
        TableRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(form=form, filter=filterset, table=table, query=query.urlencode(),
                                        **kwargs)


class SubmissionDetailView(_FormsPage, TemplateView):
    template_name = "forms_builder/submission.html"
    rule = staticmethod(may_view_submissions)

    def get_context_data(self, pk, submission_pk, **kwargs):
        form = self.get_form_obj(pk)
        submission = get_object_or_404(FormSubmission.objects.select_related("version", "customer", "submitted_by"),
                                       form=form, pk=submission_pk)
        masked = masks_mobiles(self.request.user)
        return super().get_context_data(form=form, submission=submission,
                                        rows=selectors.submission_rows(submission, masked=masked),
                                        changes=selectors.submission_changes(submission, masked=masked),
                                        may_edit=may_edit_submissions(self.request.user), **kwargs)


class SubmissionEditView(_FormsPage, TemplateView):
    """Staff change a sent submission; the engine validates against the submission's own version."""

    template_name = "forms_builder/submission_edit.html"
    rule = staticmethod(may_edit_submissions)

    def _submission(self, pk, submission_pk):
        form = self.get_form_obj(pk)
        submission = get_object_or_404(FormSubmission.objects.select_related("version"), form=form, pk=submission_pk)
        return form, submission

    def _page(self, form, submission, bound, *, error="", status=200):
        schema = submission.version.schema
        context = {"form": form, "submission": submission, "logic": logic_rules(schema), "error": error,
                   "sections": sections_for_display(schema, style_widgets(bound))}
        return render(self.request, self.template_name, context, status=status)

    def _shown(self, submission):
        # The answers as the submission's page shows them: a mobile masked for a role that masks (saved unchanged,
        # submission_edit keeps the number).
        return selectors.submission_data(submission, masked=masks_mobiles(self.request.user))

    def get(self, request, pk, submission_pk):
        form, submission = self._submission(pk, submission_pk)
        bound = build_form(submission.version.schema, initial=self._shown(submission),
                           regions=selectors.region_choices_for(submission.version.schema))
        return self._page(form, submission, bound)

    def post(self, request, pk, submission_pk):
        form, submission = self._submission(pk, submission_pk)
        try:
            submission_edit(submission=submission, data=request.POST, files=request.FILES, actor=request.user)
        except FormError as exc:
            regions = selectors.region_choices_for(submission.version.schema)
            bound = build_form(submission.version.schema, data=request.POST, files=request.FILES,
                               initial=self._shown(submission), regions=regions)
            return self._page(form, submission, with_problems(bound, exc.problems), error=str(exc), status=400)
        messages.success(request, MSG_SUBMISSION_SAVED)
        return redirect("forms_builder:submission-detail", form.pk, submission.pk)


class SubmissionFileView(_FormsPage, View):
    rule = staticmethod(may_view_submissions)

    def get(self, request, pk, submission_pk, file_pk):
        stored = selectors.form_file(submission_id=submission_pk, file_id=file_pk)
        if stored is None or stored.submission.form_id != pk:
            raise Http404
        return FileResponse(stored.file.open("rb"), as_attachment=True, filename=stored.original_name)


class SubmissionExportView(_FormsPage, View):
    rule = staticmethod(may_view_submissions)

    def get(self, request, pk, extension):
        form = self.get_form_obj(pk)
        filterset, _specs, _regions = filtered_submissions(request, form)  # what the list showed, filters and all
        submissions = filterset.qs[:EXPORT_LIMIT]
        if extension == "xlsx":
            body = submissions_xlsx(form, submissions, masked=masks_mobiles(request.user))
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body = submissions_csv(form, submissions, masked=masks_mobiles(request.user))
            content_type = "text/csv; charset=utf-8"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="form-{form.slug}.{extension}"'
        return response
