"""Forms of finance's settlement configuration: a rule (tiers written one per line), an exchange rate, a partner.
They parse; the services decide."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from scrm.forms import ISO_DATE, bootstrap
from scrm.models import Region
from settlement.errors import SettlementError
from settlement.models import CityTier, Partner, ServiceItem, ServicePrice, SettlementRule, Store
from settlement.partner_errors import MSG_ADJUSTMENT_REASON, MSG_NO_REGIONS
from settlement.partner_money import tiers_parse

MSG_TIER_LINE = _("Write each tier as “from-to:rate”, e.g. 0-50000:0 then 50000-:0.01 (one per line).")


class RuleForm(forms.ModelForm):
    tiers = forms.CharField(label=_("Rebate tiers"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=MSG_TIER_LINE)

    class Meta:
        model = SettlementRule
        fields = ["name", "region", "partner", "valid_from", "currency", "conversion_date", "cycle", "tax_rate",
                  "prices_include_tax", "commission_rate", "tier_mode", "minimum_payout", "rounding",
                  "self_approval_limit"]
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)}
        # The pages show rates as percentages; the form takes the fraction and says so.
        help_texts = {"commission_rate": _("As a fraction: 0.05 for 5%.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.order_by("path")
        self.fields["partner"].queryset = Partner.objects.order_by("name")
        self.fields["self_approval_limit"].required = False  # left empty: 0, two people always
        bootstrap(self)

    def clean_self_approval_limit(self):
        limit = self.cleaned_data.get("self_approval_limit")
        return Decimal("0") if limit is None else limit

    def clean_tiers(self):
        tiers = []
        for line in (self.cleaned_data.get("tiers") or "").splitlines():
            line = line.strip()
            if not line:
                continue
            bounds, sep, rate = line.partition(":")
            lower, dash, upper = bounds.partition("-")
            if not sep or not dash:
                raise forms.ValidationError(MSG_TIER_LINE)
            tiers.append({"from": lower.strip(), "to": upper.strip() or None, "rate": rate.strip()})
        # The tiers' figures checked here too (the service checks them again), so a bad rate is reported with the
        # form's other errors, not only once the date and the rest are right.
        try:
            tiers_parse(tiers)
        except SettlementError as exc:
            raise forms.ValidationError(str(exc)) from None
        return tiers


class ExchangeRateForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    base = forms.CharField(label=_("From currency"), max_length=3)
    quote = forms.CharField(label=_("To currency"), max_length=3, initial="CNY")
    rate = forms.DecimalField(label=_("Rate"), max_digits=18, decimal_places=8)
    source = forms.CharField(label=_("Source"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class PartnerForm(forms.ModelForm):
    bank_account = forms.CharField(label=_("Account number"), required=False, max_length=40,
                                   help_text=_("Stored encrypted; shown masked. Leave empty to keep the current one."))
    stores = forms.ModelMultipleChoiceField(label=_("Stores"), required=False, queryset=Store.objects.none())

    class Meta:
        model = Partner
        fields = ["code", "name", "kind", "region", "contact_name", "contact_mobile", "contact_email",
                  "bank_account_name", "bank_name", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.order_by("path")
        self.fields["stores"].queryset = Store.objects.order_by("name")
        if self.instance.pk:
            self.fields["stores"].initial = list(self.instance.stores.values_list("pk", flat=True))
        bootstrap(self)

    def validate_unique(self):
        """The code's uniqueness is the service's to decide (with its message)."""


class ServiceItemForm(forms.ModelForm):
    class Meta:
        model = ServiceItem
        fields = ["code", "name", "kind", "unit", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def validate_unique(self):
        """The code's uniqueness is the service's to decide (with its message)."""


class ServicePriceForm(forms.ModelForm):
    """An item's price for a region and city tier. Changing one keeps its item, region and tier (they are what it
    prices); a new price for an item, region and tier that has one replaces it."""

    class Meta:
        model = ServicePrice
        fields = ["item", "region", "tier", "currency", "price", "material_cost", "technician_payout"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = ServiceItem.objects.order_by("kind", "code")
        self.fields["region"].queryset = Region.objects.order_by("path")
        if self.instance.pk:
            for name in ("item", "region", "tier"):
                self.fields[name].disabled = True
        bootstrap(self)

    def _post_clean(self):
        """No model validation: amounts and the one price per item, region and tier are the service's to decide
        (with its messages); the instance is never saved through the form."""


MSG_ITEM_LINE = _("Write each item as “code × quantity”, e.g. ac-install × 2 (one per line).")
MSG_UNKNOWN_ITEM = _("No service item has the code %(code)s.")


class ServiceJobCompleteForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.none())
    technician = forms.CharField(label=_("Technician"), max_length=50, required=False)
    items = forms.CharField(label=_("Items"), widget=forms.Textarea(attrs={"rows": 3}), help_text=MSG_ITEM_LINE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(active=True).order_by("name")
        self.fields["partner"].widget.attrs["aria-label"] = _("Partner")
        bootstrap(self)

    def clean_items(self):
        from settlement.models import ServiceItem

        wanted = []
        for line in self.cleaned_data["items"].splitlines():
            line = line.strip()
            if not line:
                continue
            code, _sep, quantity = line.replace("×", "x").replace("*", "x").partition("x")
            try:
                quantity = Decimal(quantity.strip() or "1")
            except InvalidOperation:
                raise forms.ValidationError(MSG_ITEM_LINE) from None
            wanted.append((code.strip(), quantity))
        items = {item.code: item for item in ServiceItem.objects.filter(code__in=[c for c, _q in wanted])}
        for code, _quantity in wanted:
            if code not in items:
                raise forms.ValidationError(MSG_UNKNOWN_ITEM % {"code": code})
        return [(items[code], quantity) for code, quantity in wanted]


class CityTierForm(forms.Form):
    """The bulk change of the city-tier page: the ticked regions into one tier, or back to none."""

    # "ids": the rows' checkboxes, as on the other bulk pages (static/js/customers.js selects them all).
    ids = forms.ModelMultipleChoiceField(queryset=Region.objects.none(), label=_("Regions"),
                                         error_messages={"required": MSG_NO_REGIONS})
    tier = forms.TypedChoiceField(label=_("Set the city tier to"), coerce=int, empty_value=None, required=False,
                                  choices=[("", _("None (priced as tier 3)")), *CityTier.choices])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")  # the filter above has a "tier" field of its own
        super().__init__(*args, **kwargs)
        self.fields["ids"].queryset = Region.objects.all()
        bootstrap(self, small=True)


MSG_ADJUSTMENT_AMOUNT = _("Enter the amount as a number to the fen, e.g. 120.00 or -35.50.")


class AdjustmentForm(forms.Form):
    """A statement's adjustment as typed on its page: a signed amount to the fen and why."""

    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2,
                                error_messages={"invalid": MSG_ADJUSTMENT_AMOUNT,
                                                "max_digits": MSG_ADJUSTMENT_AMOUNT,
                                                "max_decimal_places": MSG_ADJUSTMENT_AMOUNT,
                                                "max_whole_digits": MSG_ADJUSTMENT_AMOUNT,
                                                "required": MSG_ADJUSTMENT_AMOUNT})
    reason = forms.CharField(label=_("Reason"), max_length=255, error_messages={"required": MSG_ADJUSTMENT_REASON})
