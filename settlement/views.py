"""Finance and ops read the orders ledger: the list with its filters and one order's page. Read only: the ledger is
written by the stores' events."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from scrm.forms import bootstrap
from scrm.paginators import TableRequestConfig
from scrm.platform.access import ModuleRequiredMixin
from scrm.platform.navigation import nav_groups_for
from settlement import home_selectors, selectors
from settlement.errors import SettlementError
from settlement.filters import OrderFilter
from settlement.models import StatementImport
from settlement.services import ledger_currencies_set
from settlement.tables import OrderTable

# The home page's lines when nothing waits on a list, and a payment channel's statement days.
MSG_HOME_NO_DISCREPANCY = _("No discrepancy waiting")
MSG_HOME_ALL_RECONCILED = _("Every imported statement is reconciled")
MSG_HOME_NO_STATEMENT_WAITING = _("No statement waiting for review or approval")
MSG_HOME_APPROVED_BY_A_COLLEAGUE = _("You reviewed these: a colleague approves them")
MSG_HOME_NO_JOB_WAITING = _("No service job waiting")
MSG_HOME_NO_CHANNEL = _("No active payment channel")
MSG_HOME_CHANNEL_LAST_DAY = _("%(channel)s: last statement day %(day)s")
MSG_HOME_CHANNEL_NO_STATEMENT = _("%(channel)s: no statement yet")


class SettlementIndexView(ModuleRequiredMixin, TemplateView):
    """The settlement module's home: its pages the user may open (the navigation registry's settlement entries,
    already filtered by permission) grouped by what finance does, the daily work and partner tiles each with what
    waits on its list, linked to the list filtered to those rows."""

    module = "settlement"
    template_name = "settlement/index.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        groups = nav_groups_for(user, "settlement")
        keys = {entry["child"].key for group in groups for entry in group["entries"]}
        figures = home_figures(user=user, keys=keys)
        for group in groups:
            for entry in group["entries"]:
                entry["figures"] = figures.get(entry["child"].key)
        return super().get_context_data(groups=groups, **kwargs)


def _figure(testid, count, label, url, *, warn=False):
    return {"testid": testid, "count": count, "label": label, "url": url, "warn": warn}


def _calm(testid, text):
    return {"testid": testid, "calm": text}


def home_figures(*, user, keys):
    """{section key: [figure, ...]} for the sections in `keys` (those the user may open): each figure a count with
    its words and the filtered list it counts, or a calm line when nothing waits. A section not in `keys` is not
    counted at all."""
    figures = {}
    if "discrepancies" in keys:
        waiting = home_selectors.discrepancies_waiting()
        url = reverse("settlement:discrepancy-list")
        if waiting["open"]:
            figures["discrepancies"] = [_figure(
                "figure-discrepancies-open", waiting["open"],
                ngettext("discrepancy to work", "discrepancies to work", waiting["open"]), url)]
            if waiting["old"]:
                days = home_selectors.DISCREPANCY_OLD_DAYS
                figures["discrepancies"].append(_figure(
                    "figure-discrepancies-old", waiting["old"],
                    ngettext("older than %(days)d days", "older than %(days)d days", waiting["old"]) % {"days": days},
                    f"{url}?{urlencode({'age_min': days})}", warn=True))
        else:
            figures["discrepancies"] = [_calm("figure-discrepancies-calm", MSG_HOME_NO_DISCREPANCY)]
    imports = (home_selectors.statements_not_reconciled() if keys & {"reconciliation", "statements"} else {})
    if "reconciliation" in keys:
        if imports["unreconciled"]:
            figures["reconciliation"] = [_figure(
                "figure-statements-unreconciled", imports["unreconciled"],
                ngettext("statement imported, not reconciled", "statements imported, not reconciled",
                         imports["unreconciled"]), reverse("settlement:reconciliation"))]
        else:
            figures["reconciliation"] = [_calm("figure-statements-reconciled", MSG_HOME_ALL_RECONCILED)]
    if "statements" in keys:
        url = reverse("settlement:statement-list")
        lines = []
        for row in home_selectors.channels_last_day():
            channel = row["channel"]
            if row["last_day"] is None:
                words = MSG_HOME_CHANNEL_NO_STATEMENT % {"channel": channel.name}
            else:
                words = MSG_HOME_CHANNEL_LAST_DAY % {"channel": channel.name, "day": row["last_day"].isoformat()}
            missing = len(row["missing"])
            if missing:
                words += ngettext(", %(n)d day missing", ", %(n)d days missing", missing) % {"n": missing}
            lines.append({"testid": f"figure-channel-{channel.code}", "text": words, "warn": bool(missing),
                          "url": f"{url}?{urlencode({'channel': channel.pk})}"})
        if imports["refused"]:
            lines.append(_figure("figure-statements-refused", imports["refused"],
                                 ngettext("import refused", "imports refused", imports["refused"]),
                                 f"{url}?{urlencode({'status': StatementImport.Status.FAILED})}", warn=True))
        figures["statements"] = lines or [_calm("figure-channels-none", MSG_HOME_NO_CHANNEL)]
    if "partner-statements" in keys:
        waiting = home_selectors.partner_statements_waiting(user=user)
        url = reverse("settlement:settlement-list")
        lines = []
        if waiting["draft"]:
            lines.append(_figure("figure-partner-draft", waiting["draft"],
                                 ngettext("to review", "to review", waiting["draft"]),
                                 f"{url}?{urlencode({'status': 'draft'})}"))
        if waiting["reviewed"]:
            lines.append(_figure("figure-partner-reviewed", waiting["reviewed"],
                                 ngettext("to approve", "to approve", waiting["reviewed"]),
                                 f"{url}?{urlencode({'status': 'reviewed'})}"))
            if user.has_perm("settlement.change_settlementstatement"):
                # None of them this user's to approve: they reviewed them (two people approve), said as such
                # rather than as "0 for you to approve".
                lines.append(_figure("figure-partner-yours", waiting["yours"],
                                     ngettext("for you to approve", "for you to approve", waiting["yours"]),
                                     f"{url}?{urlencode({'status': 'reviewed'})}") if waiting["yours"]
                             else _calm("figure-partner-colleague", MSG_HOME_APPROVED_BY_A_COLLEAGUE))
        figures["partner-statements"] = lines or [_calm("figure-partner-calm", MSG_HOME_NO_STATEMENT_WAITING)]
    if "service-jobs" in keys:
        waiting = home_selectors.service_jobs_waiting()
        url = reverse("settlement:service-jobs")
        lines = []
        if waiting["open"]:
            lines.append(_figure("figure-jobs-open", waiting["open"],
                                 ngettext("job to complete", "jobs to complete", waiting["open"]),
                                 f"{url}?{urlencode({'status': 'open'})}"))
        if waiting["completed"]:
            lines.append(_figure("figure-jobs-completed", waiting["completed"],
                                 ngettext("awaiting customer confirmation",
                                          "awaiting customer confirmation", waiting["completed"]),
                                 f"{url}?{urlencode({'status': 'completed'})}"))
        figures["service-jobs"] = lines or [_calm("figure-jobs-calm", MSG_HOME_NO_JOB_WAITING)]
    return figures


class _LedgerMixin(ModuleRequiredMixin):
    module = "settlement"
    permission = "settlement.view_order"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class OrderListView(_LedgerMixin, TemplateView):
    template_name = "settlement/order_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        filterset = OrderFilter(self.request.GET or None, queryset=selectors.order_list(user=user),
                                request=self.request)
        bootstrap(filterset.form, small=True)
        table = OrderTable(filterset.qs, mask_amounts=selectors.ledger_masks_amounts(user))
        TableRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        return super().get_context_data(filter=filterset, table=table, **kwargs)


class OrderDetailView(_LedgerMixin, TemplateView):
    template_name = "settlement/order_detail.html"

    def get_context_data(self, **kwargs):
        # The scope the middleware opened limits this to the user's organization.
        order = selectors.order_detail(pk=self.kwargs["pk"], user=self.request.user)
        if order is None:
            raise Http404
        if selectors.ledger_masks_amounts(self.request.user):
            selectors.order_mask_amounts(order)
        return super().get_context_data(order=order, tickets=list(selectors.order_tickets(order=order)),
                                        history=list(selectors.order_history(order=order)), **kwargs)


MSG_CURRENCIES_SAVED = _("Accepted currencies saved.")


class AcceptedCurrenciesForm(forms.Form):
    currencies = forms.CharField(
        label=_("Accepted currencies"), required=False, max_length=100,
        help_text=_("ISO 4217 codes separated by commas, e.g. CNY,HKD. Orders and refunds in another currency are "
                    "refused with the reason on their event. Empty: every currency is accepted."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}))


class AcceptedCurrenciesView(ModuleRequiredMixin, TemplateView):
    """The currencies the organization's orders ledger accepts: finance and ops read them (view) and those holding
    `settlement.change_ledgersettings` change them, through `ledger_currencies_set` (audited)."""

    module = "settlement"
    template_name = "settlement/currencies.html"

    def dispatch(self, request, *args, **kwargs):
        permission = ("settlement.change_ledgersettings" if request.method == "POST"
                      else "settlement.view_ledgersettings")
        if request.user.is_authenticated and (not request.user.organization_id
                                              or not request.user.has_perm(permission)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form=None, **kwargs):
        settings = selectors.ledger_settings_get()
        if form is None:
            form = AcceptedCurrenciesForm(initial={"currencies": settings.accepted_currencies if settings else ""})
        return super().get_context_data(
            form=form, settings=settings, changes=list(selectors.ledger_settings_changes()),
            can_change=self.request.user.has_perm("settlement.change_ledgersettings"), **kwargs)

    def post(self, request, *args, **kwargs):
        form = AcceptedCurrenciesForm(request.POST)
        if form.is_valid():
            try:
                ledger_currencies_set(organization=request.user.organization, by=request.user,
                                      currencies=form.cleaned_data["currencies"])
            except SettlementError as error:
                form.add_error("currencies", str(error))
            else:
                messages.success(request, MSG_CURRENCIES_SAVED)
                return redirect("settlement:currencies")
        return self.render_to_response(self.get_context_data(form=form), status=400)
