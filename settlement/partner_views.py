"""Finance's pages of partner settlement: statements (list, one statement with review, approve, mark paid, adjust,
regenerate; exports), partners, rules, the service catalogue and the finance dashboard. Each action is one
permission (`has_perm`); the writes are the services'."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from scrm.forms import bootstrap, form_error_messages
from scrm.models import MaskedField
from scrm.paginators import BoundedPaginator, TableRequestConfig
from scrm.platform.access import ModuleRequiredMixin, user_masks
from settlement import partner_selectors as selectors
from settlement import partner_services as services
from settlement.errors import SettlementError
from settlement.filters import filter_empty_text
from settlement.models import (
    Cycle,
    ExchangeRate,
    Partner,
    ServiceItem,
    ServiceJob,
    ServicePrice,
    SettlementStatement,
)
from settlement.partner_errors import MSG_STATEMENT_CARRIED
from settlement.partner_exports import (
    bank_payable,
    bank_payment_csv,
    export_name,
    line_label,
    line_rate,
    period_summary_xlsx,
    statement_xlsx,
)
from settlement.partner_filters import CityTierFilter, PartnerFilter, StatementFilter
from settlement.partner_forms import (
    AdjustmentForm,
    CityTierForm,
    ExchangeRateForm,
    PartnerForm,
    RuleForm,
    ServiceItemForm,
    ServiceJobCompleteForm,
    ServicePriceForm,
)
from settlement.partner_pdf import statement_pdf
from settlement.partner_tables import (
    EMPTY_TEXT_RULES,
    EMPTY_TEXT_RULES_READ_ONLY,
    ChangeTable,
    CityTierTable,
    PartnerTable,
    PriceTable,
    RuleTable,
    StatementTable,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MSG_GENERATED = gettext_lazy("Statement generated: %(partner)s, %(start)s – %(end)s.")
MSG_RUN_QUEUED = gettext_lazy("Generating the %(cycle)s statements of %(start)s – %(end)s in the background.")
MSG_DONE = {
    "review": gettext_lazy("Statement reviewed."), "reopen": gettext_lazy("Statement sent back to draft."),
    "approve": gettext_lazy("Statement approved: it is now locked."), "pay": gettext_lazy("Statement marked paid."),
    "adjust": gettext_lazy("Adjustment recorded."), "regenerate": gettext_lazy("Statement regenerated."),
}
MSG_BAD_DATE = gettext_lazy("Give a valid date (YYYY-MM-DD).")
# A partner chosen for one statement that is not (or no longer) there: never a run of every partner instead.
MSG_PARTNER_NOT_FOUND = gettext_lazy("The partner chosen was not found (removed, or a stale page): nothing was "
                                     "generated. Choose the partner again.")
# A partner search typed and no partner chosen (nothing matched): the first option, every partner of the cycle, is
# not what was meant.
MSG_PARTNER_SEARCH_UNCHOSEN = gettext_lazy("No partner is chosen for the search “%(query)s”: nothing was generated. "
                                           "Choose a partner from the list, or clear the search to generate every "
                                           "partner of the cycle.")


class _FinanceMixin(ModuleRequiredMixin):
    module = "settlement"
    permission = "settlement.view_settlementstatement"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _day(value):
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


class StatementListView(_FinanceMixin, TemplateView):
    template_name = "settlement/partners/statement_list.html"

    def get_context_data(self, **kwargs):
        filterset = StatementFilter(self.request.GET or None, queryset=selectors.statement_list(),
                                    request=self.request)
        bootstrap(filterset.form, small=True)
        table = StatementTable(filterset.qs, empty_text=filter_empty_text(filterset))
        TableRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        return super().get_context_data(filter=filterset, table=table, cycles=Cycle.choices,
                                        **_partner_options(""), runs=list(selectors.run_list()), **kwargs)


def _partner_options(query):
    """The generate form's partner choices for a search: the first matches by name and whether there are more."""
    partners = selectors.partner_pick(query=query)
    limit = selectors.PARTNER_PICK_LIMIT
    return {"partners": partners[:limit], "more_partners": len(partners) > limit, "partner_query": query}


