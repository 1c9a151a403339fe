"""Finance's reconciliation pages: the channels' tiles, running a period, the day's report (and its Excel), the
discrepancy workbench with its actions, and the dry-run of a tolerance change. Thin: services decide, selectors
read."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from scrm.forms import bootstrap, form_error_messages
from scrm.paginators import TableRequestConfig
from scrm.platform.access import ModuleRequiredMixin
from settlement.errors import SettlementError
from settlement.models import Discrepancy, Order, Refund
from settlement.money_text import money_display
from settlement.reconciliation import selectors
from settlement.reconciliation.labels import MATCH_KEY_LABELS, decision_label, discrepancy_subject, match_keys_label
from settlement.reconciliation.report import day_report, day_workbook
from settlement.reconciliation.services import (
    RUN_PERMISSION,
    WORK_PERMISSION,
    discrepancy_annotate,
    discrepancy_open_ticket,
    discrepancy_resolve,
    discrepancy_write_off,
    discrepancy_write_off_approve,
    discrepancy_write_off_reject,
    reconciliation_dry_run,
    reconciliation_report_exported,
    reconciliation_run,
    reconciliation_run_queue,
)
from settlement.reconciliation.web import (
    DiscrepancyFilter,
    DiscrepancyTable,
    DryRunForm,
    NoteForm,
    ResolveForm,
    RunForm,
    TicketForm,
)

MSG_RUN_DONE = _("Reconciled: %(matched)s lines matched, %(open)s discrepancies.")
MSG_RUN_QUEUED = _("The reconciliation runs in the background; this page shows it when it is done.")
MSG_DONE = _("Saved.")
# An export asked for a day no run has reconciled (an old link, a typed URL): there is nothing to export.
MSG_NOT_RECONCILED_NO_EXPORT = _("This day has not been reconciled yet, so there is nothing to export. Reconcile it "
                                 "first.")
# A report link whose day is no date (a hand-edited "2026-13-45"): the report of the default day, saying why.
MSG_BAD_DAY = _("“%(value)s” is not a date (YYYY-MM-DD): showing %(day)s instead.")
IMPORT_PERMISSION = "settlement.add_statementimport"  # as the statement upload page asks
# Linking a discrepancy's ticket to its page: as the order page decides (finance may not open tickets).
TICKET_VIEW_PERMISSION = "tickets.view_ticket"
# The run form's fields, carried back to the home page in its query when a run is refused.
RUN_FIELDS = ("channel", "period_start", "period_end")
# A period longer than this runs as a background job.
SYNC_DAYS = 1

# What the matcher wrote down about a discrepancy (its `reason`), named for finance. The keys are the matcher's; a key
# it adds later still shows, under its own name, until it is named here.
REASON_LABELS = {
    "keys": _("Matched on"),
    "statement_amount": _("Amount in the statement"),
    "ledger_amount": _("Amount in the ledger"),
    "difference": _("Difference"),
    "amount_tolerance": _("Amount tolerance"),
    "fee": _("Fee charged"),
    "expected_fee": _("Fee expected"),
    "fee_rate": _("Fee rate"),
    "fee_tolerance": _("Fee tolerance"),
    "ledger_status": _("Status in the ledger"),
    "ledger_paid_on": _("Paid in the ledger on"),
    "ledger_paid_at": _("Paid in the ledger at"),
    "ledger_refunded_at": _("Refunded in the ledger at"),
    "timing": _("Paid on another day than the statement's"),
    "timing_window_minutes": _("Timing window (minutes)"),
    "duplicate_of_statement_day": _("First reported on"),
    "occurrence": _("Occurrence"),
    "searched": _("Looked for in"),
    "rule": _("Rule"),
}
REASON_MONEY = {"statement_amount", "ledger_amount", "difference", "fee", "expected_fee"}
REASON_VALUES = {
    **MATCH_KEY_LABELS,
    "payment lines of the channel, every statement day": _("the channel's payment lines, every statement day"),
    "refund lines of the channel, every statement day": _("the channel's refund lines, every statement day"),
    "refund_in_later_bill": _("a refund may be reported in a later statement"),
}
MSG_NO_KEYS = _("nothing (no key of the line found a ledger entry)")
MSG_YES = _("yes")
LEDGER_STATUSES = {**dict(Refund.Status.choices), **dict(Order.Status.choices)}
# A discrepancy finance may still resolve or write off (the services refuse the others).
DECIDABLE = (Discrepancy.Status.OPEN, Discrepancy.Status.CLEARED)


class _Perm(ModuleRequiredMixin):
    module = "settlement"
    permission = "settlement.view_discrepancy"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ReconciliationHomeView(_Perm, TemplateView):
    """Finance's settlement home: a tile per payment channel (its latest run, what is open) and the run form."""

    template_name = "settlement/reconciliation_home.html"
    permission = "settlement.view_reconciliationrun"

    def get_context_data(self, **kwargs):
        query = self.request.GET
        if any(name in query for name in RUN_FIELDS):
            # A refused run came back here by redirect with what was filled in: the form is checked again against
            # today's data, so a reload shows the refusal (or, once the statement is imported, a form ready to run),
            # never a re-post.
            form = RunForm({name: query.get(name, "") for name in RUN_FIELDS})
            form.is_valid()
        else:
            form = RunForm(initial={"period_start": timezone.localdate() - timedelta(days=1)})
        # A run refused for a day with no statement names the day and links the channel's upload, for who may.
        no_statement = form.missing_statement
        return super().get_context_data(tiles=selectors.channel_tiles(), form=bootstrap(form, small=True),
                                        run_errors=form_error_messages(form) if form.is_bound else [],
                                        runs=list(selectors.run_list()[:20]), no_statement=no_statement,
                                        may_import=bool(no_statement) and self.request.user.has_perm(IMPORT_PERMISSION),
                                        **kwargs)


