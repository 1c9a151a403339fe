"""Ops pages of the channel accounts: list with callback URLs, add, edit, and the events of an account with the
failed and dead ones to replay. Ops admins only (the `settings` module and the model permissions)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from channels_ingest import selectors, services
from channels_ingest.errors import ChannelError
from channels_ingest.forms import ChannelAccountForm
from channels_ingest.models import ChannelAccount, InboundEvent, OutboundMessage, WeChatTemplate
from channels_ingest.services.templates import (
    PLACEHOLDERS,
    template_fields_text,
    wechat_template_delete,
    wechat_template_save,
)
from channels_ingest.tables import AccountEventTable
from scrm.paginators import TableRequestConfig
from scrm.platform.access import ModuleRequiredMixin

MSG_SAVED = _("Channel account %(name)s saved.")
MSG_REPLAYED = _("The event was sent to the workers again.")
MSG_REPLY_REPLAYED = _("The reply was handed to the workers to be sent again.")
MSG_TEMPLATE_SAVED = _("Template message %(name)s saved.")
MSG_TEMPLATE_DELETED = _("Template message %(name)s deleted.")
# The events list's filter (selectors.EVENT_VIEWS): its choices, and what each says when it has no event.
EVENT_VIEW_LABELS = {"problems": _("Failed and dead"), "ignored": _("Ignored"), "all": _("All")}
EVENT_VIEW_EMPTY = {"problems": _("No failed or dead events."), "ignored": _("No ignored events."),
                    "all": _("No events yet.")}


class _OpsMixin(ModuleRequiredMixin):
    module = "settings"
    permission = "channels_ingest.view_channelaccount"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_account(self):
        # The scope the middleware opened limits this to the user's organization.
        return get_object_or_404(ChannelAccount, pk=self.kwargs["pk"])


class _RefusedIs400Mixin:
    """A refused POST answers 400 with the form and its errors, as every settings form of the product does."""

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ChannelAccountListView(_OpsMixin, TemplateView):
    template_name = "channels_ingest/account_list.html"

    def get_context_data(self, **kwargs):
        accounts = list(selectors.account_list())
        for account in accounts:
            account.callback_url = self.request.build_absolute_uri(account.hook_path)
        return super().get_context_data(accounts=accounts, statuses=InboundEvent.Status, **kwargs)


class ChannelAccountFormMixin(_RefusedIs400Mixin, _OpsMixin):
    template_name = "channels_ingest/account_form.html"
    form_class = ChannelAccountForm
    account = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "account": self.account}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            account = self.save(data)
        except ChannelError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, MSG_SAVED % {"name": account.name})
        return redirect("channels_ingest:account-events", pk=account.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=self.account, **kwargs)


class ChannelAccountCreateView(ChannelAccountFormMixin, FormView):
    permission = "channels_ingest.add_channelaccount"

    def save(self, data):
        return services.channel_account_create(
            organization=self.request.user.organization, kind=data["kind"], slug=data["slug"], name=data["name"],
            app_id=data["app_id"], agent_id=data["agent_id"], token=data["token"], aes_key=data["aes_key"],
            secret=data["secret"], subscribe_reply=data["subscribe_reply"])


class ChannelAccountUpdateView(ChannelAccountFormMixin, FormView):
    permission = "channels_ingest.change_channelaccount"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.account = self.get_account()
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        a = self.account
        return {"kind": a.kind, "name": a.name, "slug": a.slug, "app_id": a.app_id, "agent_id": a.agent_id,
                "subscribe_reply": a.subscribe_reply, "is_active": a.is_active}

    def save(self, data):
        return services.channel_account_update(
            account=self.account, name=data["name"], slug=data["slug"], app_id=data["app_id"],
            agent_id=data["agent_id"], subscribe_reply=data["subscribe_reply"], is_active=data["is_active"],
            token=data["token"], aes_key=data["aes_key"], secret=data["secret"])


class ChannelAccountEventsView(_OpsMixin, TemplateView):
    template_name = "channels_ingest/account_events.html"

    def get_context_data(self, **kwargs):
        account = self.get_account()
        show = self.request.GET.get("show")
        show = show if show in selectors.EVENT_VIEWS else "problems"
        events = selectors.account_events(account=account, show=show, status=self.request.GET.get("status"))
        table = AccountEventTable(events, empty_text=EVENT_VIEW_EMPTY[show])
        TableRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        return super().get_context_data(
            show=show, event_views=EVENT_VIEW_LABELS.items(),
            account=account, callback_url=self.request.build_absolute_uri(account.hook_path),
            counts=selectors.account_status_counts(account=account), statuses=InboundEvent.Status, table=table,
            activity=selectors.account_activity(account=account),
            outbound_problems=selectors.account_outbound_problems(account=account),
            plaintext_seen_at=selectors.account_plaintext_seen_at(account=account), **kwargs)


class _ReplayView(_OpsMixin, View):
    """Hand one failed or dead row of the account's outbox back to the workers, then show the account's events."""

    permission = "channels_ingest.change_inboundevent"
    model = None
    row_kwarg = ""  # the URL's name for the row's id
    done_message = ""

    def replay(self, row):
        raise NotImplementedError

    def post(self, request, pk, **kwargs):
        account = self.get_account()
        row = self.model.objects.filter(account=account, pk=kwargs[self.row_kwarg]).first()
        if row is None:
            raise Http404
        try:
            self.replay(row)
        except ChannelError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, self.done_message)
        return redirect(reverse("channels_ingest:account-events", kwargs={"pk": account.pk}))


class OutboundReplayView(_ReplayView):
    """Send a failed or dead reply to WeChat again (the same permission as replaying events)."""

    model, row_kwarg, done_message = OutboundMessage, "outbound_pk", MSG_REPLY_REPLAYED

    def replay(self, row):
        services.outbound_replay(outbound=row)


class InboundEventReplayView(_ReplayView):
    model, row_kwarg, done_message = InboundEvent, "event_pk", MSG_REPLAYED

    def replay(self, row):
        services.event_replay(event=row)


class WeChatTemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    template_id = forms.CharField(label=_("Template ID"), max_length=128)
    fields = forms.CharField(label=_("Fields"), widget=forms.Textarea(attrs={"rows": 5}))


class WeChatTemplateListView(_RefusedIs400Mixin, _OpsMixin, FormView):
    """An Official Account's template messages: the list, and a form to add one or change the one in ?edit=."""

    permission = "channels_ingest.change_channelaccount"
    template_name = "channels_ingest/templates.html"
    form_class = WeChatTemplateForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.account = self.get_account()
            edit = request.GET.get("edit", "")
            self.template = (get_object_or_404(WeChatTemplate, account=self.account, pk=edit)
                             if edit.isdigit() else None)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        t = self.template
        return {"name": t.name, "template_id": t.template_id, "fields": template_fields_text(t)} if t else {}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            template = wechat_template_save(account=self.account, name=data["name"], template_id=data["template_id"],
                                            fields_text=data["fields"], by=self.request.user, template=self.template)
        except ChannelError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, MSG_TEMPLATE_SAVED % {"name": template.name})
        return redirect("channels_ingest:account-templates", pk=self.account.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=self.account, editing=self.template,
                                        placeholders=", ".join(f"{{{p}}}" for p in PLACEHOLDERS),
                                        templates=WeChatTemplate.objects.filter(account=self.account), **kwargs)


class WeChatTemplateDeleteView(_OpsMixin, View):
    permission = "channels_ingest.change_channelaccount"

    def post(self, request, pk, template_pk):
        template = get_object_or_404(WeChatTemplate, account=self.get_account(), pk=template_pk)
        wechat_template_delete(template=template, by=request.user)
        messages.success(request, MSG_TEMPLATE_DELETED % {"name": template.name})
        return redirect("channels_ingest:account-templates", pk=pk)