class PartnerPickView(_FinanceMixin, TemplateView):
    """GET ?partner_q=: the generate form's partner options for what was typed (htmx swaps them into the select):
    an organization with thousands of partners finds any of them by name, code or region."""

    permission = "settlement.add_settlementstatement"
    template_name = "settlement/partners/_partner_options.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**_partner_options(self.request.GET.get("partner_q", "")[:100]), **kwargs)


class StatementGenerateView(_FinanceMixin, View):
    """One partner's statement of a period at once, or every partner of a cycle's period in the background."""

    permission = "settlement.add_settlementstatement"

    def post(self, request):
        day = _day(request.POST.get("day"))
        cycle = request.POST.get("cycle") or Cycle.MONTHLY
        if day is None or cycle not in Cycle.values:
            messages.error(request, MSG_BAD_DATE)
            return redirect("settlement:settlement-list")
        start, end = services.period_bounds(cycle, day)
        chosen = (request.POST.get("partner") or "").strip()
        query = (request.POST.get("partner_q") or "").strip()
        if query and not chosen:
            messages.error(request, MSG_PARTNER_SEARCH_UNCHOSEN % {"query": query[:100]})
            return redirect("settlement:settlement-list")
        partner = None
        if chosen:
            # The scope the middleware opened limits this to the user's organization.
            partner = Partner.objects.filter(pk=int(chosen)).first() if chosen.isdigit() else None
            if partner is None:
                messages.error(request, MSG_PARTNER_NOT_FOUND)
                return redirect("settlement:settlement-list")
        try:
            if partner is not None:
                statement, _done = services.statement_generate(partner=partner, period_start=start, period_end=end,
                                                               actor=request.user)
                messages.success(request, MSG_GENERATED % {"partner": partner, "start": start, "end": end})
                return redirect("settlement:settlement-detail", pk=statement.pk)
            services.settlement_run_request(organization=request.user.organization, cycle=cycle, day=day,
                                            actor=request.user)
            messages.success(request, MSG_RUN_QUEUED % {"cycle": Cycle(cycle).label, "start": start, "end": end})
        except SettlementError as error:
            messages.error(request, str(error))
        return redirect("settlement:settlement-list")


class StatementDetailView(_FinanceMixin, TemplateView):
    template_name = "settlement/partners/statement_detail.html"

    def get_context_data(self, **kwargs):
        statement = selectors.statement_detail(pk=self.kwargs["pk"])
        if statement is None:
            raise Http404
        user = self.request.user
        kwargs.setdefault("adjust_form", AdjustmentForm())
        later = statement.carried_into
        # A statement a later one carries is paid with that one: the page says so instead of offering "Mark paid".
        carried_note = (MSG_STATEMENT_CARRIED % {"start": later.period_start, "end": later.period_end}
                        if later is not None else None)
        return super().get_context_data(
            statement=statement, carried_note=carried_note,
            lines=[(line, line_label(line), line_rate(line)) for line in statement.lines.all()],
            may_change=user.has_perm("settlement.change_settlementstatement"),
            # Who marked it reviewed reads whether they may approve it too (the service's rule, which refuses it
            # above the rule's limit) and, without the button, why not.
            self_review_note=(services.statement_self_approval_note(statement=statement)
                              if statement.reviewed_by_id == user.pk else None),
            reviewer_may_approve=(statement.reviewed_by_id != user.pk
                                  or services.statement_reviewer_may_approve(statement=statement)),
            may_adjust=user.has_perm("settlement.add_settlementadjustment"),
            bank_masked=user_masks(user, MaskedField.BANK_DETAILS), **kwargs)


