"""Ticket settings pages of the settings module (canned responses so far): ops admins only, every write a
service that also writes the settings audit trail."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from scrm.models import SettingsChange
from scrm.platform.access import ModuleRequiredMixin
from tickets.models import CannedResponse, Queue
from tickets.services import CANNED_VARIABLES
from tickets.services.config import canned_response_save

MSG_CANNED_SAVED = _("Canned response “%(title)s” saved.")


def user_configures_canned(user):
    return (user.is_authenticated and user.organization_id is not None
            and user.has_perm("tickets.change_cannedresponse") and user.has_perm("tickets.add_cannedresponse"))


class CannedResponseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.none(), required=False,
                                   empty_label=_("Every queue"))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.order_by("name")
        for name, field in self.fields.items():
            if name != "is_active":
                field.widget.attrs.setdefault("class", "form-select" if name == "queue" else "form-control")


class _CannedPage(ModuleRequiredMixin):
    module = "settings"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_configures_canned(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class CannedResponseListView(_CannedPage, TemplateView):
    template_name = "tickets/settings/canned_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            responses=CannedResponse.objects.select_related("queue").order_by("title", "pk"), **kwargs)


class CannedResponseFormView(_CannedPage, TemplateView):
    template_name = "tickets/settings/canned_form.html"

    def canned(self, pk):
        if pk is None:
            return None
        try:
            return CannedResponse.objects.get(pk=pk)  # the open scope: another organization's is not found
        except CannedResponse.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request, pk=None):
        canned = self.canned(pk)
        initial = ({"title": canned.title, "body": canned.body, "queue": canned.queue_id,
                    "is_active": canned.is_active} if canned else None)
        return self.render_to_response(self._context(canned, CannedResponseForm(initial=initial)))

    def post(self, request, pk=None):
        canned = self.canned(pk)
        form = CannedResponseForm(request.POST)
        if form.is_valid():
            try:
                saved = canned_response_save(organization=request.user.organization, by=request.user,
                                             canned=canned, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, MSG_CANNED_SAVED % {"title": saved.title})
                return redirect("tickets:canned-list")
        return self.render_to_response(self._context(self.canned(pk), form), status=400)

    def _context(self, canned, form):
        changes = (SettingsChange.objects.filter(subject="tickets.cannedresponse", subject_id=canned.pk)
                   .select_related("by")[:20] if canned else [])
        return self.get_context_data(canned=canned, form=form, changes=changes,
                                     variables=[f"{{{name}}}" for name in CANNED_VARIABLES])
