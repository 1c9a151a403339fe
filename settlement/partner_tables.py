import re

import django_tables2 as tables
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from settlement.models import (
    CityTier,
    ExchangeRate,
    Partner,
    RegionCityTier,
    ServiceItem,
    ServicePrice,
    SettlementRule,
    SettlementStatement,
)
from settlement.money_text import money_display, rate_display
from settlement.partner_models import ALL_REGIONS
from settlement.tables import MoneyColumn

_ATTRS = {"class": "table table-sm table-hover align-middle"}
SUBJECT_LABELS = {model._meta.label_lower: model._meta.verbose_name
                  for model in (SettlementRule, ExchangeRate, Partner, ServiceItem, ServicePrice, RegionCityTier)}
_RIGHT = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}
_DATE = {"td": {"class": "fin-nowrap"}}  # a date on one line (static/css/settlement.css)


class StatementTable(tables.Table):
    partner = tables.LinkColumn("settlement:settlement-detail", args=[tables.A("pk")], verbose_name=_("Partner"),
                                order_by=("partner__name", "pk"))
    region = tables.Column(verbose_name=_("Region"), accessor="partner__region__name", orderable=False)
    period_start = tables.DateColumn(verbose_name=_("From"), format="Y-m-d", attrs=_DATE)
    period_end = tables.DateColumn(verbose_name=_("To"), format="Y-m-d", attrs=_DATE)
    status = tables.Column(verbose_name=_("Status"))
    sales = MoneyColumn(verbose_name=_("Sales"), attrs=_RIGHT)
    payable = MoneyColumn(verbose_name=_("Payable"), attrs=_RIGHT)
    currency = tables.Column(verbose_name=_("Currency"), orderable=False)

    class Meta:
        model = SettlementStatement
        fields = ("partner", "region", "period_start", "period_end", "status", "sales", "payable", "currency")
        attrs = {**_ATTRS, "data-testid": "statements"}
        empty_text = _("No statement yet. Generate the statements of a period above.")


class PartnerTable(tables.Table):
    code = tables.Column(verbose_name=_("Code"))
    name = tables.Column(verbose_name=_("Name"))
    kind = tables.Column(verbose_name=_("Kind"))
    region = tables.Column(verbose_name=_("Region"), orderable=False)
    contact_name = tables.Column(verbose_name=_("Contact"), orderable=False)
    bank_name = tables.Column(verbose_name=_("Bank"), orderable=False)
    bank_account_masked = tables.Column(verbose_name=_("Account number"), orderable=False, empty_values=())

    class Meta:
        model = Partner
        fields = ("code", "name", "kind", "region", "contact_name", "bank_name", "bank_account_masked")
        attrs = {**_ATTRS, "data-testid": "partners"}
        empty_text = _("No partner yet.")

    def __init__(self, *args, editable=False, **kwargs):
        self.editable = editable  # a link to the partner's page only for who may open it (it changes the partner)
        super().__init__(*args, **kwargs)

    def render_code(self, value, record):
        if not self.editable:
            return value
        return format_html('<a href="{}">{}</a>', reverse("settlement:partner-edit", args=[record.pk]), value)

    def render_bank_account_masked(self, record):
        return record.bank_account_masked or "—"


# The empty list of rules: who may add one has the button above it; who only reads them (ops) learns who does.
EMPTY_TEXT_RULES = _("No rule yet: statements cannot be generated without one.")
EMPTY_TEXT_RULES_READ_ONLY = _("No rule yet: statements cannot be generated without one. Finance or ops create "
                               "the settlement rules here.")


