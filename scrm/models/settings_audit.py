"""The audit trail of the settings ops change inside the product (SLA policies, business calendars, queues,
ticket types, canned responses, tags...): who changed what, when, and the object as saved. Append-only; written
by the services through `scrm.platform.audit.settings_change_record`, never by a view."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scrm.platform.tenancy import TenantModel


class SettingsChange(TenantModel):
    class Action(models.TextChoices):
        # An action: "Created" alone is the column title of creation times (创建时间).
        CREATED = "created", pgettext_lazy("configuration change", "Created")
        CHANGED = "changed", _("Changed")
        DELETED = "deleted", _("Deleted")
        IMPORTED = "imported", _("Imported")

    # "app_label.model" of the object changed, e.g. "sla.slapolicy"; the id stays after a deletion.
    subject = models.CharField(_("subject"), max_length=64)
    subject_id = models.BigIntegerField(_("subject id"))
    subject_name = models.CharField(_("name"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+", verbose_name=_("by"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("settings change")
        verbose_name_plural = _("settings changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["organization", "subject", "subject_id", "at"],
                                name="settingschange_org_subject_idx")]

    def __str__(self):
        return f"{self.subject} {self.subject_id} {self.action}"
