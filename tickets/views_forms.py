"""The form builder on ticket pages: the answers of the intake form a ticket came from, the ticket type's custom
fields (shown, and filled by those who work the ticket), and the choice of a type's fields form in the settings.
Loaded into the existing pages by htmx, so those pages stay as they are."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View

from forms_builder.engine import build_form, logic_rules, region_tree
from forms_builder.models import Form, FormSubmission
from forms_builder.permissions import masks_mobiles
from forms_builder.selectors import forms_published, region_choices_for, submission_data, submission_rows
from forms_builder.views_public import sections_for_display, style_widgets, with_problems
from scrm.platform.access import ModuleRequiredMixin
from tickets.errors import TicketError
from tickets.models import TicketFieldAnswers, TicketType, TicketTypeForm
from tickets.permissions import may_log_tickets, may_work
from tickets.services.forms import (
    SOURCE_REF,
    FormError,
    ticket_fields_save,
    ticket_type_fields_form,
    ticket_type_set_form,
)
from tickets.views import _ticket
from tickets.views_settings import user_configures_ticket_types

PANEL = "tickets/_form_panels.html"
FIELDS_PREFIX = "cf"
MSG_FIELDS_SAVED = _("Custom fields saved.")
MSG_TYPE_FIELDS_SAVED = _("The custom fields of “%(name)s” are saved.")


def fields_form_for(form, *, data=None, files=None, initial=None):
    """The bound Django form of a fields form's current version, with the page's classes ("cf-" names)."""
    schema = form.current_version.schema
    regions = region_choices_for(schema)
    bound = style_widgets(build_form(schema, data=data, files=files, initial=initial, regions=regions,
                                     prefix=FIELDS_PREFIX))
    bound.region_tree = region_tree(schema, regions)  # the cascading selects of its region fields, if any
    return bound


def _panel_context(request, ticket, *, bound=None, error=""):
    context = {"ticket": ticket, "may_work": may_work(request.user), "error": error}
    masked = masks_mobiles(request.user)  # as the customer panel beside it shows the mobile
    prefix = SOURCE_REF % ""
    reference = ticket.source_ref.removeprefix(prefix) if ticket.source_ref.startswith(prefix) else ""
    intake = (FormSubmission.objects.select_related("version", "form").filter(pk=reference).first()
              if reference.isdigit() else None)
    if intake is not None:
        context["intake"], context["intake_rows"] = intake, submission_rows(intake, masked=masked)
    form = ticket_type_fields_form(ticket.type_id)
    if form is not None:
        latest = (TicketFieldAnswers.objects.filter(ticket=ticket).select_related("submission__version", "by")
                  .first())
        context["fields_form"] = form
        context["fields_latest"] = latest
        context["fields_rows"] = submission_rows(latest.submission, masked=masked) if latest else []
        if context["may_work"] and ticket.status != "closed":
            # Pre-filled as the answers above show them: a mobile masked for a role that masks (saved unchanged,
            # ticket_fields_save keeps the number).
            bound = bound or fields_form_for(
                form, initial=submission_data(latest.submission, masked=masked) if latest else None)
            context["fields_sections"] = sections_for_display(form.current_version.schema, bound)
            context["fields_regions"] = bound.region_tree
            context["fields_logic"] = logic_rules(form.current_version.schema)
    return context


class TicketFormsPanelView(ModuleRequiredMixin, View):
    """GET: the panel; POST: save the custom fields (the engine validates; the panel comes back with the errors)."""

    module = "tickets"

    def get(self, request, pk):
        ticket = _ticket(request, pk)
        return render(request, PANEL, _panel_context(request, ticket))

    def post(self, request, pk):
        ticket = _ticket(request, pk)
        if not may_work(request.user):
            raise PermissionDenied
        form = ticket_type_fields_form(ticket.type_id)
        if form is None:
            raise Http404
        data, files = custom_fields_posted(request)
        try:
            ticket_fields_save(ticket=ticket, data=data, files=files, actor=request.user)
        except (FormError, TicketError) as exc:
            bound = with_problems(fields_form_for(form, data=request.POST, files=request.FILES),
                                  getattr(exc, "problems", None))
            return render(request, PANEL, _panel_context(request, ticket, bound=bound, error=str(exc)), status=400)
        context = _panel_context(request, ticket)
        context["saved"] = MSG_FIELDS_SAVED
        return render(request, PANEL, context)


def custom_fields_posted(request):
    """The custom fields of a POST ("cf-<key>" names), as the engine reads answers (a QueryDict) and files."""
    data = QueryDict(mutable=True)
    for key, values in request.POST.lists():
        if key.startswith(f"{FIELDS_PREFIX}-"):
            data.setlist(key.removeprefix(f"{FIELDS_PREFIX}-"), values)
    files = {key.removeprefix(f"{FIELDS_PREFIX}-"): upload for key, upload in request.FILES.items()
             if key.startswith(f"{FIELDS_PREFIX}-")}
    return data, files


class TicketTypeFieldsView(ModuleRequiredMixin, View):
    """Settings → ticket types: which published "ticket-type fields" form gives a type its custom fields."""

    module = "settings"
    template = "tickets/settings/_type_fields.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_configures_ticket_types(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _type(self, pk):
        ticket_type = TicketType.objects.filter(pk=pk).first()
        if ticket_type is None:
            raise Http404
        return ticket_type

    def _render(self, request, ticket_type, *, error="", status=200):
        link = TicketTypeForm.objects.filter(ticket_type=ticket_type).first()
        return render(request, self.template, {
            "ticket_type": ticket_type, "forms": forms_published(purpose=Form.Purpose.TICKET_FIELDS),
            "chosen": link.form_id if link else None, "error": error}, status=status)

    def get(self, request, pk):
        return self._render(request, self._type(pk))

    def post(self, request, pk):
        ticket_type = self._type(pk)
        chosen = request.POST.get("form") or ""
        form = Form.objects.filter(pk=chosen).first() if chosen.isdigit() else None
        try:
            ticket_type_set_form(ticket_type=ticket_type, form=form, by=request.user)
        except TicketError as exc:
            return self._render(request, ticket_type, error=str(exc), status=400)
        messages.success(request, MSG_TYPE_FIELDS_SAVED % {"name": ticket_type.name})
        return redirect("tickets:type-edit", ticket_type.pk)


class TicketLogFieldsView(ModuleRequiredMixin, View):
    """新建工单: the custom fields of the chosen type (htmx, on a change of the type)."""

    module = "tickets"

    def get(self, request):
        if not may_log_tickets(request.user):
            raise PermissionDenied
        type_id = request.GET.get("type") or ""
        form = ticket_type_fields_form(int(type_id)) if type_id.isdigit() else None
        return render(request, "tickets/_new_fields.html", new_fields_context(form) if form is not None else {})


def new_fields_context(form, *, data=None, files=None):
    """新建工单's custom-fields block for a type's fields `form`: empty, or bound to a POST ("cf-" names)."""
    bound = fields_form_for(form, data=data, files=files)
    schema = form.current_version.schema
    return {"fields_form": form, "fields_sections": sections_for_display(schema, bound),
            "fields_logic": logic_rules(schema), "fields_regions": bound.region_tree}
