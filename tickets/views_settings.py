"""Ticket settings pages of the settings module (queues and their members, ticket types, canned responses,
routing rules): ops admins only, every write a service that also writes the settings audit trail."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from scrm.forms import bootstrap
from scrm.models import AgentProfile, Channel, Customer, Region, SettingsChange, Skill, Tag, Team
from scrm.platform.access import ModuleRequiredMixin, settings_delete_response, settings_form_errors
from tickets.models import CannedResponse, Queue, QueueMembership, RoutingRule, Ticket, TicketType
from tickets.services import CANNED_VARIABLES
from tickets.services.config import (
    canned_response_delete,
    canned_response_save,
    queue_delete,
    queue_save,
    routing_rule_delete,
    routing_rule_move,
    routing_rule_save,
    routing_rule_set_active,
    ticket_type_delete,
    ticket_type_save,
)

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
        bootstrap(self)


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
                settings_form_errors(form, exc)
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


def _skills_field(help_text):
    return forms.ModelMultipleChoiceField(
        label=_("Required skills"), queryset=Skill.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=format_lazy("{} {}", help_text, _("New skills are named under Settings → Skills.")))


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
    required_skills = _skills_field(_("Only agents with every one of these skills are given tickets of this type."))

    CHECKBOXES = ("required_skills",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_queue"].queryset = Queue.objects.order_by("name")
        self.fields["required_skills"].queryset = Skill.objects.order_by("name")
        bootstrap(self)


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
                    "is_active": item.is_active, "required_skills": list(item.required_skills.all())}
                   if item else None)
        return self.render_to_response(self._context(item, TicketTypeForm(initial=initial)))

    def post(self, request, pk=None):
        item = self.ticket_type(pk)
        form = TicketTypeForm(request.POST)
        if form.is_valid():
            try:
                saved = ticket_type_save(organization=request.user.organization, by=request.user,
                                         ticket_type=item, **form.cleaned_data)
            except ValidationError as exc:
                settings_form_errors(form, exc)
            else:
                messages.success(request, MSG_TYPE_SAVED % {"name": saved.name})
                return redirect("tickets:type-list")
        return self.render_to_response(self._context(self.ticket_type(pk), form), status=400)

    def _context(self, item, form):
        types = (TicketType.objects.select_related("default_queue").prefetch_related("required_skills")
                 .order_by("sort_order", "name"))
        return self.get_context_data(ticket_type=item, form=form, types=types)


MSG_QUEUE_SAVED = _("Queue “%(name)s” saved.")
# A member whose user was deactivated stays listed (ticked) on their queue, so saving the form keeps them until ops
# untick them; nobody deactivated is offered to a queue they are not in.
MSG_MEMBER_DEACTIVATED = _("%(name)s (deactivated)")
_REGION_DEPTH = {Region.Level.AREA: 0, Region.Level.PROVINCE: 1, Region.Level.CITY: 2}


def _region_label(region):
    return "\u3000" * _REGION_DEPTH.get(region.level, 0) + region.name  # indented under its parent (ordered by path)


def user_configures_queues(user):
    return (user.is_authenticated and user.organization_id is not None and user.has_perm("tickets.change_queue")
            and user.has_perm("tickets.add_queue") and user.has_perm("tickets.change_queuemembership"))


def _member_label(profile):
    if profile.user.is_active:
        return str(profile.user)
    return MSG_MEMBER_DEACTIVATED % {"name": profile.user}


class QueueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.SlugField(label=_("Code"), max_length=32)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False,
                                  empty_label=_("No team"))
    strategy = forms.ChoiceField(label=_("Assignment strategy"), choices=Queue.Strategy.choices)
    auto_assign = forms.BooleanField(label=_("Assign automatically"), required=False, initial=True)
    members = forms.ModelMultipleChoiceField(label=_("Members"), queryset=AgentProfile.objects.none(),
                                             required=False, widget=forms.CheckboxSelectMultiple)
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions served"), queryset=Region.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("A region serves every region below it; none: every region. Ctrl/⌘-click to choose several."))
    ticket_types = forms.ModelMultipleChoiceField(
        label=_("Ticket types"), queryset=TicketType.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A ticket of these types that no routing rule sent anywhere comes here (from its region)."))
    required_skills = _skills_field(_("Only agents with every one of these skills are given tickets of this queue."))

    CHECKBOXES = ("members", "ticket_types", "required_skills")

    def __init__(self, *args, queue=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")
        offered = Q(user__is_active=True)
        if queue is not None:
            offered |= Q(pk__in=QueueMembership.objects.filter(queue=queue).values("agent_id"))
        self.fields["members"].queryset = (AgentProfile.objects.filter(offered).select_related("user")
                                           .order_by("user__username"))
        self.fields["members"].label_from_instance = _member_label
        self.fields["regions"].queryset = Region.objects.order_by("path")
        self.fields["regions"].label_from_instance = _region_label
        self.fields["ticket_types"].queryset = TicketType.objects.order_by("sort_order", "name")
        self.fields["required_skills"].queryset = Skill.objects.order_by("name")
        bootstrap(self)


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
                    "members": list(QueueMembership.objects.filter(queue=item).values_list("agent_id", flat=True)),
                    "regions": list(item.regions.all()), "ticket_types": list(item.ticket_types.all()),
                    "required_skills": list(item.required_skills.all())}
                   if item else None)
        return self.render_to_response(self._context(item, QueueForm(initial=initial, queue=item)))

    def post(self, request, pk=None):
        item = self.queue(pk)
        form = QueueForm(request.POST, queue=item)
        if form.is_valid():
            try:
                saved = queue_save(organization=request.user.organization, by=request.user, queue=item,
                                   **form.cleaned_data)
            except ValidationError as exc:
                settings_form_errors(form, exc)
            else:
                messages.success(request, MSG_QUEUE_SAVED % {"name": saved.name})
                return redirect("tickets:queue-settings")
        return self.render_to_response(self._context(self.queue(pk), form), status=400)

    def _context(self, item, form):
        queues = (Queue.objects.select_related("team").annotate(member_count=Count("memberships"))
                  .prefetch_related("regions", "required_skills").order_by("name"))
        return self.get_context_data(queue=item, form=form, queues=queues)


MSG_RULE_SAVED = _("Routing rule “%(name)s” saved.")
MSG_RULE_MOVED = _("Routing rule “%(name)s” is now number %(position)s.")
MSG_RULE_ENABLED = _("Routing rule “%(name)s” switched on.")
MSG_RULE_DISABLED = _("Routing rule “%(name)s” switched off: new tickets skip it.")


def user_configures_routing(user):
    return (user.is_authenticated and user.organization_id is not None
            and user.has_perm("tickets.change_routingrule") and user.has_perm("tickets.add_routingrule"))


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=_("Rule name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    # When...
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any"))] + list(Channel.choices), required=False)
    ticket_type = forms.ModelChoiceField(label=_("Ticket type"), queryset=TicketType.objects.none(), required=False,
                                         empty_label=_("Any"))
    keywords = forms.CharField(label=_("Keywords"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=RoutingRule._meta.get_field("keywords").help_text)
    customer_level = forms.ChoiceField(label=_("Customer level"), required=False,
                                       choices=[("", _("Any"))] + list(Customer.Level.choices))
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False,
                                    empty_label=_("Any"), help_text=RoutingRule._meta.get_field("region").help_text)
    # ...then.
    set_queue = forms.ModelChoiceField(label=_("Send to queue"), queryset=Queue.objects.none(), required=False,
                                       empty_label=_("The type's queue"))
    set_priority = forms.TypedChoiceField(label=_("Set priority"), coerce=int, empty_value=None, required=False,
                                          choices=[("", _("The type's default"))] + list(Ticket.Priority.choices))
    set_type = forms.ModelChoiceField(label=_("Set ticket type"), queryset=TicketType.objects.none(), required=False,
                                      empty_label=_("Unchanged"))
    add_tags = forms.ModelMultipleChoiceField(label=_("Add tags"), queryset=Tag.objects.none(), required=False,
                                              widget=forms.CheckboxSelectMultiple)

    CONDITIONS = ("channel", "ticket_type", "keywords", "customer_level", "region")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = TicketType.objects.order_by("sort_order", "name")
        self.fields["ticket_type"].queryset = self.fields["set_type"].queryset = types
        self.fields["region"].queryset = Region.objects.order_by("path")
        self.fields["set_queue"].queryset = Queue.objects.order_by("name")
        self.fields["add_tags"].queryset = Tag.objects.select_related("group").order_by("group__sort_order", "name")
        bootstrap(self)

    def conditions(self):
        return [self[name] for name in self.CONDITIONS]

    def actions(self):
        return [self[name] for name in ("set_queue", "set_priority", "set_type", "add_tags")]


class _RulePage(ModuleRequiredMixin):
    module = "settings"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_configures_routing(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def rule(pk):
        if pk is None:
            return None
        try:
            return RoutingRule.objects.get(pk=pk)  # the open scope: another organization's is not found
        except RoutingRule.DoesNotExist as exc:
            raise Http404 from exc


class RoutingRuleFormView(_RulePage, TemplateView):
    """A new rule (it is tried last) or `<pk>/` to change one; the rule tester stays on the list page."""

    template_name = "tickets/settings/rule_form.html"

    def get(self, request, pk=None):
        rule = self.rule(pk)
        initial = None
        if rule is not None:
            initial = {name: getattr(rule, name) for name in ("name", "is_active", "channel", "keywords",
                                                               "customer_level", "set_priority")}
            initial.update(ticket_type=rule.ticket_type_id, region=rule.region_id, set_queue=rule.set_queue_id,
                           set_type=rule.set_type_id, add_tags=[tag.pk for tag in rule.add_tags.all()])
        return self.render_to_response(self._context(rule, RoutingRuleForm(initial=initial)))

    def post(self, request, pk=None):
        rule = self.rule(pk)
        form = RoutingRuleForm(request.POST)
        if form.is_valid():
            try:
                saved = routing_rule_save(organization=request.user.organization, by=request.user, rule=rule,
                                          **form.cleaned_data)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, MSG_RULE_SAVED % {"name": saved.name})
                return redirect("tickets:rule-tester")
        return self.render_to_response(self._context(self.rule(pk), form), status=400)

    def _context(self, rule, form):
        changes = (SettingsChange.objects.filter(subject="tickets.routingrule", subject_id=rule.pk)
                   .select_related("by")[:20] if rule else [])
        return self.get_context_data(rule=rule, form=form, changes=changes)


class RoutingRuleMoveView(_RulePage, View):
    """POST `direction=up|down`: the rule changes place with its neighbour."""

    def post(self, request, pk):
        rule = self.rule(pk)
        offset = {"up": -1, "down": 1}.get(request.POST.get("direction"))
        if offset is None:
            return redirect("tickets:rule-tester")
        moved = routing_rule_move(organization=request.user.organization, by=request.user, rule=rule, offset=offset)
        messages.success(request, MSG_RULE_MOVED % {"name": moved.name, "position": moved.position})
        return redirect("tickets:rule-tester")


class RoutingRuleActiveView(_RulePage, View):
    """POST `active=1|0`: switch the rule on or off."""

    def post(self, request, pk):
        is_active = request.POST.get("active") == "1"
        rule = routing_rule_set_active(organization=request.user.organization, by=request.user, rule=self.rule(pk),
                                       is_active=is_active)
        messages.success(request, (MSG_RULE_ENABLED if is_active else MSG_RULE_DISABLED) % {"name": rule.name})
        return redirect("tickets:rule-tester")


# --- deletes (POST only): refused with the reason while anything uses the object ------------------------------------

class CannedResponseDeleteView(CannedResponseFormView):
    http_method_names = ["post"]

    def post(self, request, pk):
        canned = self.canned(pk)
        return settings_delete_response(
            request, lambda: canned_response_delete(organization=request.user.organization, by=request.user,
                                                    canned=canned),
            name=canned.title, done="tickets:canned-list", back=reverse("tickets:canned-edit", args=[pk]))


class TicketTypeDeleteView(TicketTypeView):
    http_method_names = ["post"]

    def post(self, request, pk):
        item = self.ticket_type(pk)
        return settings_delete_response(
            request, lambda: ticket_type_delete(organization=request.user.organization, by=request.user,
                                                ticket_type=item),
            name=item.name, done="tickets:type-list", back=reverse("tickets:type-edit", args=[pk]))


class QueueDeleteView(QueueSettingsView):
    http_method_names = ["post"]

    def post(self, request, pk):
        item = self.queue(pk)
        return settings_delete_response(
            request, lambda: queue_delete(organization=request.user.organization, by=request.user, queue=item),
            name=item.name, done="tickets:queue-settings", back=reverse("tickets:queue-edit", args=[pk]))


class RoutingRuleDeleteView(_RulePage, View):
    def post(self, request, pk):
        rule = self.rule(pk)
        return settings_delete_response(
            request, lambda: routing_rule_delete(organization=request.user.organization, by=request.user, rule=rule),
            name=rule.name, done="tickets:rule-tester", back=reverse("tickets:rule-edit", args=[pk]))
