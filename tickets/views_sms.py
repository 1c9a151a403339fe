"""Send the customer an SMS from the ticket page, offered when WeChat no longer accepts a reply and the
organization has an SMS account (whoever may reply may send one)."""

from django import forms
from django.contrib import messages
from django.utils.translation import gettext_lazy as _

from tickets.services.delivery import ticket_reply_sms
from tickets.views import TicketReplyView, _TicketAction

MSG_SMS_QUEUED = _("SMS queued for the customer: its state is shown beside it.")


class SmsForm(forms.Form):
    body = forms.CharField(label=_("SMS text"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class TicketSmsView(_TicketAction):
    form_class = SmsForm
    check = TicketReplyView.check

    def act(self, request, ticket, data):
        ticket_reply_sms(ticket=ticket, author=request.user, body=data["body"])
        messages.success(request, MSG_SMS_QUEUED)

