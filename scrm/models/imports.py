"""Customer imports and large exports.

An import is a batch per uploaded file, the row errors its check found, and the undo log of what it changed; its
workflow (upload → check → confirm → apply → undo) lives in scrm.customers.imports. A large export is a job
a worker produces (scrm.customers.exports). These tables only record them.

The files themselves (an upload, a produced export) are stored through Django's storage API (a local folder or an
object store alike, so a worker on any machine can read them) under a folder per organization, never under the
name the user gave them: imports/<organization>/<random>.<csv|xlsx>, exports/<organization>/<random>.<csv|xlsx>.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scrm.platform.outbox import OutboxModel, States, due_index
from scrm.platform.tenancy import TenantModel


class JobState(models.TextChoices):
    """Where a job's current piece of work is in the outbox (scrm.platform.outbox); its `status` is what the user
    reads."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Failed for good")


JOB_STATES = States(pending=JobState.QUEUED, inflight=JobState.RUNNING, done=JobState.DONE, failed=JobState.FAILED,
                    dead=JobState.DEAD)


def customer_import_path(instance, filename):
    """imports/<organization>/<random>.<kind>: never the uploader's file name (it may be anything)."""
    return f"imports/{instance.organization_id}/{uuid.uuid4().hex}.{instance.file_kind}"


def customer_export_path(instance, filename):
    """exports/<organization>/<random>.<format>."""
    return f"exports/{instance.organization_id}/{uuid.uuid4().hex}.{instance.file_format}"


def job_state_field():
    return models.CharField(_("job state"), max_length=8, choices=JobState.choices, default=JobState.QUEUED,
                            editable=False)


class CustomerImport(OutboxModel, TenantModel):
    """One uploaded customer file and what became of it. Each phase a worker runs (check, apply, undo) is a job of
    the outbox kind "customer_import", on the jobs queue."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting to be checked")
        VALIDATING = "validating", _("Checking")
        VALIDATED = "validated", _("Checked, waiting for confirmation")
        APPLYING = "applying", _("Importing")
        APPLIED = "applied", _("Imported")
        UNDOING = "undoing", _("Undoing")
        UNDONE = "undone", _("Undone")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel workbook")

    file_name = models.CharField(_("file name"), max_length=255)
    file_kind = models.CharField(_("file type"), max_length=8, choices=Kind.choices)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_size = models.PositiveIntegerField(_("file size"))
    # The uploaded file in storage; deleted (and this emptied) once the batch is applied, cancelled or failed: the
    # undo log does not need it, and it holds personal data.
    file = models.FileField(_("file"), upload_to=customer_import_path, max_length=255, blank=True, editable=False)
    # {"matched": [[field, title as written in the file], ...] in file order, "ignored": [titles nobody knows]}
    columns = models.JSONField(_("columns"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED)
    job_state = job_state_field()
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    new_count = models.PositiveIntegerField(_("new customers"), default=0)
    update_count = models.PositiveIntegerField(_("updated customers"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    # The first rows as they will be imported (masked), for the preview.
    preview = models.JSONField(_("preview"), default=list)
    # Why the batch failed (or why an undo was refused), as a message code with its parameters, rendered in the
    # reader's language; `failure_detail` holds the technical cause (a database error) when there is one.
    failure_code = models.CharField(_("failure"), max_length=32, blank=True)
    failure_params = models.JSONField(_("failure parameters"), default=dict, blank=True)
    failure_detail = models.TextField(_("failure detail"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("uploaded by"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("confirmed by"))
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("undone by"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    validated_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        ordering = ["-created_at", "-pk"]
        permissions = [("undo_customerimport", _("Can undo a customer import"))]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="custimport_org_created_idx"),
            models.Index(fields=["organization", "file_sha256"], name="custimport_org_sha_idx"),
            due_index("custimport_due_idx", JOB_STATES, field="job_state"),
        ]

    def __str__(self):
        return self.file_name

    @property
    def in_progress(self):
        return self.status in {self.Status.UPLOADED, self.Status.VALIDATING, self.Status.APPLYING,
                               self.Status.UNDOING}


class CustomerImportRowError(TenantModel):
    """One problem with one cell (or a whole row) of an imported file. The message is a code with parameters,
    rendered in the reader's language (the check runs in a worker, which has no user language)."""

    batch = models.ForeignKey(CustomerImport, on_delete=models.CASCADE, related_name="row_errors",
                              verbose_name=_("import"))
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    code = models.CharField(_("error"), max_length=32)
    params = models.JSONField(_("parameters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("customer import error")
        verbose_name_plural = _("customer import errors")
        ordering = ["row", "pk"]
        indexes = [models.Index(fields=["organization", "batch", "row"], name="custimporterr_org_batch_idx")]


class CustomerImportChange(TenantModel):
    """What an applied import did to one customer, so it can be undone exactly.

    `customer_id` is a plain column, not a foreign key: a merge moves every foreign key that points at a customer
    over to the surviving one, and this log must keep naming the customer the import created or touched.
    `previous` holds the values the import replaced (attribute names, e.g. "region_id"), `applied` the values it
    wrote; undo restores a field only while it still holds what the import wrote.
    """

    class Action(models.TextChoices):
        # An action: "Created" alone is the column title of creation times (创建时间).
        CREATED = "created", pgettext_lazy("customer import", "Created")
        UPDATED = "updated", _("Updated")

    batch = models.ForeignKey(CustomerImport, on_delete=models.CASCADE, related_name="changes",
                              verbose_name=_("import"))
    customer_id = models.BigIntegerField(_("customer"))
    row = models.PositiveIntegerField(_("row"))
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    previous = models.JSONField(_("previous values"), default=dict, blank=True)
    applied = models.JSONField(_("imported values"), default=dict, blank=True)
    tag_ids = models.JSONField(_("tags added"), default=list, blank=True)
    identity_ids = models.JSONField(_("identities added"), default=list, blank=True)

    class Meta:
        verbose_name = _("customer import change")
        verbose_name_plural = _("customer import changes")
        indexes = [models.Index(fields=["organization", "batch", "action"], name="custimportchg_org_batch_idx")]


class CustomerExport(OutboxModel, TenantModel):
    """An export too large to produce within a request, produced by a worker for the user who asked for it.

    What it holds is fixed when it is asked for: the list page's query string (a segment's, copied) or the ids of a
    selection, the format, and whether personal data is masked. The file is kept in storage (any web machine can
    serve it) and only its requester may download it: the reveals of its personal data are recorded against them.
    Producing it is a job of the outbox kind "customer_export", on the jobs queue.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Being produced")
        DONE = "done", _("Ready to download")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("File deleted after a week")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel workbook")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    file_format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    query = models.CharField(_("filter"), max_length=2000, blank=True)
    customer_ids = models.JSONField(_("selected customers"), null=True, blank=True)
    masked = models.BooleanField(_("personal data masked"), default=True)
    # The requester's language when they asked: the worker writes the file in it.
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    job_state = job_state_field()
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    file_name = models.CharField(_("file name"), max_length=100, blank=True)
    # The produced file in storage; deleted (and this emptied) a week after it was produced.
    file = models.FileField(_("file"), upload_to=customer_export_path, max_length=255, blank=True, editable=False)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0, editable=False)
    failure = models.TextField(_("failure"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer export")
        verbose_name_plural = _("customer exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "requested_by", "-created_at"],
                                name="custexport_org_user_idx"),
                   due_index("custexport_due_idx", JOB_STATES, field="job_state")]

    def __str__(self):
        return self.file_name or f"{self.get_file_format_display()} #{self.pk}"

    @property
    def in_progress(self):
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}
