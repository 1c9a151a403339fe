"""Files attached to a comment: an agent's reply or note, or a customer's inbound message (images, voice, video).

The file is stored through Django's storage API under the organization and the day; the row keeps what the
sender called it, what it really is (sniffed from its bytes, not taken from its name) and its sha256.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scrm.platform.tenancy import TenantModel


def attachment_path(instance, filename):
    """attachments/<organization>/<yyyy>/<mm>/<dd>/<random><ext>: never the sender's name (it may be anything)."""
    today = timezone.localdate()
    extension = filename[filename.rfind("."):].lower() if "." in filename else ""
    return f"attachments/{instance.organization_id}/{today:%Y/%m/%d}/{uuid.uuid4().hex}{extension[:10]}"


class Attachment(TenantModel):
    comment = models.ForeignKey("tickets.Comment", on_delete=models.PROTECT, related_name="attachments",
                                verbose_name=_("comment"))
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("uploaded by"),
                                    help_text=_("Empty for a file the customer sent."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["organization", "comment"], name="attachment_org_comment_idx"),
            models.Index(fields=["organization", "sha256"], name="attachment_org_sha_idx"),
        ]

    def __str__(self):
        return self.original_name

    @property
    def is_image(self):
        return self.content_type.startswith("image/")