class ReconciliationRunView(_Perm, View):
    permission = RUN_PERMISSION

    def post(self, request):
        form = RunForm(request.POST)
        if not form.is_valid():
            # Post/redirect/get: the home page with what was filled in, where the form says why it was refused (and
            # links the statement upload for a day with none). A reload there re-reads; it never runs anything.
            query = urlencode({name: request.POST.get(name, "") for name in RUN_FIELDS})
            return redirect(f"{reverse('settlement:reconciliation')}?{query}")
        channel, first = form.cleaned_data["channel"], form.cleaned_data["period_start"]
        last = form.cleaned_data["period_end"] or first
        if (last - first).days + 1 > SYNC_DAYS:
            reconciliation_run_queue(channel=channel, period_start=first, period_end=last, by=request.user)
            messages.info(request, MSG_RUN_QUEUED)
            return redirect("settlement:reconciliation")
        run = reconciliation_run(channel=channel, period_start=first, period_end=last, by=request.user)
        messages.success(request, MSG_RUN_DONE % {
            "matched": run.summary["matched"]["count"],
            "open": sum(v["count"] for k, v in run.summary.items() if isinstance(v, dict) and k != "matched")})
        return redirect(f"{reverse('settlement:reconciliation-report')}?channel={channel.pk}&day={first}")


def _reason_value(key, value):
    if key == "keys":
        return match_keys_label(value) if value else MSG_NO_KEYS
    if key in REASON_MONEY:
        return money_display(value)
    if key == "ledger_status":
        return LEDGER_STATUSES.get(value, value)
    if value is True:
        return MSG_YES
    return REASON_VALUES.get(value, value) if isinstance(value, str) else value


def _report_status(report):
    """A store's report names the status in the platform's words as we store them (paid, refunded): show its label."""
    return report.status_label


def reason_rows(reason):
    """The discrepancy's reason as (raw, label, value) rows in the reader's language, the known keys in a fixed order
    (the raw key and value stay on the page as a tooltip, for whoever compares it with the API)."""
    reason = reason or {}
    order = [key for key in REASON_LABELS if key in reason] + sorted(key for key in reason if key not in REASON_LABELS)
    return [(f"{key}={_raw(reason[key])}", REASON_LABELS.get(key, key), _reason_value(key, reason[key]))
            for key in order]


def _raw(value):
    return ", ".join(str(v) for v in value) if isinstance(value, list) else value


