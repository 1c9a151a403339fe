"""Satisfaction surveys: a resolved ticket sends its customer a link to rate the service (1–5) once."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scrm.platform.tenancy import TenantModel


class SatisfactionSurvey(TenantModel):
    """One rating request for one resolution of a ticket. The token is the customer's only key: unguessable,
    and prefixed with the organization id so the public page finds the tenant before it looks the token up."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="surveys",
                               verbose_name=_("ticket"))
    token = models.CharField(_("token"), max_length=80, editable=False)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    review_ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+", verbose_name=_("review ticket"),
                                      help_text=_("The QA review a low rating opened."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.UniqueConstraint(fields=["organization", "token"], name="survey_org_token_uniq"),
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="survey_rating_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["organization", "ticket", "created_at"], name="survey_org_ticket_idx"),
            models.Index(fields=["organization", "answered_at"], name="survey_org_answered_idx",
                         condition=Q(answered_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.ticket_id} · {self.rating or '-'}"

    @property
    def is_answered(self):
        return self.answered_at is not None

    @property
    def is_expired(self):
        return not self.is_answered and self.expires_at <= timezone.now()
