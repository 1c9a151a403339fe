"""新建工单: an agent or supervisor logs a phone call, a walk-in or an email as a ticket, for a customer they find
by name or mobile, or for a new one. The service routes it like any other ticket (`ticket_log`)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from scrm.customers.filters import CustomerFilter
from scrm.customers.phones import mask_mobile
from scrm.customers.selectors import customer_list
from scrm.platform.access import ModuleRequiredMixin
from tickets import selectors
from tickets.errors import MSG_CREATED, MSG_NOT_ALLOWED, TicketError
from tickets.forms import TicketLogForm
from tickets.permissions import may_log_tickets, may_work
from tickets.services.forms import FormError, ticket_log_with_fields, ticket_type_fields_form
from tickets.views_forms import custom_fields_posted, new_fields_context

# How many customers the search beside the form offers at once.
CUSTOMER_MATCHES = 8


class _LogPage(ModuleRequiredMixin):
    module = "tickets"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_log_tickets(request.user):
            raise PermissionDenied(MSG_NOT_ALLOWED)
        return super().dispatch(request, *args, **kwargs)


def _shown(customers):
    """Customers as the picker lists them: name, masked mobile, region (never the full number)."""
    return [{"pk": c.pk, "name": c.display_name, "mobile": mask_mobile(c.mobile) if c.mobile else "",
             "region": c.region.name if c.region_id else ""} for c in customers]


class TicketLogView(_LogPage, FormView):
    template_name = "tickets/new.html"
    form_class = TicketLogForm

    def get_form_kwargs(self):
        user = self.request.user
        # "Assign to me" is for those who work tickets as an agent of a queue (the service checks the queue again).
        my_queue_ids = selectors.queue_ids_of_agent(user=user) if may_work(user) else ()
        return {**super().get_form_kwargs(), "customers": customer_list(user=user), "my_queue_ids": my_queue_ids}

    def get_initial(self):
        return {"customer": self.request.GET.get("customer") or None}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        chosen = form["customer"].value()
        picked = []
        if chosen and str(chosen).isdigit():
            picked = _shown(customer_list(user=self.request.user).filter(pk=chosen))
        return {**context, "picked": picked, **self._fields_posted(form)}

    def form_invalid(self, form):
        # A refused form answers 400, with the same page and its messages, as every settings form does.
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def _fields_posted(self, form):
        """A refused POST comes back with the custom fields as typed (and the engine's remarks beside them), rendered
        in the page, instead of the empty fields the slot would fetch for the type."""
        if self.request.method != "POST":
            return {}
        chosen = form["type"].value()
        fields_form = ticket_type_fields_form(int(chosen)) if str(chosen or "").isdigit() else None
        if fields_form is None:
            return {}
        return new_fields_context(fields_form, data=self.request.POST, files=self.request.FILES)

    def form_valid(self, form):
        data = form.cleaned_data
        new_customer = None
        if data["customer"] is None:
            new_customer = {"display_name": data["new_customer_name"], "mobile": data["new_customer_mobile"]}
        arguments = dict(
            organization=self.request.user.organization, actor=self.request.user, channel=data["channel"],
            subject=data["subject"], description=data["description"], customer=data["customer"],
            new_customer=new_customer, type=data["type"], queue=data["queue"], priority=data["priority"],
            attachments=data["attachments"], assign_to_me=data.get("assign_to_me", False),
        )
        try:
            # The type's custom fields, if it has any (tickets/views_forms.py), stored with the ticket or neither.
            fields_data, fields_files = custom_fields_posted(self.request)
            ticket = ticket_log_with_fields(fields_data=fields_data, fields_files=fields_files, **arguments)
        except TicketError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        except FormError as exc:
            if isinstance(exc.problems, dict) and exc.problems:
                for key, problems in exc.problems.items():
                    form.add_error(None, f"{key}: {' '.join(problems)}")
            else:
                form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, MSG_CREATED % {"number": ticket.number})
        if selectors.ticket_visible(user=self.request.user).filter(pk=ticket.pk).exists():
            return redirect("tickets:ticket-detail", ticket.pk)
        # Routed to a queue the user does not work in: they logged it, someone else takes it from there.
        messages.info(self.request, _("It went to a queue you do not work in; its team takes it from here."))
        return redirect(reverse("tickets:index"))


class TicketLogCustomerSearchView(_LogPage, TemplateView):
    """The picker's matches (htmx): exact mobile, external id or part of a name, among the customers the user may
    see, most recently in touch first."""

    template_name = "tickets/_customer_matches.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "").strip()
        matches = []
        if query:
            found = CustomerFilter(data={"q": query}, queryset=customer_list(user=self.request.user)).qs
            matches = _shown(found.order_by(F("last_contact_at").desc(nulls_last=True), "-pk")[:CUSTOMER_MATCHES])
        return super().get_context_data(query=query, matches=matches, **kwargs)
