"""Ticket settings pages of the settings module (queues and their members, ticket types, canned responses):
ops admins only, every write a service that also writes the settings audit trail."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from scrm.models import AgentProfile, SettingsChange, Team
from scrm.platform.access import ModuleRequiredMixin
from tickets.models import CannedResponse, Queue, QueueMembership, Ticket, TicketType
from tickets.services import CANNED_VARIABLES
from tickets.services.config import canned_response_save, queue_save, ticket_type_save

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


MSG_TYPE_SAVED = _("Ticket type “%(name)s” saved.")


def user_configures_ticket_types(user):
    return (user.is_authenticated and user.organization_id is not None
            and user.has_perm("tickets.change_tickettype") and user.has_perm("tickets.add_tickettype"))


class TicketTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    code = forms.SlugField(label=_("Code"), max_length=32,
                           help_text=_("Letters, digits and hyphens; used by the API and imports."))
    default_queue = forms.ModelChoiceField(label=_("Default queue"), queryset=Queue.objects.none(), required=False,
                                           empty_label=_("Decided by the routing rules"))
    default_priority = forms.TypedChoiceField(label=_("Default priority"), coerce=int,
                                              choices=Ticket.Priority.choices, initial=Ticket.Priority.P3)
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, max_value=32767, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_queue"].queryset = Queue.objects.order_by("name")
        for name, field in self.fields.items():
            if name != "is_active":
                field.widget.attrs.setdefault("class", "form-select" if isinstance(field, forms.ChoiceField)
                                              else "form-control")


class TicketTypeView(ModuleRequiredMixin, TemplateView):
    """The ticket types and, beside them, the form: a new type, or `<pk>/` to change one."""

    module = "settings"
    template_name = "tickets/settings/ticket_types.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_configures_ticket_types(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def ticket_type(self, pk):
        if pk is None:
            return None
        try:
            return TicketType.objects.get(pk=pk)
        except TicketType.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request, pk=None):
        item = self.ticket_type(pk)
        initial = ({"name": item.name, "code": item.code, "default_queue": item.default_queue_id,
                    "default_priority": item.default_priority, "sort_order": item.sort_order,
                    "is_active": item.is_active} if item else None)
        return self.render_to_response(self._context(item, TicketTypeForm(initial=initial)))

    def post(self, request, pk=None):
        item = self.ticket_type(pk)
        form = TicketTypeForm(request.POST)
        if form.is_valid():
            try:
                saved = ticket_type_save(organization=request.user.organization, by=request.user,
                                         ticket_type=item, **form.cleaned_data)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, MSG_TYPE_SAVED % {"name": saved.name})
                return redirect("tickets:type-list")
        return self.render_to_response(self._context(self.ticket_type(pk), form), status=400)

    def _context(self, item, form):
        types = TicketType.objects.select_related("default_queue").order_by("sort_order", "name")
        return self.get_context_data(ticket_type=item, form=form, types=types)


MSG_QUEUE_SAVED = _("Queue “%(name)s” saved.")


def user_configures_queues(user):
    return (user.is_authenticated and user.organization_id is not None and user.has_perm("tickets.change_queue")
            and user.has_perm("tickets.add_queue") and user.has_perm("tickets.change_queuemembership"))


class QueueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.SlugField(label=_("Code"), max_length=32)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False,
                                  empty_label=_("No team"))
    strategy = forms.ChoiceField(label=_("Assignment strategy"), choices=Queue.Strategy.choices)
    auto_assign = forms.BooleanField(label=_("Assign automatically"), required=False, initial=True)
    members = forms.ModelMultipleChoiceField(label=_("Members"), queryset=AgentProfile.objects.none(),
                                             required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["members"].queryset = AgentProfile.objects.select_related("user").order_by("user__username")
        self.fields["members"].label_from_instance = lambda profile: str(profile.user)
        for name in ("name", "code", "team", "strategy"):
            field = self.fields[name]
            field.widget.attrs.setdefault("class", "form-select" if isinstance(field, forms.ChoiceField)
                                          else "form-control")


class QueueSettingsView(ModuleRequiredMixin, TemplateView):
    """The queues with their member counts and, beside them, the form: a new queue, or `<pk>/` to change one."""

    module = "settings"
    template_name = "tickets/settings/queues.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_configures_queues(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def queue(self, pk):
        if pk is None:
            return None
        try:
            return Queue.objects.get(pk=pk)
        except Queue.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request, pk=None):
        item = self.queue(pk)
        initial = ({"name": item.name, "code": item.code, "team": item.team_id, "strategy": item.strategy,
                    "auto_assign": item.auto_assign,
                    "members": list(QueueMembership.objects.filter(queue=item).values_list("agent_id", flat=True))}
                   if item else None)
        return self.render_to_response(self._context(item, QueueForm(initial=initial)))

    def post(self, request, pk=None):
        item = self.queue(pk)
        form = QueueForm(request.POST)
        if form.is_valid():
            try:
                saved = queue_save(organization=request.user.organization, by=request.user, queue=item,
                                   **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, MSG_QUEUE_SAVED % {"name": saved.name})
                return redirect("tickets:queue-settings")
        return self.render_to_response(self._context(self.queue(pk), form), status=400)

    def _context(self, item, form):
        queues = Queue.objects.select_related("team").annotate(member_count=Count("memberships")).order_by("name")
        return self.get_context_data(queue=item, form=form, queues=queues)