class StatementActionView(_FinanceMixin, View):
    """POST /statements/<pk>/<action>/: review, reopen, approve, pay, adjust, regenerate."""

    permission = "settlement.change_settlementstatement"

    def post(self, request, pk, action):
        statement = SettlementStatement.objects.filter(pk=pk).first()
        if statement is None or action not in MSG_DONE:
            raise Http404
        user = request.user
        if action == "adjust" and not user.has_perm("settlement.add_settlementadjustment"):
            raise PermissionDenied
        try:
            if action == "review":
                services.statement_review(statement=statement, actor=user)
            elif action == "reopen":
                services.statement_reopen(statement=statement, actor=user)
            elif action == "approve":
                services.statement_approve(statement=statement, actor=user)
            elif action == "pay":
                services.statement_mark_paid(statement=statement, actor=user,
                                             reference=request.POST.get("reference", ""))
            elif action == "adjust":
                form = AdjustmentForm(request.POST)
                if not form.is_valid():
                    return self._adjust_again(request, pk, form)
                services.adjustment_for_next_period(statement=statement, actor=user, **form.cleaned_data)
            else:
                services.statement_generate(partner=statement.partner, period_start=statement.period_start,
                                            period_end=statement.period_end, actor=user)
            messages.success(request, MSG_DONE[action])
        except SettlementError as error:
            if action == "adjust":
                return self._adjust_again(request, pk, AdjustmentForm(request.POST), error=str(error))
            messages.error(request, str(error))
        return redirect("settlement:settlement-detail", pk=pk)

    @staticmethod
    def _adjust_again(request, pk, form, *, error=None):
        """The statement's page again with the adjustment as typed and what is wrong with it, instead of a redirect
        that would drop what finance typed."""
        for message in [error] if error else [e for errors in form.errors.values() for e in errors]:
            messages.error(request, message)
        view = StatementDetailView()
        view.setup(request, pk=pk)
        return TemplateResponse(request, view.template_name, view.get_context_data(pk=pk, adjust_form=form),
                                status=400)


class StatementExportView(_FinanceMixin, View):
    def get(self, request, pk):
        statement = selectors.statement_detail(pk=pk)
        if statement is None:
            raise Http404
        content = statement_xlsx(statement)
        services.statement_exported(statement=statement, actor=request.user, file_format="xlsx")
        response = HttpResponse(content, content_type=XLSX)
        name = export_name(f"statement-{statement.partner.code}-{statement.period_start:%Y%m%d}", "xlsx")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class StatementPdfView(_FinanceMixin, View):
    """The statement as a PDF with its Chinese font embedded; without the font, back to the statement saying why."""

    def get(self, request, pk):
        statement = selectors.statement_detail(pk=pk)
        if statement is None:
            raise Http404
        try:
            content = statement_pdf(statement)
        except SettlementError as error:
            messages.error(request, str(error))
            return redirect("settlement:settlement-detail", pk=pk)
        services.statement_exported(statement=statement, actor=request.user, file_format="pdf")
        response = HttpResponse(content, content_type="application/pdf")
        name = export_name(f"statement-{statement.partner.code}-{statement.period_start:%Y%m%d}", "pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


EXPORT_LIMIT = 5000


# An export whose filter does not hold (a date that is no date): the filter would be dropped and the file hold
# every statement, the bank file every approved one.
MSG_EXPORT_FILTER_INVALID = gettext_lazy("The filter is not valid, so nothing was exported: correct it on the list "
                                         "first.")


def _filtered(request, **conditions):
    """The statements of the list's filter for an export; None when the filter does not hold."""
    filterset = StatementFilter(request.GET or None, queryset=selectors.statement_list().filter(**conditions),
                                request=request)
    if filterset.is_bound and not filterset.is_valid():
        return None
    return filterset.qs[:EXPORT_LIMIT]


def _back_to_list(request):
    messages.error(request, MSG_EXPORT_FILTER_INVALID)
    return redirect(f"{reverse('settlement:settlement-list')}?{request.GET.urlencode()}")


class PeriodSummaryExportView(_FinanceMixin, View):
    def get(self, request):
        statements = _filtered(request)
        if statements is None:
            return _back_to_list(request)
        statements = list(statements)
        content = period_summary_xlsx(statements)
        services.statements_exported(statements=statements, actor=request.user, file_format="summary-xlsx")
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{export_name("settlement-summary", "xlsx")}"'
        return response


class BankFileExportView(_FinanceMixin, View):
    """Account numbers in full: only for who may approve statements and sees bank details unmasked."""

    permission = "settlement.change_settlementstatement"

    def get(self, request):
        if user_masks(request.user, MaskedField.BANK_DETAILS):
            raise PermissionDenied
        statements = _filtered(request, status=SettlementStatement.Status.APPROVED)
        if statements is None:
            return _back_to_list(request)
        paid = bank_payable(statements)
        content = bank_payment_csv(paid)
        services.statements_exported(statements=paid, actor=request.user, file_format="bank-csv")
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export_name("bank-payments", "csv")}"'
        return response


