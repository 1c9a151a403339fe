"""The forms' entries of the customer timeline (registered from FormsBuilderConfig.ready): what the customer
submitted, and each later change of it, for readers who may see submissions. Two queries a page."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from forms_builder.models import FormSubmission, FormSubmissionChange
from forms_builder.permissions import masks_mobiles, may_view_submissions
from forms_builder.selectors import change_shown, mobile_keys
from scrm.platform.access import user_can_use_module
from scrm.platform.timeline import TimelineEntry


def _older(queryset, before, limit):
    if before is not None:
        queryset = queryset.filter(created_at__lt=before)
    return queryset.order_by("-created_at", "-pk")[:limit]


def submission_entries(*, customer, before, limit, user=None):
    if user is not None and not may_view_submissions(user):
        return
    # The answers' page belongs to the forms module: an agent reads the entry but gets no link that answers 403.
    linked = user is None or user_can_use_module(user, "forms")
    submissions = FormSubmission.objects.filter(customer=customer).select_related("form")
    for submission in _older(submissions, before, limit):
        yield TimelineEntry(
            at=submission.created_at, kind="form", icon="bi-ui-checks",
            title=_("Sent the form “%(form)s”") % {"form": submission.form.name},
            url=reverse("forms_builder:submission-detail", args=[submission.form_id, submission.pk]) if linked else "",
        )
    masked = user is not None and masks_mobiles(user)  # as the customer's page beside it shows the mobile
    changes = FormSubmissionChange.objects.filter(submission__customer=customer).select_related(
        "submission__form", "submission__version", "by")
    for change in _older(changes, before, limit):
        submission = change.submission
        keys = mobile_keys(submission.version.schema) if masked else set()
        rows = [change_shown(c, keys) for c in change.changes]
        yield TimelineEntry(
            at=change.created_at, kind="form-change", icon="bi-pencil-square",
            title=_("Answers of “%(form)s” changed") % {"form": submission.form.name},
            detail="; ".join(f"{c['label']}: {c['before'] or '—'} → {c['after'] or '—'}" for c in rows),
            url=reverse("forms_builder:submission-detail", args=[submission.form_id, submission.pk]) if linked else "",
        )
