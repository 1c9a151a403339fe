"""The forms pages' tables (django-tables2)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from forms_builder.models import Form, FormSubmission
from forms_builder.selectors import column_answer, submission_data
from scrm.platform.access import user_openable_tickets


class FormTable(tables.Table):
    name = tables.LinkColumn("forms_builder:form-detail", args=[tables.A("pk")], verbose_name=_("Name"))
    slug = tables.Column(verbose_name=_("Address"))
    purpose = tables.Column(verbose_name=_("Purpose"))
    status = tables.Column(verbose_name=_("Status"))
    current_version = tables.Column(verbose_name=_("Current version"), orderable=False)
    version_count = tables.Column(verbose_name=_("Versions"))
    submission_count = tables.Column(verbose_name=_("Submissions"))
    updated_at = tables.DateTimeColumn(verbose_name=_("Updated"), format="Y-m-d H:i",
                                       attrs={"td": {"class": "text-nowrap"}})

    class Meta:
        model = Form
        fields = ("name", "slug", "purpose", "status", "current_version", "version_count", "submission_count",
                  "updated_at")
        # Headings are a word or two: each on one line; a long form name or address wraps instead (1280 px, in
        # two thirds of the row beside the new-form card).
        attrs = {"class": "table table-sm align-middle", "data-testid": "form-table", "thead": {"class": "text-nowrap"}}
        empty_text = _("No form yet: create the first one.")

    def render_current_version(self, value):
        return f"v{value.number}"


# A cell that keeps one line: a number, a time, a version, a source (2026-12-05 08:40 broke at its dash,
# T20261205-000018 at its hyphen, 公开页面 two characters a line); the answers wrap instead.
ONE_LINE = {"td": {"class": "text-nowrap"}}


class SubmissionTable(tables.Table):
    pk = tables.LinkColumn("forms_builder:submission-detail", args=[tables.A("form_id"), tables.A("pk")],
                           verbose_name="#", attrs=ONE_LINE)
    created_at = tables.DateTimeColumn(verbose_name=_("Submitted"), format="Y-m-d H:i", attrs=ONE_LINE)
    version = tables.Column(verbose_name=_("Version"), orderable=False, attrs=ONE_LINE)
    customer = tables.Column(verbose_name=_("Customer"), orderable=False)
    source = tables.Column(verbose_name=_("Source"), attrs=ONE_LINE)
    outcome = tables.Column(verbose_name=_("Ticket"), orderable=False, attrs=ONE_LINE)
    summary = tables.Column(verbose_name=_("Answers"), accessor="data", orderable=False,
                            attrs={"td": {"class": "forms-answer forms-summary"}})

    class Meta:
        model = FormSubmission
        fields = ("pk", "created_at", "version", "customer", "source", "outcome", "summary")
        # Headings on one line (版本 stood 版 / 本); a question's label longer than its column is cut, whole in its
        # tooltip (AnswerColumn).
        attrs = {"class": "table table-sm align-middle", "data-testid": "submission-table",
                 "thead": {"class": "text-nowrap"}}
        empty_text = _("No submission yet.")

    def __init__(self, *args, masked=True, viewer=None, **kwargs):
        self.masked = masked  # forms_builder.permissions.masks_mobiles of the viewer
        # A ticket number links to its ticket only for a viewer who may open it (the tickets app's rule, through
        # scrm.platform.access); for anyone else, and without a viewer, it is plain text.
        self.viewer, self._openable = viewer, None
        super().__init__(*args, **kwargs)

    def _openable_tickets(self):
        if self._openable is None:
            rows = self.page.object_list if getattr(self, "page", None) is not None else self.data
            ids = {(getattr(row, "record", row).outcome or {}).get("ticket_id") for row in rows}
            self._openable = user_openable_tickets(self.viewer, ids) if self.viewer is not None else set()
        return self._openable

    def render_version(self, value):
        return f"v{value.number}"

    def render_outcome(self, value):
        # The ticket the submission opened, a click away (its number alone sent people to search the tickets).
        number, ticket_id = (value or {}).get("number"), (value or {}).get("ticket_id")
        if not number:
            return "—"
        if not ticket_id or ticket_id not in self._openable_tickets():
            return number
        return format_html('<a href="{}" data-testid="submission-ticket">{}</a>',
                           reverse("tickets:ticket-detail", args=[ticket_id]), number)

    def render_summary(self, record):
        data = submission_data(record, masked=self.masked)
        shown = [str(v) for v in data.values() if isinstance(v, (str, int)) and not isinstance(v, bool)][:3]
        return format_html("<span class='text-muted small'>{}</span>", " · ".join(shown)[:80])


WIDE_ANSWERS = {"textarea": "forms-answer-long", "region": "forms-answer-region"}


class AnswerColumn(tables.Column):
    """One field key's answers, shown in the labels of the version each submission was made against (a key renamed
    or reworded across versions stays one column; converted answers read as the column's type)."""

    def __init__(self, spec, *, region_names, versions, masked=True, **kwargs):
        self.spec, self.region_names, self.versions, self.masked = spec, region_names, versions, masked
        # A long question ("我同意工程师上门服务时联系我") stood five lines over its column: its heading is cut to
        # the column, the whole label in its tooltip; the answers wrap, never narrower than a few characters.
        # A paragraph or a region path gets the room of a line or two (a 问题描述 at the narrow width stood ten).
        width = WIDE_ANSWERS.get(spec.get("type"), "")
        attrs = {"th": {"class": "forms-answer-head", "title": spec["label"]},
                 "td": {"class": f"forms-answer {width}".strip()}}
        super().__init__(accessor="data", orderable=False, default="", attrs=attrs, **kwargs)

    def render(self, value, record):
        return column_answer(self.spec, record, self.versions, region_names=self.region_names, masked=self.masked)


def answer_columns(specs, *, region_names, masked=True):
    """django-tables2 extra columns for `specs` (selectors.answer_fields): "a_<key>", labelled as now."""
    versions = {}
    return [(f"a_{spec['key']}", AnswerColumn(spec, region_names=region_names, versions=versions, masked=masked,
                                              verbose_name=spec["label"])) for spec in specs]