class PartnerListView(_FinanceMixin, TemplateView):
    template_name = "settlement/partners/list.html"
    permission = "settlement.view_partner"
    title = gettext_lazy("Partners")

    def get_context_data(self, **kwargs):
        filterset = PartnerFilter(self.request.GET or None, queryset=selectors.partner_list(),
                                  request=self.request)
        bootstrap(filterset.form, small=True)
        table = PartnerTable(filterset.qs, editable=self.request.user.has_perm(PartnerEditView.permission),
                             empty_text=filter_empty_text(filterset))
        TableRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        actions = []
        if self.request.user.has_perm("settlement.add_partner"):
            actions.append((reverse("settlement:partner-create"), _("New partner")))
        return super().get_context_data(filter=filterset, table=table, title=self.title, actions=actions, **kwargs)


class RuleListView(_FinanceMixin, TemplateView):
    template_name = "settlement/partners/list.html"
    permission = "settlement.view_settlementrule"
    title = gettext_lazy("Settlement rules")

    def get_context_data(self, **kwargs):
        may_add = self.request.user.has_perm("settlement.add_settlementrule")
        table = RuleTable(selectors.rule_list(), empty_text=EMPTY_TEXT_RULES if may_add else EMPTY_TEXT_RULES_READ_ONLY)
        TableRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        actions = [(reverse("settlement:exchange-rates"), _("Exchange rates"))]
        if may_add:
            actions.insert(0, (reverse("settlement:rule-create"), _("New settlement rule")))
        return super().get_context_data(table=table, title=self.title, actions=actions, **kwargs)


class CatalogueView(_FinanceMixin, TemplateView):
    template_name = "settlement/partners/list.html"
    permission = "settlement.view_serviceprice"
    title = gettext_lazy("Service catalogue")

    def get_context_data(self, **kwargs):
        user = self.request.user
        editable = user.has_perm("settlement.change_serviceprice") and user.has_perm("settlement.change_serviceitem")
        table = PriceTable(selectors.price_list(), exclude=() if editable else ("edit",))
        TableRequestConfig(self.request, paginate={"per_page": 50}).configure(table)
        actions = [(reverse("settlement:city-tiers"), _("City tiers"))]
        if user.has_perm("settlement.add_serviceitem"):
            actions.append((reverse("settlement:catalogue-item-create"), _("New service item")))
        if user.has_perm("settlement.add_serviceprice"):
            actions.append((reverse("settlement:catalogue-price-create"), _("New price")))
        return super().get_context_data(table=table, title=self.title, actions=actions, **kwargs)



class _FormView(_FinanceMixin, TemplateView):
    """A configuration form: GET shows it, POST hands its values to a service; a refusal shows on the form and
    answers 400, as every settings form of the product does."""

    template_name = "settlement/partners/form.html"
    form_class = None
    title = ""
    success_url = ""

    def get_form(self):
        return self.form_class(self.request.POST or None)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form(), title=self.title))

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            try:
                self.save(form)
            except SettlementError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, MSG_SAVED)
                return redirect(self.success_url)
        return self.render_to_response(self.get_context_data(form=form, title=self.title), status=400)


MSG_SAVED = gettext_lazy("Saved.")


class RuleCreateView(_FormView):
    permission = "settlement.add_settlementrule"
    form_class = RuleForm
    title = gettext_lazy("New settlement rule")
    success_url = "settlement:rule-list"

    def save(self, form):
        values = {name: form.cleaned_data[name] for name in RuleForm.Meta.fields}
        services.rule_create(organization=self.request.user.organization, actor=self.request.user,
                             rebate_tiers=form.cleaned_data["tiers"], **values)