class RuleTable(tables.Table):
    name = tables.Column(verbose_name=_("Name"))
    scope = tables.Column(verbose_name=_("Applies to"), empty_values=(), orderable=False)
    valid_from = tables.DateColumn(verbose_name=_("Valid from"), format="Y-m-d", attrs=_DATE)
    currency = tables.Column(verbose_name=_("Currency"))
    cycle = tables.Column(verbose_name=_("Cycle"))
    commission_rate = tables.Column(verbose_name=_("Commission rate"), attrs=_RIGHT)
    tax_rate = tables.Column(verbose_name=_("Tax rate"), attrs=_RIGHT)
    tiers = tables.Column(verbose_name=_("Rebate tiers"), accessor="rebate_tiers", orderable=False)
    self_approval_limit = tables.Column(verbose_name=_("Reviewer may approve up to"), attrs=_RIGHT)

    class Meta:
        model = SettlementRule
        fields = ("name", "scope", "valid_from", "currency", "cycle", "commission_rate", "tax_rate", "tiers",
                  "self_approval_limit")
        attrs = {**_ATTRS, "data-testid": "rules"}
        empty_text = EMPTY_TEXT_RULES

    def render_scope(self, record):
        if record.partner_id:
            return record.partner.name
        return record.region.name if record.region_id else _("Whole organization")

    def render_commission_rate(self, value):
        return rate_display(value)

    def render_tax_rate(self, value):
        return rate_display(value)

    def render_tiers(self, value):
        return tiers_display(value)  # as the change log reads them

    def render_self_approval_limit(self, value):
        return money_display(value) if value else _("Two people always")


class PriceTable(tables.Table):
    item = tables.Column(verbose_name=_("Item"), orderable=False)
    kind = tables.Column(verbose_name=_("Kind"), accessor="item__kind", orderable=False)
    region = tables.Column(verbose_name=_("Region"), default=_("Everywhere"), orderable=False)
    tier = tables.Column(verbose_name=_("City tier"))
    price = MoneyColumn(verbose_name=_("Price"), attrs=_RIGHT)
    material_cost = MoneyColumn(verbose_name=_("Material cost"), attrs=_RIGHT)
    technician_payout = MoneyColumn(verbose_name=_("Technician payout"), attrs=_RIGHT)
    currency = tables.Column(verbose_name=_("Currency"), orderable=False)
    edit = tables.Column(verbose_name="", accessor="pk", orderable=False)

    class Meta:
        model = ServicePrice
        fields = ("item", "kind", "region", "tier", "price", "material_cost", "technician_payout", "currency",
                  "edit")
        attrs = {**_ATTRS, "data-testid": "prices"}
        empty_text = _("No price yet.")

    def render_kind(self, record):
        return record.item.get_kind_display()

    def render_edit(self, record):
        return format_html('<a href="{}" data-testid="edit-price">{}</a> · <a href="{}">{}</a>',
                           reverse("settlement:catalogue-price-edit", args=[record.pk]), _("Edit price"),
                           reverse("settlement:catalogue-item-edit", args=[record.item_id]), _("Edit item"))


class CityTierTable(tables.Table):
    """Regions with their city tier; a checkbox per row for the bulk change."""

    select = tables.CheckBoxColumn(accessor="pk", attrs={"input": {"name": "ids", "form": "bulk-form",
                                                                   "class": "form-check-input"},
                                                         "th__input": {"class": "form-check-input",
                                                                       "data-select-all": "ids",
                                                                       "aria-label": _("Select all")}},
                                   orderable=False)
    name = tables.Column(verbose_name=_("Region"), orderable=False)
    parent = tables.Column(verbose_name=_("Parent"), orderable=False, default="—")
    level = tables.Column(verbose_name=_("Level"), orderable=False)
    code = tables.Column(verbose_name=_("Code"), orderable=False)
    tier = tables.Column(verbose_name=_("City tier"), orderable=False, empty_values=())

    class Meta:
        attrs = {**_ATTRS, "data-testid": "city-tiers"}
        row_attrs = {"data-region": lambda record: record.code}
        empty_text = _("No region matches. Regions are kept in the workspace settings.")

    def render_tier(self, value, record):
        if value is None:
            return format_html('<span class="text-muted">{}</span>', _("Not set (priced as tier 3)"))
        return CityTier(value).label


# The name Django gives a model row without one of its own ("ServicePrice object (16)").
DJANGO_PLACEHOLDER = re.compile(r"\w+ object \(\d+\)")


# Recorded masked under a name of its own (the account number itself is never recorded).
RECORDED_AS = {"bank_account_masked": _("Account number")}
# Rates recorded as the fraction stored (0.05000), read as the pages show them (5%). An exchange rate is no fraction.
PERCENT_FIELDS = {"commission_rate", "tax_rate", "expected_fee_rate"}
# Rebate tiers recorded as stored ([{"from": "0", "to": "100000", "rate": "0.02"}, …]), read as finance writes them.
TIER_FIELDS = {"rebate_tiers"}