def _channel_and_day(request):
    raw = request.GET.get("channel") or ""
    # A channel that is not a number (a hand-edited link) is "not found", like one of another organization.
    channel = selectors.channel_list().filter(pk=int(raw)).first() if raw.isdigit() else None
    if channel is None:
        raise Http404
    day, given = _day(request)
    return channel, day, given


def _day(request):
    """The report's day: the query's, or yesterday when none is given or the one given is no date (said once, as a
    message, so the page never answers 500 to a hand-edited link); and whether the day is the one asked for."""
    raw = (request.GET.get("day") or "").strip()
    default = timezone.localdate() - timedelta(days=1)
    try:
        day = parse_date(raw) if raw else None
    except ValueError:  # the shape of a date, not a date ("2026-13-45")
        day = None
    if raw and day is None:
        messages.warning(request, MSG_BAD_DAY % {"value": raw[:20], "day": f"{default:%Y-%m-%d}"})
        return default, False
    return day or default, True


class ReconciliationReportView(_Perm, TemplateView):
    template_name = "settlement/reconciliation_report.html"
    permission = "settlement.view_reconciliationrun"

    def get_context_data(self, **kwargs):
        channel, day, _given = _channel_and_day(self.request)
        report = day_report(channel=channel, day=day)
        figures = (report["run"].figures or {}) if report["run"] else {}
        fees = {key: money_display(figures.get(key)) for key in ("fee_charged", "fee_expected")}
        # A day no run has reconciled shows its empty state with the next step for who may take it: import the day's
        # statement, or (once imported) reconcile it. Reconciling a day with no statement would only list every
        # order of the day as unpaid by the channel.
        user = self.request.user
        imported = report["run"] is None and selectors.statement_day_imported(channel=channel, day=day)
        empty_state = {"imported": imported, "may_run": imported and channel.active and user.has_perm(RUN_PERMISSION),
                       "may_import": user.has_perm(IMPORT_PERMISSION)}
        exports = selectors.run_exports(run=report["run"]) if report["run"] else []
        return super().get_context_data(channel=channel, day=day, report=report, fees=fees, empty=empty_state,
                                        exports=exports,
                                        ages=[(label, count, money_display(amount))
                                              for label, count, amount in report["ages"]],
                                        channels=list(selectors.channel_list()), **kwargs)


