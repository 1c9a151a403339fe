"""Customer pages: the list with filters, bulk actions and segments; one customer with timeline and PII reveal;
the supervisor's merge screen; the ops view of PII reveals."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views import View
from django.views.generic import TemplateView

from scrm.customers import selectors, services
from scrm.customers.filters import CustomerFilter
from scrm.customers.forms import BulkActionForm, SegmentForm
from scrm.customers.phones import mask_mobile, mask_name, national_mobile
from scrm.customers.tables import CustomerTable, PiiRevealTable
from scrm.errors import (
    MSG_BULK_DONE,
    MSG_MERGE_UNDONE,
    MSG_MERGED,
    MSG_SEGMENT_NAME_REQUIRED,
    MSG_SEGMENT_SAVED,
    MSG_TOMBSTONE_READ_ONLY,
    ScrmError,
)
from scrm.forms import bootstrap
from scrm.models import Customer, CustomerMerge, Segment, Tag, User
from scrm.paginators import CappedCountPaginator, TableRequestConfig
from scrm.platform.access import ModuleRequiredMixin, user_may_reveal_pii
from scrm.platform.timeline import customer_timeline


def _owners(request):
    """Whom the bulk 设置负责人 offers: who may own a customer (the edit page's and the API's rule)."""
    return selectors.customer_owner_choices()


def _get_customer(request, pk):
    try:
        return selectors.customer_detail(pk=pk, user=request.user)
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


class CustomerListView(ModuleRequiredMixin, TemplateView):
    module = "customers"
    template_name = "scrm/customers/list.html"

    def get_context_data(self, **kwargs):
        request = self.request
        data = request.GET.copy()
        segment = None
        if "segment" in data:
            segment = Segment.objects.filter(pk=data.get("segment")).first() if data["segment"].isdigit() else None
            if segment is not None:
                data = data.__class__(segment.query, mutable=True)
        customer_filter = CustomerFilter(data, queryset=selectors.customer_list(user=request.user),
                                         request=request)
        bootstrap(customer_filter.form)  # the Created range's date pickers (scrm.filters.date_range) as form controls
        table = CustomerTable(customer_filter.qs)
        TableRequestConfig(request, paginate={"per_page": 25, "paginator_class": CappedCountPaginator}).configure(table)
        query = customer_filter.form.data.urlencode() if hasattr(customer_filter.form.data, "urlencode") else ""
        return super().get_context_data(
            filter=customer_filter, table=table, segment=segment,
            segments=selectors.segment_list_with_counts(user=request.user),
            segment_form=SegmentForm(initial={"query": query}), filter_query=query,
            tags=Tag.objects.select_related("group"), owners=_owners(request),
            # The filter finds the customers of any active user (one may own customers from before the rule).
            filter_owners=User.objects.filter(is_active=True).order_by("username"),
            bulk_actions=BulkActionForm.ACTIONS, **kwargs,
        )


class CustomerBulkView(ModuleRequiredMixin, View):
    module = "customers"

    def post(self, request):
        if not request.user.has_perm("scrm.change_customer"):
            raise PermissionDenied
        form = BulkActionForm(request.POST, customers=selectors.customer_list(user=request.user),
                              tags=Tag.objects.all(), owners=_owners(request))
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(self._back(request))
        customers = list(form.cleaned_data["ids"])
        action = form.cleaned_data["action"]
        if action == "tag":
            services.customers_tag(customers=customers, tags=[form.cleaned_data["tag"]])
        elif action == "untag":
            services.customers_untag(customers=customers, tags=[form.cleaned_data["tag"]])
        else:
            try:
                services.customers_set_owner(customers=customers, owner=form.cleaned_data["owner"])
            except ScrmError as exc:
                messages.error(request, str(exc))
                return redirect(self._back(request))
        messages.success(request, MSG_BULK_DONE % {"count": len(customers)})
        return redirect(self._back(request))

    def _back(self, request):
        query = request.POST.get("filter_query", "")
        return f"{reverse('scrm:customers')}?{query}" if query else reverse("scrm:customers")


class SegmentCreateView(ModuleRequiredMixin, View):
    module = "customers"

    def post(self, request):
        if not request.user.has_perm("scrm.add_segment"):
            raise PermissionDenied
        form = SegmentForm(request.POST)
        if form.is_valid():
            try:
                segment = services.segment_create(
                    organization=request.user.organization, name=form.cleaned_data["name"],
                    query=form.cleaned_data["query"], user=request.user,
                )
            except ScrmError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, MSG_SEGMENT_SAVED % {"name": segment.name})
                return redirect(f"{reverse('scrm:customers')}?segment={segment.pk}")
        else:
            messages.error(request, MSG_SEGMENT_NAME_REQUIRED)
        return redirect("scrm:customers")


class CustomerDetailView(ModuleRequiredMixin, TemplateView):
    module = "customers"
    template_name = "scrm/customers/detail.html"

    def get_context_data(self, pk, **kwargs):
        customer = _get_customer(self.request, pk)
        before = parse_datetime(self.request.GET.get("before", "") or "")
        entries, next_before = customer_timeline(customer=customer, before=before, user=self.request.user)
        may_merge = self.request.user.has_perm("scrm.add_customermerge")
        # A merged record (tombstone) is read-only: no merging into it, no edits; only its merge may be undone.
        tombstone = bool(customer.merged_into_id)
        return super().get_context_data(
            customer=customer, masked_mobile=mask_mobile(customer.mobile), masked_name=mask_name(customer.real_name),
            may_reveal=user_may_reveal_pii(self.request.user), timeline=entries, next_before=next_before,
            duplicates=[] if tombstone else selectors.customer_duplicate_suggestions(customer=customer),
            conflicts=[] if tombstone else selectors.customer_open_conflicts(customer=customer),
            undoable_merges=(selectors.customer_undoable_merges(customer=customer, days=services.MERGE_UNDO_DAYS)
                             if may_merge else []),
            may_merge=may_merge and not tombstone, **kwargs,
        )

    def get_template_names(self):
        if self.request.headers.get("HX-Request") and self.request.GET.get("before"):
            return ["scrm/customers/_timeline.html"]
        return [self.template_name]


class CustomerRevealView(ModuleRequiredMixin, View):
    """Show a customer's full mobile and real name, once, and log that this user looked."""

    module = "customers"

    def post(self, request, pk):
        customer = _get_customer(self.request, pk)
        try:
            revealed = services.customer_reveal_pii(customer=customer, user=request.user)
        except ScrmError as exc:
            raise PermissionDenied(str(exc)) from exc
        # A field the user's roles mask stays masked, even here.
        return render(request, "scrm/customers/_pii.html", {
            "customer": customer, "revealed": True,
            "mobile": national_mobile(revealed["mobile"]) if "mobile" in revealed else mask_mobile(customer.mobile),
            "real_name": revealed.get("real_name", mask_name(customer.real_name)),
        })


