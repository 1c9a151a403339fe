"""When WeChat no longer accepts a reply: send the customer an SMS from the ticket page (offered when the
organization has an SMS account), or a WeChat template message (offered when the ticket's account has templates).
Whoever may reply may send either."""

from django import forms
from django.contrib import messages
from django.utils.translation import gettext_lazy as _

from tickets.services.delivery import ticket_reply_sms, ticket_reply_template
from tickets.views import TicketReplyView, _TicketAction

MSG_SMS_QUEUED = _("SMS queued for the customer: its state is shown beside it.")
MSG_TEMPLATE_QUEUED = _("Template message queued for the customer: its state is shown beside it.")


class SmsForm(forms.Form):
    body = forms.CharField(label=_("SMS text"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class TicketSmsView(_TicketAction):
    form_class = SmsForm
    check = TicketReplyView.check

    def act(self, request, ticket, data):
        ticket_reply_sms(ticket=ticket, author=request.user, body=data["body"])
        messages.success(request, MSG_SMS_QUEUED)



class TemplateForm(forms.Form):
    template = forms.CharField(label=_("Template message"), max_length=32)
    text = forms.CharField(label=_("Your words"), max_length=200, required=False)


class TicketTemplateView(_TicketAction):
    form_class = TemplateForm
    check = TicketReplyView.check

    def act(self, request, ticket, data):
        ticket_reply_template(ticket=ticket, author=request.user, template=data["template"], text=data["text"])
        messages.success(request, MSG_TEMPLATE_QUEUED)
