"""The platform's own tables: what the platform operator and maintenance commands did across organizations."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PlatformAudit(models.Model):
    """One lift of the tenant guard by a person or a named command (`scrm.platform.audit.platform_lift`): who
    (the platform operator, or the command's name), when, and what (the console page, or what the command did).
    Append-only. System machinery that must see every tenant (the sweeps, sign-in) is not a human lift and is
    listed in docs/tenancy.md instead."""

    class Source(models.TextChoices):
        CONSOLE = "console", _("Platform console")
        COMMAND = "command", _("Maintenance command")

    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("platform operator"))
    command = models.CharField(_("command"), max_length=100, blank=True)
    what = models.CharField(_("what"), max_length=300)

    class Meta:
        verbose_name = _("platform audit entry")
        verbose_name_plural = _("platform audit")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["-at"], name="scrm_platformaudit_at")]

    def __str__(self):
        return f"{self.actor or self.command} · {self.what}"
