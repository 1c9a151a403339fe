"""The workbench's table, filters and forms (django-tables2, django-filter)."""

from datetime import timedelta

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scrm.filters import date_range
from scrm.forms import ISO_DATE
from settlement.models import Discrepancy, MatchClass, PaymentChannel, Store
from settlement.reconciliation import selectors
from settlement.reconciliation.labels import RESOLUTION_LABELS, discrepancy_subject
from settlement.reconciliation.services import MAX_RUN_DAYS, RESOLUTION_CODES
from settlement.tables import MoneyColumn
from tickets.models import Queue


def _channels(request):
    return PaymentChannel.objects.order_by("name", "pk")


def _stores(request):
    return Store.objects.order_by("name", "pk")


MAX_AGE_DAYS = 3650


class DiscrepancyFilter(django_filters.FilterSet):
    channel = django_filters.ModelChoiceFilter(label=_("Channel"), queryset=_channels)
    kind = django_filters.ChoiceFilter(label=_("Class"), choices=MatchClass.choices[1:])
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Discrepancy.Status.choices,
                                         empty_label=_("Open and awaiting approval"), method="filter_status")
    store = django_filters.ModelChoiceFilter(label=_("Store"), queryset=_stores)
    amount_min = django_filters.NumberFilter(label=_("Difference at least"), method="filter_amount")
    # Bounded: a day count past the calendar (99999999) made the cut-off date overflow (a 500).
    age_min = django_filters.NumberFilter(label=_("Older than (days)"), method="filter_age", min_value=0,
                                          max_value=MAX_AGE_DAYS)
    day = date_range(_("Statement day"), field_name="bill_date")
    number = django_filters.CharFilter(label=_("Order or transaction"), method="filter_number")

    class Meta:
        model = Discrepancy
        fields = ["channel", "kind", "status", "store", "amount_min", "age_min", "day", "number"]

    def filter_queryset(self, queryset):
        # No status chosen means the ones still to work.
        queryset = super().filter_queryset(queryset)
        if not (self.form.cleaned_data.get("status") or ""):
            queryset = queryset.filter(status__in=(Discrepancy.Status.OPEN, Discrepancy.Status.WRITE_OFF_REQUESTED))
        return queryset

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value) if value else queryset

    def filter_amount(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(Q(difference__gte=value) | Q(difference__lte=-value))

    def filter_age(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(bill_date__lt=timezone.localdate() - timedelta(days=int(value)))

    def filter_number(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(order_number=value) | Q(transaction_id=value) | Q(key__endswith=":" + value))


class DiscrepancyTable(tables.Table):
    # The cells' classes carry the workbench's layout (static/css/settlement.css), whatever the column order.
    key = tables.LinkColumn("settlement:discrepancy-detail", args=[tables.A("pk")], verbose_name=_("About"),
                            attrs={"td": {"class": "fin-wrap"}})
    channel = tables.Column(verbose_name=_("Channel"), orderable=False)
    kind = tables.Column(verbose_name=_("Class"))
    status = tables.Column(verbose_name=_("Status"))
    bill_date = tables.DateColumn(verbose_name=_("Statement day"), format="Y-m-d",
                                  attrs={"td": {"class": "fin-nowrap"}})
    store = tables.Column(verbose_name=_("Store"), orderable=False, default="—")
    statement_amount = MoneyColumn(verbose_name=_("Statement"), attrs={"td": {"class": "text-end"}}, default="—")
    ledger_amount = MoneyColumn(verbose_name=_("Ledger"), attrs={"td": {"class": "text-end"}}, default="—")
    difference = MoneyColumn(verbose_name=_("Difference"), attrs={"td": {"class": "text-end"}})
    note = tables.Column(verbose_name=_("Note"), orderable=False, default="")
    ticket = tables.Column(verbose_name=_("Ticket"), orderable=False, default="",
                           linkify=lambda record: reverse("tickets:ticket-detail", args=[record.ticket_id]),
                           accessor="ticket__number", attrs={"a": {"data-testid": "discrepancy-ticket"}})

    def __init__(self, *args, link_tickets=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not link_tickets:
            # Who may not open tickets (finance) reads the ticket's number, not a link to a 403.
            self.columns["ticket"].link = None

    def render_key(self, value):
        return discrepancy_subject(value)

    class Meta:
        model = Discrepancy
        fields = ("key", "channel", "kind", "status", "bill_date", "store", "statement_amount", "ledger_amount",
                  "difference", "note", "ticket")
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "discrepancies"}
        empty_text = _("No discrepancy to work. Discrepancies appear here when a reconciliation run finds them.")


MSG_TOO_LONG = _("Reconcile at most %(days)s days at once.")
# The run form on a day with no statement imported (the day report offers the upload instead of a run of nothing).
MSG_NO_STATEMENT = _("No %(channel)s statement has been imported for %(days)s yet: upload it first, then reconcile.")


class RunForm(forms.Form):
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=PaymentChannel.objects.none())
    period_start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    period_end = forms.DateField(label=_("To"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))

    missing_statement = None  # the channel whose statement of a day of the period is not imported

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = PaymentChannel.objects.filter(active=True).order_by("name", "pk")

    def clean(self):
        data = super().clean()
        first, last = data.get("period_start"), data.get("period_end")
        if first and last and last < first:
            raise forms.ValidationError(_("The period ends before it starts."))
        if first and last and (last - first).days > MAX_RUN_DAYS:
            raise forms.ValidationError(MSG_TOO_LONG % {"days": MAX_RUN_DAYS})
        channel = data.get("channel")
        if channel and first:
            refusal = no_statement_refusal(channel=channel, first=first, last=last or first)
            if refusal:
                self.missing_statement = channel  # the page links its upload
                raise forms.ValidationError(refusal)
        return data


def no_statement_refusal(*, channel, first, last):
    """Why a run of the channel over first..last is refused when a day of it has no statement imported (a run of
    nothing, or every order of the day listed as unpaid by the channel); None when every day has one. The run form
    and the API refuse alike."""
    missing = selectors.statement_days_missing(channel=channel, first=first, last=last)
    if not missing:
        return None
    return MSG_NO_STATEMENT % {"channel": channel.name, "days": ", ".join(f"{day:%Y-%m-%d}" for day in missing)}


class ResolveForm(forms.Form):
    code = forms.ChoiceField(label=_("Reason"), choices=[(c, RESOLUTION_LABELS[c]) for c in RESOLUTION_CODES])
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DryRunForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount tolerance"), max_digits=18, decimal_places=2, min_value=0)
    fee = forms.DecimalField(label=_("Fee tolerance"), max_digits=18, decimal_places=2, min_value=0)
    fee_rate = forms.DecimalField(label=_("Expected fee rate"), max_digits=7, decimal_places=5, min_value=0,
                                  required=False, help_text=_("As a fraction: 0.006 for 0.6%."))
    timing_window_minutes = forms.IntegerField(label=_("Timing window (minutes)"), min_value=0, max_value=720)
    days = forms.IntegerField(label=_("Past statement days"), min_value=1, max_value=31, initial=7)


class TicketForm(forms.Form):
    """The queue of the team that must fix it: needed when no customer is behind the discrepancy (an internal
    ticket); with a customer, empty lets the routing rules choose."""

    queue = forms.ModelChoiceField(label=_("Queue of the team that must fix it"), queryset=Queue.objects.none(),
                                   required=False, empty_label=_("As the routing rules decide"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.select_related("team").order_by("name", "pk")
