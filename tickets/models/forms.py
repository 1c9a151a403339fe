"""Tickets and the form builder: the form that gives a ticket type its custom fields, and the answers a ticket
holds in them (each save is a new submission, so the earlier ones are the history of the fields)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scrm.platform.tenancy import TenantModel


class TicketTypeForm(TenantModel):
    """A ticket type's custom fields: a form of purpose "ticket-type fields" (its current version applies)."""

    ticket_type = models.ForeignKey("tickets.TicketType", on_delete=models.CASCADE, related_name="+",
                                    verbose_name=_("ticket type"))
    form = models.ForeignKey("forms_builder.Form", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("fields form"))

    class Meta:
        verbose_name = _("ticket type fields")
        verbose_name_plural = _("ticket type fields")
        constraints = [models.UniqueConstraint(fields=["organization", "ticket_type"], name="tickettypeform_org_uniq")]


class TicketFieldAnswers(TenantModel):
    """One save of a ticket's custom fields; the latest (`is_current`, one per ticket) is what the ticket page shows
    and what the queue filters read."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="field_answers",
                               verbose_name=_("ticket"))
    submission = models.ForeignKey("forms_builder.FormSubmission", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("submission"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    # The ticket's answers now; earlier saves are its history. The queue filters join tickets to these rows only.
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        verbose_name = _("ticket field answers")
        verbose_name_plural = _("ticket field answers")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["organization", "ticket", "at"], name="ticketfields_org_ticket_idx")]
        constraints = [models.UniqueConstraint(fields=["organization", "submission"],
                                               name="ticketfields_org_submission_uniq"),
                       models.UniqueConstraint(fields=["organization", "ticket"], condition=models.Q(is_current=True),
                                               name="ticketfields_org_ticket_current_uniq")]