EXCHANGE_RATES_PER_PAGE = 60


class ExchangeRateView(_FormView):
    permission = "settlement.view_exchangerate"
    form_class = ExchangeRateForm
    title = gettext_lazy("Exchange rates")
    success_url = "settlement:exchange-rates"
    template_name = "settlement/partners/exchange_rates.html"

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("settlement.add_exchangerate"):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        # Paged, not cut at the newest 60: the rate an older statement used must stay checkable.
        rates = BoundedPaginator(ExchangeRate.objects.order_by("-date", "base", "quote", "pk"),
                                 EXCHANGE_RATES_PER_PAGE).get_page(self.request.GET.get("page"))
        return super().get_context_data(rates=rates, **kwargs)

    def save(self, form):
        data = form.cleaned_data
        services.exchange_rate_set(organization=self.request.user.organization, day=data["day"], base=data["base"],
                                   quote=data["quote"], rate=data["rate"], source=data["source"],
                                   actor=self.request.user)


class PartnerEditView(_FormView):
    permission = "settlement.change_partner"
    form_class = PartnerForm
    success_url = "settlement:partner-list"

    @property
    def title(self):
        return self.partner.name if self.partner else gettext_lazy("New partner")

    def dispatch(self, request, *args, **kwargs):
        self.partner = None
        if "pk" in kwargs and request.user.is_authenticated:
            self.partner = Partner.objects.filter(pk=kwargs["pk"]).first()
            if self.partner is None:
                raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form(self):
        return self.form_class(self.request.POST or None, instance=self.partner)

    def save(self, form):
        values = {name: form.cleaned_data[name] for name in PartnerForm.Meta.fields}
        services.partner_save(organization=self.request.user.organization, partner=self.partner,
                              stores=list(form.cleaned_data["stores"]),
                              bank_account=form.cleaned_data["bank_account"] or None, actor=self.request.user,
                              **values)


class _CatalogueEditView(_FormView):
    """Create (no pk: the add permission) or change (pk: the change permission) one row of the catalogue."""

    model = None
    success_url = "settlement:catalogue"

    def dispatch(self, request, *args, **kwargs):
        self.object = None
        name = self.model._meta.model_name
        self.permission = f"settlement.{'change' if 'pk' in kwargs else 'add'}_{name}"
        if "pk" in kwargs and request.user.is_authenticated and request.user.has_perm(self.permission):
            self.object = self.model.objects.filter(pk=kwargs["pk"]).first()
            if self.object is None:
                raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form(self):
        return self.form_class(self.request.POST or None, instance=self.object)


class ServiceItemEditView(_CatalogueEditView):
    model = ServiceItem
    form_class = ServiceItemForm

    @property
    def title(self):
        return self.object.name if self.object else gettext_lazy("New service item")

    def save(self, form):
        values = {name: form.cleaned_data[name] for name in ServiceItemForm.Meta.fields}
        services.service_item_save(organization=self.request.user.organization, item=self.object,
                                   actor=self.request.user, **values)


class ServicePriceEditView(_CatalogueEditView):
    model = ServicePrice
    form_class = ServicePriceForm

    @property
    def title(self):
        if self.object is None:
            return gettext_lazy("New price")
        return _("Price of %(item)s") % {"item": self.object.item.name}

    def save(self, form):
        data = form.cleaned_data
        services.service_price_set(organization=self.request.user.organization, item=data["item"],
                                   region=data["region"], tier=data["tier"], currency=data["currency"],
                                   price=data["price"], material_cost=data["material_cost"],
                                   technician_payout=data["technician_payout"], actor=self.request.user)


SERVICE_JOBS_PER_PAGE = 50
MSG_JOB_CONFIRMED = gettext_lazy("Job confirmed by the customer: it settles with its partner's statement.")