class ReconciliationExportView(_Perm, View):
    permission = "settlement.view_reconciliationrun"

    def get(self, request):
        channel, day, given = _channel_and_day(request)
        if not given:  # never the workbook of another day than the one asked for: the report says why
            return redirect(f"{reverse('settlement:reconciliation-report')}?channel={channel.pk}&day={day}")
        run = selectors.run_for_day(channel=channel, day=day)
        if run is None:
            messages.info(request, MSG_NOT_RECONCILED_NO_EXPORT)
            return redirect(f"{reverse('settlement:reconciliation-report')}?channel={channel.pk}&day={day}")
        content = day_workbook(channel=channel, day=day)
        reconciliation_report_exported(run=run, day=day, actor=request.user)
        response = HttpResponse(content,
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="reconciliation-{channel.code}-{day}.xlsx"'
        return response


class DiscrepancyListView(_Perm, TemplateView):
    template_name = "settlement/discrepancy_list.html"

    def get_context_data(self, **kwargs):
        # Always bound: an unbound filterset filters nothing, and the list's default (what is left to work, as the
        # status select reads) is the filterset's own.
        filterset = DiscrepancyFilter(self.request.GET, queryset=selectors.discrepancy_list(), request=self.request)
        bootstrap(filterset.form, small=True)
        table = DiscrepancyTable(filterset.qs, link_tickets=self.request.user.has_perm(TICKET_VIEW_PERMISSION))
        TableRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        return super().get_context_data(filter=filterset, table=table, **kwargs)


class DiscrepancyDetailView(_Perm, TemplateView):
    template_name = "settlement/discrepancy_detail.html"

    def get_context_data(self, **kwargs):
        discrepancy = selectors.discrepancy_detail(pk=self.kwargs["pk"])
        if discrepancy is None:
            raise Http404
        user = self.request.user
        history = selectors.discrepancy_order_history(discrepancy=discrepancy)
        return super().get_context_data(
            d=discrepancy, subject=discrepancy_subject(discrepancy.key),
            history=[(r, _report_status(r)) for r in history],
            reason=reason_rows(discrepancy.reason),
            actions=[(a, decision_label(a.code)) for a in discrepancy.actions.all()],
            statement_fee=money_display(discrepancy.statement_fee),
            expected_fee=money_display(discrepancy.expected_fee),
            resolve_form=bootstrap(ResolveForm(), small=True), note_form=bootstrap(NoteForm(), small=True),
            ticket_form=bootstrap(TicketForm(prefix=None), small=True) if discrepancy.ticket_id is None else None,
            needs_queue=discrepancy.order is None or discrepancy.order.customer_id is None,
            can_act=user.has_perm(WORK_PERMISSION),
            can_approve=selectors.discrepancy_requester_id(discrepancy=discrepancy) != user.pk,
            resolution_label=decision_label(discrepancy.resolution_code),
            may_decide=discrepancy.status in DECIDABLE,
            **kwargs)


def _open_ticket(discrepancy, user, data):
    form = TicketForm(data)
    if not form.is_valid():
        raise SettlementError(" ".join(str(e) for errors in form.errors.values() for e in errors))
    return discrepancy_open_ticket(discrepancy=discrepancy, by=user, note=form.cleaned_data["note"],
                                   queue=form.cleaned_data["queue"])


class DiscrepancyActionView(_Perm, View):
    """One URL per action; each a service call, its refusal shown as a message."""

    permission = WORK_PERMISSION
    action = None
    actions = {
        "annotate": lambda d, user, data: discrepancy_annotate(discrepancy=d, by=user, note=data.get("note", "")),
        "resolve": lambda d, user, data: discrepancy_resolve(discrepancy=d, by=user, code=data.get("code", ""),
                                                             note=data.get("note", "")),
        "write-off": lambda d, user, data: discrepancy_write_off(discrepancy=d, by=user, note=data.get("note", "")),
        "approve": lambda d, user, data: discrepancy_write_off_approve(discrepancy=d, by=user,
                                                                       note=data.get("note", "")),
        "reject": lambda d, user, data: discrepancy_write_off_reject(discrepancy=d, by=user,
                                                                     note=data.get("note", "")),
        "ticket": lambda d, user, data: _open_ticket(d, user, data),
    }

    def post(self, request, pk):
        handler = self.actions.get(self.action)
        discrepancy = selectors.discrepancy_list().filter(pk=pk).first()
        if handler is None or discrepancy is None:
            raise Http404
        try:
            handler(discrepancy, request.user, request.POST)
        except SettlementError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, MSG_DONE)
        return redirect("settlement:discrepancy-detail", pk=pk)


class ChannelDryRunView(_Perm, TemplateView):
    """What would change with other tolerances, over the channel's past statement days, before anyone saves them."""

    template_name = "settlement/channel_dry_run.html"
    permission = "settlement.view_reconciliationrun"

    def get_context_data(self, **kwargs):
        channel = selectors.channel_list().filter(pk=self.kwargs["pk"]).first()
        if channel is None:
            raise Http404
        initial = {"amount": channel.amount_tolerance, "fee": channel.fee_tolerance,
                   "fee_rate": channel.expected_fee_rate, "timing_window_minutes": channel.timing_window_minutes,
                   "days": 7}
        form = bootstrap(DryRunForm(self.request.GET or None, initial=initial), small=True)
        results = None
        if form.is_valid():
            data = form.cleaned_data
            last = timezone.localdate() - timedelta(days=1)
            days = [last - timedelta(days=n) for n in range(data["days"])]
            changes = {"amount": data["amount"], "fee": data["fee"], "fee_rate": data["fee_rate"],
                       "timing_window_minutes": data["timing_window_minutes"]}
            results = reconciliation_dry_run(channel=channel, changes=changes, periods=[(d, d) for d in days])
            results = [r for r in results if r["before"]["statement_total"] != "0.00" or r["changed"]
                       or r["before"] != r["after"]]
        return super().get_context_data(channel=channel, form=form, results=results,
                                        can_save=self.request.user.has_perm("settlement.change_paymentchannel"),
                                        **kwargs)
