"""Forms ops build without a developer: the form, its published versions (immutable), and what people submitted.

The editor works on `Form.draft_schema`; publishing checks it and freezes it as a new `FormVersion`, which no
service ever changes afterwards. A submission keeps the version it was made against, so it always renders with the
labels and options its author saw. The schema's shape is in `forms_builder.schema`.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scrm.platform.coded import coded_render
from scrm.platform.outbox import OutboxModel, States, due_index
from scrm.platform.tenancy import TenantModel


class Form(TenantModel):
    class Purpose(models.TextChoices):
        INTAKE = "intake", _("Intake (opens a ticket)")
        SURVEY = "survey", _("Survey")
        TICKET_FIELDS = "ticket_fields", _("Ticket-type fields")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=100)
    # The public address: /f/<organization slug>/<form slug>/
    slug = models.SlugField(_("address"), max_length=50, db_index=False)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices, default=Purpose.INTAKE)
    owner_team = models.ForeignKey("scrm.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("owner team"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    # The editor's working copy; checked against the meta-schema on every save, frozen into a version on publish.
    draft_schema = models.JSONField(_("draft schema"), default=dict, blank=True)
    current_version = models.ForeignKey("forms_builder.FormVersion", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("current version"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # The form's settings beside its schema (forms_builder.services.form_settings_save):
    # customers may change their answers through the signed link they get for this many days (0: never);
    edit_days = models.PositiveSmallIntegerField(
        _("customers may edit for (days)"), default=0,
        help_text=_("0: customers cannot change their answers after sending them."))
    # the public page asks for a captcha (django-simple-captcha) beside its honeypot;
    captcha = models.BooleanField(_("captcha"), default=False)
    # each submission is sent, signed with HMAC-SHA256 under the secret, to this URL (docs/forms.md).
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True, default="")
    webhook_secret = models.TextField(_("webhook secret (encrypted)"), blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("form")
        verbose_name_plural = _("forms")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="form_org_slug_uniq")]

    def __str__(self):
        return self.name

    @property
    def is_open(self):
        return self.status == self.Status.PUBLISHED and self.current_version_id is not None


class FormVersion(TenantModel):
    """A published schema. Never changed once written: publishing again writes the next number."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="versions", verbose_name=_("form"))
    number = models.PositiveIntegerField(_("version"))
    schema = models.JSONField(_("schema"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("published by"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now, editable=False)
    # What this version did to the keys of the one before it, as ops mapped it at publish (forms_builder.keymap):
    # {"renames": {old key: new key}, "convert": [new keys whose old answers are read as the new type]}.
    key_map = models.JSONField(_("field mapping"), default=dict, blank=True)

    class Meta:
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        ordering = ["form", "-number"]
        constraints = [models.UniqueConstraint(fields=["organization", "form", "number"],
                                               name="formversion_org_form_number_uniq")]

    def __str__(self):
        return f"{self.form} v{self.number}"


class FormSubmission(TenantModel):
    class Source(models.TextChoices):
        PUBLIC = "public", _("Public page")
        STAFF = "staff", _("Staff")
        API = "api", _("API")

    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("form"))
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="submissions",
                                verbose_name=_("version"))
    # Answers by field key, as validated by the engine (numbers and money as text, dates ISO, files described).
    data = models.JSONField(_("answers"), default=dict)
    customer = models.ForeignKey("scrm.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("customer"))
    # The customer is known for sure (a signed WeChat link, staff, a ticket), not guessed from a typed mobile: only
    # then do the answers of CRM-bound fields write back to the customer's profile.
    customer_verified = models.BooleanField(_("customer verified"), default=False)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.PUBLIC)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("submitted by"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True, default="")
    # What the submission led to, as its handler reported it (an intake form's ticket: {"ticket_id", "number"}).
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)
    # The one-time key of the public page that sent it (empty: an older page, the API, staff): a second send of
    # the same page (a double tap, a browser posting again after a slow network) finds this row instead of making
    # another; the unique constraint below decides, even for two sends at once.
    submit_key = models.CharField(_("submit key"), max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "form", "submit_key"],
                                               condition=~models.Q(submit_key=""), name="formsub_org_form_key_uniq")]
        indexes = [models.Index(fields=["organization", "form", "created_at"], name="formsub_org_form_at_idx"),
                   # Filters on answers ("data @> {key: value}": choices, ratings) across the submissions list and
                   # the ticket queues' custom fields.
                   GinIndex(fields=["data"], name="formsub_data_gin", opclasses=["jsonb_path_ops"])]

    def __str__(self):
        return f"{self.form} #{self.pk}"