def tiers_display(tiers):
    """Rebate tiers as finance reads them: "0.00 – 100,000.00: 2%; 100,000.00 and above: 3%" ("—" for none).
    What is no list of tiers comes back as it was (None stays None)."""
    if not isinstance(tiers, list):
        return tiers
    parts = []
    for tier in tiers:
        if not isinstance(tier, dict):
            return tiers
        lower, upper = money_display(tier.get("from") or 0), tier.get("to")
        where = (_("%(from)s and above") % {"from": lower} if upper in (None, "")
                 else f"{lower} – {money_display(upper)}")
        parts.append(f"{where}: {rate_display(tier.get('rate'))}")
    return "; ".join(parts) or "—"


def change_lines(subject, detail):
    """[(label, before, after)] of a recorded change: each field by its name in the reader's language (the record
    keeps the field's code), a choice by its label (a city tier 4 reads 四线及以下城市)."""
    try:
        meta = apps.get_model(subject)._meta
    except (LookupError, ValueError):
        meta = None
    lines = []
    for name, change in (detail or {}).items():
        change = change if isinstance(change, dict) else {"after": change}
        before, after = change.get("before"), change.get("after")
        label = RECORDED_AS.get(name, name)
        try:
            field = meta.get_field(name) if meta and name not in RECORDED_AS else None
        except FieldDoesNotExist:
            field = None
        if field is not None:
            label = field.verbose_name
            choices = {str(key): text for key, text in field.flatchoices} if field.choices else {}
            before, after = (choices.get(str(v), v) if v is not None else None for v in (before, after))
        if name in PERCENT_FIELDS:
            before, after = (rate_display(v) for v in (before, after))
        if name in TIER_FIELDS:
            before, after = (tiers_display(v) for v in (before, after))
        # A yes/no in words (启用: 是 → 否), not as stored (True → False).
        before, after = ((_("Yes") if v else _("No")) if isinstance(v, bool) else v for v in (before, after))
        lines.append((label, before, after))
    return lines


class ChangeTable(tables.Table):
    at = tables.DateTimeColumn(verbose_name=_("When"), format="Y-m-d H:i", orderable=False, attrs=_DATE)
    by = tables.Column(verbose_name=_("By"), orderable=False, default="—")
    subject = tables.Column(verbose_name=_("What"), orderable=False, empty_values=())
    subject_name = tables.Column(verbose_name=_("Name"), orderable=False)
    action = tables.Column(verbose_name=_("Action"), orderable=False)
    detail = tables.Column(verbose_name=_("Changes"), orderable=False, empty_values=())

    class Meta:
        attrs = {**_ATTRS, "data-testid": "settings-changes"}
        empty_text = _("No change recorded yet.")

    def render_subject(self, record):
        return capfirst(SUBJECT_LABELS.get(record.subject, record.subject))

    def render_action(self, record):
        # The settings change labels its own actions ("Created" in its pgettext context reads 新建, not 创建时间).
        return record.get_action_display()

    def render_detail(self, record):
        return render_to_string("settlement/partners/_change_detail.html",
                                {"changes": change_lines(record.subject, record.detail)})

    def render_subject_name(self, record, value):
        # Rows recorded before the row had a name of its own read "ServicePrice object (16)": name it by its kind
        # and number instead of Django's English placeholder.
        if DJANGO_PLACEHOLDER.fullmatch(value or ""):
            return f"{SUBJECT_LABELS.get(record.subject, record.subject)} #{record.subject_id}"
        if record.subject == "settlement.serviceprice" and getattr(record, "price_tier", None) is not None:
            # Recorded in the writer's language ("… · 全部区域 · 四线及以下城市"): where and the tier in the reader's,
            # from the price's codes; the item's and the region's names are the organization's own, kept as recorded.
            parts = (value or "").rsplit(" · ", 2)
            if len(parts) == 3:
                where = ALL_REGIONS if record.price_region_id is None else parts[1]
                return " · ".join([parts[0], str(where), str(CityTier(record.price_tier).label)])
        if record.subject == "settlement.serviceprice":
            # Recorded before the name said it: a price for all regions read "空调清洗保养 · * · 四线及以下城市".
            parts = (value or "").split(" · ")
            if len(parts) == 3 and parts[1] == "*":
                return " · ".join([parts[0], str(ALL_REGIONS), parts[2]])
        return value