class CustomerMergeView(ModuleRequiredMixin, TemplateView):
    """Supervisors merge a duplicate into a primary customer after seeing what will move."""

    module = "customers"
    template_name = "scrm/customers/merge.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("scrm.add_customermerge"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _pair(self, data):
        try:
            primary = _get_customer(self.request, int(data.get("primary", "")))
            duplicate = _get_customer(self.request, int(data.get("duplicate", "")))
        except ValueError as exc:
            raise Http404 from exc
        return primary, duplicate

    def get_context_data(self, **kwargs):
        primary, duplicate = self._pair(self.request.GET)
        return super().get_context_data(
            primary=primary, duplicate=duplicate, moves=selectors.customer_merge_preview(duplicate=duplicate),
            comparison=selectors.customer_merge_comparison(primary=primary, duplicate=duplicate),
            conflicts=[c for c in selectors.customer_open_conflicts(customer=primary)
                       if c.counterpart.pk == duplicate.pk],
            refused=MSG_TOMBSTONE_READ_ONLY if primary.merged_into_id or duplicate.merged_into_id else "",
            **kwargs,
        )

    def post(self, request):
        primary, duplicate = self._pair(request.POST)
        try:
            services.customer_merge(primary=primary, duplicate=duplicate, actor=request.user)
        except ScrmError as exc:
            messages.error(request, str(exc))
            return redirect(request.get_full_path())
        messages.success(request, MSG_MERGED % {"duplicate": duplicate.display_name,
                                               "primary": primary.display_name})
        return redirect("scrm:customer-detail", pk=primary.pk)


class CustomerMergeUndoView(ModuleRequiredMixin, View):
    """Undo a merge of the last days (the same people who merge may undo); back to the customer page."""

    module = "customers"

    def post(self, request, pk):
        if not request.user.has_perm("scrm.add_customermerge"):
            raise PermissionDenied
        try:
            merge = CustomerMerge.objects.select_related("duplicate", "primary").get(pk=pk)
            # Only a merge between customers the user may see.
            _get_customer(request, merge.primary_id)
        except CustomerMerge.DoesNotExist as exc:
            raise Http404 from exc
        try:
            services.customer_merge_undo(merge=merge, actor=request.user)
        except ScrmError as exc:
            messages.error(request, str(exc))
            return redirect("scrm:customer-detail", pk=merge.primary_id)
        messages.success(request, MSG_MERGE_UNDONE % {"duplicate": merge.duplicate.display_name})
        return redirect("scrm:customer-detail", pk=merge.duplicate_id)


class PiiRevealListView(ModuleRequiredMixin, TemplateView):
    module = "customers"
    template_name = "scrm/customers/reveals.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("scrm.view_piireveal"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        table = PiiRevealTable(selectors.pii_reveal_list())
        TableRequestConfig(self.request, paginate={"per_page": 50}).configure(table)
        return super().get_context_data(table=table, **kwargs)