class FormSubmissionChange(TenantModel):
    """One edit of a submission after it was sent: who (a user, or the customer through their signed link), when,
    and each answer that changed, old → new as people read them then."""

    submission = models.ForeignKey(FormSubmission, on_delete=models.CASCADE, related_name="changes",
                                   verbose_name=_("submission"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+", verbose_name=_("changed by"))
    by_customer = models.BooleanField(_("changed by the customer"), default=False)
    # [{"key", "label", "before", "after"}]: the displayed values (labels of choices, region names).
    changes = models.JSONField(_("changes"), default=list)
    created_at = models.DateTimeField(_("changed at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("submission change")
        verbose_name_plural = _("submission changes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "submission", "created_at"], name="formsubchange_org_sub_idx")]


WEBHOOK_STATES = States()


class FormWebhookDelivery(TenantModel, OutboxModel):
    """A submission sent to its form's webhook: one outbox row (kind `form_webhook`), its body frozen as sent."""

    class Status(models.TextChoices):
        PENDING = WEBHOOK_STATES.pending, _("Queued")
        SENDING = WEBHOOK_STATES.inflight, _("Sending")
        SENT = WEBHOOK_STATES.done, _("Delivered")
        FAILED = WEBHOOK_STATES.failed, _("Failed, will retry")
        DEAD = WEBHOOK_STATES.dead, _("Not delivered")

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="webhook_deliveries",
                             verbose_name=_("form"))
    submission = models.ForeignKey(FormSubmission, on_delete=models.CASCADE, related_name="webhook_deliveries",
                                   verbose_name=_("submission"))
    # The exact bytes signed and sent (UTF-8 JSON), so a retry sends and signs the same body.
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "form", "created_at"], name="formhook_org_form_idx"),
                   due_index("formhook_due_idx", WEBHOOK_STATES)]


class FormWebhookAttempt(TenantModel):
    """Every attempt of a delivery, as its form's owner reads it: when, the answer's HTTP code, the redacted
    error."""

    delivery = models.ForeignKey(FormWebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows",
                                 verbose_name=_("delivery"))
    number = models.PositiveIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    ok = models.BooleanField(_("delivered"), default=False)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number", "pk"]
        indexes = [models.Index(fields=["organization", "delivery", "number"], name="formhookatt_org_del_idx")]

    @property
    def error_display(self):
        """The error in the reader's language where the product worded it (a coded message)."""
        return coded_render(self.error)


def form_file_path(instance, filename):
    """form-files/<organization>/<yyyy>/<mm>/<random><ext>: never the sender's name."""
    today = timezone.localdate()
    extension = filename[filename.rfind("."):].lower() if "." in filename else ""
    return f"form-files/{instance.organization_id}/{today:%Y/%m}/{uuid.uuid4().hex}{extension[:10]}"


class FormFile(TenantModel):
    """A file answered to a file field; the submission's answer names it by id."""

    submission = models.ForeignKey(FormSubmission, on_delete=models.CASCADE, related_name="files",
                                   verbose_name=_("submission"))
    field_key = models.CharField(_("field"), max_length=40)
    file = models.FileField(_("file"), upload_to=form_file_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))

    class Meta:
        verbose_name = _("form file")
        verbose_name_plural = _("form files")
        indexes = [models.Index(fields=["organization", "submission"], name="formfile_org_sub_idx")]
