"""Canned responses: ready-made reply texts agents insert into the reply box, with a few variables filled in."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from scrm.platform.tenancy import TenantModel


class CannedResponse(TenantModel):
    """A reply text ops prepare once (“您好 {customer_name}，工单 {ticket_number} 已收到……”).

    The variables are the ones `tickets.services.canned_response_render` knows; anything else in braces is left as
    written. A response tied to a queue is offered only on that queue's tickets; without one, on every ticket.
    """

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(
        _("body"),
        help_text=_("Variables: {customer_name}, {ticket_number}, {ticket_subject}, {agent_name}."),
    )
    queue = models.ForeignKey(
        "tickets.Queue", on_delete=models.CASCADE, null=True, blank=True, related_name="canned_responses",
        verbose_name=_("queue"), help_text=_("Leave empty to offer it on every queue."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "title"], name="cannedresponse_org_title_uniq"),
        ]
        indexes = [models.Index(fields=["organization", "queue"], name="cannedresponse_org_queue_idx")]

    def __str__(self):
        return self.title
