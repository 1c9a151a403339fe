"""Create and edit a customer by hand (a wrong name or mobile, a walk-in), through the services, with a warning when
the mobile already belongs to someone else. The same rules as the API: `scrm.add_customer` / `scrm.change_customer`."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView

from scrm.customers import selectors, services
from scrm.customers.forms import CustomerForm
from scrm.customers.phones import mask_mobile, mask_name
from scrm.errors import ScrmError
from scrm.models import Channel, Customer, Region
from scrm.platform.access import ModuleRequiredMixin


class _CustomerFormPage(ModuleRequiredMixin, FormView):
    module = "customers"
    template_name = "scrm/customers/form.html"
    form_class = CustomerForm
    permission = ""
    customer = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(self.permission):
            raise PermissionDenied(_("Your role may not do that."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        # Who may own a customer, as the list's bulk 设置负责人 offers (and the current owner, so an edit keeps it).
        owners = selectors.customer_owner_choices(keep=self.customer.owner_id if self.customer else None)
        return {**super().get_form_kwargs(), "customer": self.customer,
                "regions": Region.objects.order_by("path"), "owners": owners}

    def get_context_data(self, **kwargs):
        form = kwargs.get("form")
        return super().get_context_data(customer=self.customer, duplicate=getattr(form, "duplicate", None),
                                        **kwargs)

    def form_invalid(self, form):
        # A refused form answers 400, with the same page and its messages, as every settings form does.
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CustomerCreateView(_CustomerFormPage):
    permission = "scrm.add_customer"

    def form_valid(self, form):
        data = form.changes()
        customer = services.customer_create(organization=self.request.user.organization,
                                            source_channel=Channel.MANUAL, **data)
        messages.success(self.request, _("Customer %(name)s added.") % {"name": customer.display_name})
        return redirect("scrm:customer-detail", customer.pk)


class CustomerEditView(_CustomerFormPage):
    permission = "scrm.change_customer"

    def dispatch(self, request, *args, pk, **kwargs):
        if request.user.is_authenticated:
            try:
                self.customer = selectors.customer_detail(pk=pk, user=request.user)
            except Customer.DoesNotExist as exc:
                raise Http404 from exc
            if self.customer.merged_into_id:
                raise Http404
        return super().dispatch(request, *args, pk=pk, **kwargs)

    def get_initial(self):
        c = self.customer
        return {"display_name": c.display_name, "email": c.email, "region": c.region_id, "level": c.level,
                "owner": c.owner_id, "notes": c.notes}

    def get_context_data(self, **kwargs):
        return super().get_context_data(masked_mobile=mask_mobile(self.customer.mobile),
                                        masked_name=mask_name(self.customer.real_name), **kwargs)

    def form_valid(self, form):
        try:
            _customer, changed = services.customer_update(customer=self.customer, **form.changes())
        except ScrmError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        if changed:
            messages.success(self.request, _("Customer %(name)s saved.") % {"name": form.cleaned_data["display_name"]})
        else:
            messages.info(self.request, _("Nothing was changed."))
        return redirect("scrm:customer-detail", self.customer.pk)