class ServiceJobListView(_FinanceMixin, TemplateView):
    """The service jobs, newest first; a job to complete gets its partner, technician and items here."""

    template_name = "settlement/partners/service_jobs.html"
    permission = "settlement.view_servicejob"

    def get_context_data(self, **kwargs):
        status = self.request.GET.get("status") or ""
        jobs = selectors.service_job_list()
        if status in ServiceJob.Status.values:
            jobs = jobs.filter(status=status)
        # Paged, not cut: a job past the first page still has to be completed or confirmed by someone.
        page = BoundedPaginator(jobs, SERVICE_JOBS_PER_PAGE).get_page(self.request.GET.get("page"))
        form = ServiceJobCompleteForm(auto_id=False)
        # Every row renders the partner drop-down: its options read once, not once a row.
        form.fields["partner"].choices = list(form.fields["partner"].choices)
        return super().get_context_data(jobs=page.object_list, page=page, statuses=ServiceJob.Status.choices,
                                        status=status, form=form, **kwargs)


class ServiceJobActionView(_FinanceMixin, View):
    permission = "settlement.change_servicejob"

    def post(self, request, pk, action):
        job = ServiceJob.objects.filter(pk=pk).first()
        if job is None or action not in {"complete", "confirm"}:
            raise Http404
        try:
            if action == "confirm":
                services.service_job_confirm(job=job)
                messages.success(request, MSG_JOB_CONFIRMED)
            else:
                form = ServiceJobCompleteForm(request.POST)
                if not form.is_valid():
                    for message in form_error_messages(form):
                        messages.error(request, message)
                    return redirect("settlement:service-jobs")
                services.service_job_complete(job=job, partner=form.cleaned_data["partner"],
                                              items=form.cleaned_data["items"],
                                              technician=form.cleaned_data["technician"])
                messages.success(request, MSG_SAVED)
        except SettlementError as error:
            messages.error(request, str(error))
        return redirect("settlement:service-jobs")


MSG_TIERS_SET = gettext_lazy("City tier saved for %(count)s regions.")
CITY_TIER_PERMISSION = "settlement.change_regioncitytier"


class CityTierView(_FinanceMixin, TemplateView):
    """Which region (city) is in which price tier (一线/二线/三线 ...): the list, filtered, and a bulk change of the
    ticked rows (POST, for who may change tiers: ops, as the catalogue's prices)."""

    template_name = "settlement/partners/city_tiers.html"
    permission = "settlement.view_regioncitytier"

    def get_context_data(self, **kwargs):
        filterset = CityTierFilter(self.request.GET or None, queryset=selectors.city_tier_regions(),
                                   request=self.request)
        bootstrap(filterset.form, small=True)
        table = CityTierTable(filterset.qs)
        may_change = self.request.user.has_perm(CITY_TIER_PERMISSION)
        if not may_change:
            table.exclude = ("select",)
        TableRequestConfig(self.request, paginate={"per_page": 100}).configure(table)
        return super().get_context_data(filter=filterset, table=table, may_change=may_change,
                                        form=kwargs.pop("form", None) or CityTierForm(), **kwargs)

    def post(self, request):
        if not request.user.has_perm(CITY_TIER_PERMISSION):
            raise PermissionDenied
        form = CityTierForm(request.POST)
        if form.is_valid():
            try:
                count = services.city_tiers_set(organization=request.user.organization,
                                                regions=list(form.cleaned_data["ids"]),
                                                tier=form.cleaned_data["tier"], actor=request.user)
            except SettlementError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, MSG_TIERS_SET % {"count": count})
                return redirect(f"{reverse('settlement:city-tiers')}?{request.GET.urlencode()}")
        else:
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SettingsChangeListView(_FinanceMixin, TemplateView):
    """The audit trail of partner settlement's configuration: rules, exchange rates, partners (bank details
    masked), the service catalogue, city tiers; each subject for who may read it."""

    template_name = "settlement/partners/list.html"
    permission = "settlement.view_settlementrule"
    title = gettext_lazy("Settlement configuration changes")

    def get_context_data(self, **kwargs):
        table = ChangeTable(selectors.settings_changes_readable(user=self.request.user))
        TableRequestConfig(self.request, paginate={"per_page": 50}).configure(table)
        return super().get_context_data(table=table, title=self.title, actions=[], **kwargs)
