"""Partner settlement: rules per region (inherited down the region tree, overridable per partner, effective-dated),
exchange rates, partners, the installation-service catalogue and its jobs, and the statements that settle them.

Imported by settlement.models (Django finds the models there). The arithmetic lives in settlement.partner_money,
the writes in settlement.partner_services, never here.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from scrm.models.imports import JOB_STATES, job_state_field
from scrm.platform.crypto import secret_decrypt
from scrm.platform.outbox import OutboxModel, due_index
from scrm.platform.tenancy import TenantManyToManyField, TenantModel

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 5}
FX = {"max_digits": 18, "decimal_places": 8}


class Cycle(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    # Settled order by order: the statement of each day holds that day's orders (one statement a day).
    PER_ORDER = "per_order", _("Per order (daily)")


class SettlementRule(TenantModel):
    """How a region's (or one partner's) money is settled from `valid_from` on, until the next rule of the same
    scope. A partner's rule replaces its region's; a region without a rule inherits its parent's. A rule used by an
    approved statement is never changed: a change is a new rule with a later `valid_from`."""

    class TierMode(models.TextChoices):
        PROGRESSIVE = "progressive", _("Progressive (each bracket at its rate)")
        WHOLE = "whole", _("Whole volume at the reached bracket's rate")

    class Rounding(models.TextChoices):
        FEN = "0.01", _("To the fen (0.01)")
        JIAO = "0.1", _("To the jiao (0.10)")
        YUAN = "1", _("To the yuan (1.00)")

    class ConversionDate(models.TextChoices):
        ORDER = "order", _("Each order's payment date")
        PERIOD_END = "period_end", _("The period's last day")

    region = models.ForeignKey("scrm.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("region"), help_text=_("Empty: the organization's default rule."))
    partner = models.ForeignKey("settlement.Partner", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="rules", verbose_name=_("partner"),
                                help_text=_("Set: this partner's own rule, replacing its region's."))
    name = models.CharField(_("name"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    currency = models.CharField(_("settlement currency"), max_length=3, default="CNY")
    conversion_date = models.CharField(_("exchange rate of"), max_length=16, choices=ConversionDate.choices,
                                       default=ConversionDate.ORDER)
    tax_rate = models.DecimalField(_("tax rate"), default=0, **RATE, help_text=_("As a fraction: 0.06 for 6%."))
    prices_include_tax = models.BooleanField(_("prices include tax"), default=True)
    cycle = models.CharField(_("cycle"), max_length=16, choices=Cycle.choices, default=Cycle.MONTHLY)
    commission_rate = models.DecimalField(_("commission rate"), default=0, **RATE)
    # [{"from": "0", "to": "100000", "rate": "0.01"}, {"from": "100000", "to": null, "rate": "0.02"}]
    rebate_tiers = models.JSONField(_("rebate tiers"), default=list, blank=True)
    tier_mode = models.CharField(_("tier mode"), max_length=16, choices=TierMode.choices,
                                 default=TierMode.PROGRESSIVE)
    minimum_payout = models.DecimalField(_("minimum payout"), default=0, **MONEY)
    rounding = models.CharField(_("rounding"), max_length=8, choices=Rounding.choices, default=Rounding.FEN)
    # A finance team of one can never have two people on a statement: up to this payable the reviewer approves too.
    self_approval_limit = models.DecimalField(
        _("reviewer may approve up to"), default=0, **MONEY,
        help_text=_("A statement whose payable (in the settlement currency, either sign) is at most this amount may "
                    "be approved by whoever marked it reviewed; above it another finance user approves. 0: always "
                    "two people."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement rule")
        verbose_name_plural = _("settlement rules")
        ordering = ["region__path", "partner", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "region", "partner", "valid_from"],
                                    name="settlementrule_scope_from_uniq", nulls_distinct=False),
        ]
        indexes = [models.Index(fields=["organization", "region", "valid_from"], name="settlementrule_region_idx")]

    def __str__(self):
        return self.name


class ExchangeRate(TenantModel):
    """One unit of `base` is worth `rate` units of `quote` on `date`."""

    date = models.DateField(_("date"))
    base = models.CharField(_("from currency"), max_length=3)
    quote = models.CharField(_("to currency"), max_length=3)
    rate = models.DecimalField(_("rate"), **FX)
    source = models.CharField(_("source"), max_length=100, blank=True, help_text=_("e.g. PBOC central parity."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-date", "base", "quote"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "base", "quote", "date"], name="exchangerate_pair_uniq"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchangerate_rate_positive"),
        ]

    def __str__(self):
        return f"{self.date} {self.base}/{self.quote} {self.rate}"


class Partner(TenantModel):
    """A dealer, franchise store or installation provider the organization settles with. Its orders are those of
    its stores; its service income that of the service jobs it did. Bank details are encrypted at rest
    (scrm.platform.crypto) and shown masked."""

    class Kind(models.TextChoices):
        DEALER = "dealer", _("Dealer")
        STORE = "store", _("Franchise store")
        INSTALLER = "installer", _("Installation provider")

    code = models.SlugField(_("code"), max_length=32, db_index=False)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    region = models.ForeignKey("scrm.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    stores = TenantManyToManyField("settlement.Store", through="settlement.PartnerStore", blank=True,
                                   related_name="partners", verbose_name=_("stores"))
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_mobile = models.CharField(_("contact mobile"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    bank_account_name = models.CharField(_("account holder"), max_length=100, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account_encrypted = models.TextField(_("account number (encrypted)"), blank=True, editable=False)
    bank_account_last4 = models.CharField(_("account number ends with"), max_length=4, blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="partner_org_code_uniq")]
        indexes = [models.Index(fields=["organization", "region"], name="partner_region_idx")]

    def __str__(self):
        return self.name

    def __repr__(self):  # never the account number, not even encrypted
        return f"<Partner {self.pk} {self.code}>"

    @property
    def bank_account(self):
        """The account number in full: for the bank payment file only (pages show `bank_account_masked`)."""
        return secret_decrypt(self.bank_account_encrypted)

    @property
    def bank_account_masked(self):
        return f"**** **** {self.bank_account_last4}" if self.bank_account_last4 else ""


class PartnerStore(TenantModel):
    """A store whose orders settle to the partner (a store settles to one partner)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey("settlement.Store", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("partner store")
        verbose_name_plural = _("partner stores")
        constraints = [models.UniqueConstraint(fields=["organization", "store"], name="partnerstore_store_uniq")]


class CityTier(models.IntegerChoices):
    TIER_1 = 1, _("Tier-1 city")
    TIER_2 = 2, _("Tier-2 city")
    TIER_3 = 3, _("Tier-3 city")
    TIER_4 = 4, _("Tier-4 city and below")


class RegionCityTier(TenantModel):
    """The price tier of a city (a region of the tree); a city without one is priced as tier 3."""

    region = models.ForeignKey("scrm.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    tier = models.PositiveSmallIntegerField(_("city tier"), choices=CityTier.choices)

    class Meta:
        verbose_name = _("city tier")
        verbose_name_plural = _("city tiers")
        constraints = [models.UniqueConstraint(fields=["organization", "region"], name="regioncitytier_uniq")]

    def __str__(self):
        return f"{self.region}: {self.get_tier_display()}"


class ServiceItem(TenantModel):
    class Kind(models.TextChoices):
        INSTALLATION = "installation", _("Installation")
        REPAIR = "repair", _("Repair")
        MAINTENANCE = "maintenance", _("Maintenance")
        MATERIAL = "material", _("Material")

    code = models.SlugField(_("code"), max_length=32, db_index=False)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=16, default="次")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="serviceitem_org_code_uniq")]

    def __str__(self):
        return self.name


# A service price without a region applies to all of them (older audit rows wrote it "*").
ALL_REGIONS = _("All regions")


class ServicePrice(TenantModel):
    """An item's price in a region (and the regions below it) for one city tier: what the customer pays, what its
    materials cost and what the technician is paid."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="prices", verbose_name=_("item"))
    region = models.ForeignKey("scrm.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("region"), help_text=_("Empty: everywhere without a price of its own."))
    tier = models.PositiveSmallIntegerField(_("city tier"), choices=CityTier.choices)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    price = models.DecimalField(_("price"), **MONEY)
    material_cost = models.DecimalField(_("material cost"), default=0, **MONEY)
    technician_payout = models.DecimalField(_("technician payout"), default=0, **MONEY)

    class Meta:
        verbose_name = _("service price")
        verbose_name_plural = _("service prices")
        ordering = ["item", "region", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "item", "region", "tier"], name="serviceprice_uniq",
                                    nulls_distinct=False),
            models.CheckConstraint(condition=models.Q(price__gte=0, material_cost__gte=0, technician_payout__gte=0),
                                   name="serviceprice_not_negative"),
        ]

    def __str__(self):
        # The audit trail keeps this as the row's name: the item, where (or all regions), the tier.
        where = self.region.name if self.region_id else ALL_REGIONS
        return f"{self.item.name} · {where} · {self.get_tier_display()}"


class ServiceJob(TenantModel):
    """An installation or repair done for a customer, made from its ticket when the ticket is resolved. Its items
    are priced from the catalogue; once the customer confirmed it, its money flows into its partner's statement of
    the period it was completed in."""

    class Status(models.TextChoices):
        OPEN = "open", _("To complete")
        COMPLETED = "completed", _("Completed")
        CONFIRMED = "confirmed", _("Confirmed by the customer")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=32)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("ticket"))
    kind = models.CharField(_("kind"), max_length=16, choices=ServiceItem.Kind.choices,
                            default=ServiceItem.Kind.INSTALLATION)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="jobs",
                                verbose_name=_("partner"))
    customer = models.ForeignKey("scrm.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("customer"))
    region = models.ForeignKey("scrm.Region", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("city"))
    tier = models.PositiveSmallIntegerField(_("city tier"), choices=CityTier.choices, default=CityTier.TIER_3)
    technician = models.CharField(_("technician"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    price_total = models.DecimalField(_("price"), default=0, **MONEY)
    material_total = models.DecimalField(_("materials"), default=0, **MONEY)
    payout_total = models.DecimalField(_("technician payout"), default=0, **MONEY)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed by the customer at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service job")
        verbose_name_plural = _("service jobs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="servicejob_number_uniq"),
            models.UniqueConstraint(fields=["organization", "ticket"], name="servicejob_ticket_uniq",
                                    condition=models.Q(ticket__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["organization", "partner", "status", "completed_at"], name="servicejob_partner_idx"),
            models.Index(fields=["organization", "status", "completed_at"], name="servicejob_done_idx"),
        ]

    def __str__(self):
        return self.number


class ServiceJobLine(TenantModel):
    """One item (or material) of a job, with the catalogue's unit amounts at the time it was priced."""

    job = models.ForeignKey(ServiceJob, on_delete=models.CASCADE, related_name="lines", verbose_name=_("job"))
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    unit_material_cost = models.DecimalField(_("unit material cost"), **MONEY)
    unit_payout = models.DecimalField(_("unit technician payout"), **MONEY)

    class Meta:
        verbose_name = _("service job line")
        verbose_name_plural = _("service job lines")
        ordering = ["pk"]


class SettlementStatement(TenantModel):
    """What the organization owes a partner for one period: draft → reviewed → approved (locked: corrections go into
    the next period as adjustments) → paid. Its totals are the sums of its lines, each amount rounded once."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEWED = "reviewed", _("Reviewed")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="statements",
                                verbose_name=_("partner"))
    rule = models.ForeignKey(SettlementRule, on_delete=models.PROTECT, related_name="statements",
                             verbose_name=_("rule"))
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    sales = models.DecimalField(_("sales"), default=0, **MONEY)
    refunds = models.DecimalField(_("refunds"), default=0, **MONEY)
    channel_fees = models.DecimalField(_("channel fees"), default=0, **MONEY)
    commission = models.DecimalField(_("commission"), default=0, **MONEY)
    rebates = models.DecimalField(_("rebates"), default=0, **MONEY)
    service_income = models.DecimalField(_("service income"), default=0, **MONEY)
    materials = models.DecimalField(_("materials"), default=0, **MONEY)
    technician_payouts = models.DecimalField(_("technician payouts"), default=0, **MONEY)
    adjustments = models.DecimalField(_("adjustments"), default=0, **MONEY)
    subtotal = models.DecimalField(_("subtotal"), default=0, **MONEY)
    tax = models.DecimalField(_("tax"), default=0, **MONEY)
    tax_included = models.DecimalField(_("of which tax"), default=0, **MONEY)
    payable = models.DecimalField(_("payable"), default=0, **MONEY)
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    job_count = models.PositiveIntegerField(_("service jobs"), default=0)
    below_minimum = models.BooleanField(_("below the minimum payout"), default=False)
    carried_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("carried into"))
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    generated_at = models.DateTimeField(_("generated at"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("marked paid by"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement statement")
        verbose_name_plural = _("settlement statements")
        ordering = ["-period_start", "partner__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "partner", "period_start", "period_end"],
                                    name="settlementstmt_period_uniq"),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-period_start"], name="settlementstmt_status_idx"),
            models.Index(fields=["organization", "-period_start"], name="settlementstmt_period_idx"),
        ]

    def __str__(self):
        return f"{self.partner} {self.period_start}–{self.period_end}"

    @property
    def locked(self):
        return self.status in {self.Status.APPROVED, self.Status.PAID}


class StatementLineKind(models.TextChoices):
    SALES = "sales", _("Sales")
    REFUNDS = "refunds", _("Refunds")
    CHANNEL_FEES = "channel_fees", _("Channel fees")
    COMMISSION = "commission", _("Commission")
    REBATES = "rebates", _("Rebates")
    SERVICE_INCOME = "service_income", _("Service income")
    MATERIALS = "materials", _("Materials")
    TECHNICIAN_PAYOUTS = "technician_payouts", _("Technician payouts")
    ADJUSTMENTS = "adjustments", _("Adjustments")
    TAX = "tax", _("Tax")


class SettlementStatementLine(TenantModel):
    """One line of a statement, in the statement's currency (signed: what it adds to or takes from the payable),
    with what it was in its own currency and the rate it was converted at."""

    statement = models.ForeignKey(SettlementStatement, on_delete=models.CASCADE, related_name="lines",
                                  verbose_name=_("statement"))
    position = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=24, choices=StatementLineKind.choices)
    description = models.CharField(_("description"), max_length=255)
    count = models.PositiveIntegerField(_("count"), default=0)
    source_currency = models.CharField(_("original currency"), max_length=3)
    source_amount = models.DecimalField(_("original amount"), **MONEY)
    rate = models.DecimalField(_("exchange rate"), null=True, blank=True, **FX,
                               help_text=_("Empty: no conversion, or one rate per order (see the detail)."))
    amount = models.DecimalField(_("amount"), **MONEY)
    adjustment = models.ForeignKey("settlement.SettlementAdjustment", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("adjustment"))

    class Meta:
        verbose_name = _("settlement statement line")
        verbose_name_plural = _("settlement statement lines")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["organization", "statement", "position"],
                                               name="settlementline_position_uniq")]


class SettlementAdjustment(TenantModel):
    """A manual correction (with its reason) for a partner: on a draft it goes into that statement; a correction of
    an approved one waits here and goes into the partner's next statement. Append-only: the audit of corrections."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="adjustments",
                                verbose_name=_("partner"))
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=255)
    corrects = models.ForeignKey(SettlementStatement, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("corrects"))
    statement = models.ForeignKey(SettlementStatement, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="adjustment_rows", verbose_name=_("settled in"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("by"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement adjustment")
        verbose_name_plural = _("settlement adjustments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["organization", "partner", "statement"], name="settlementadj_partner_idx")]


class SettlementStatementEvent(TenantModel):
    """Append-only: every step of a statement (generated, regenerated, reviewed, approved, paid, adjusted, exported)
    with who and when."""

    class Action(models.TextChoices):
        GENERATED = "generated", _("Generated")
        REGENERATED = "regenerated", _("Regenerated")
        REVIEWED = "reviewed", _("Reviewed")
        REOPENED = "reopened", _("Sent back to draft")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Marked paid")
        ADJUSTED = "adjusted", _("Adjusted")
        EXPORTED = "exported", _("Exported")

    statement = models.ForeignKey(SettlementStatement, on_delete=models.CASCADE, related_name="events",
                                  verbose_name=_("statement"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+", verbose_name=_("by"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    # The file an export event took (its detail's "format"), as the statement's history names it.
    EXPORT_FILES = {"xlsx": _("Excel"), "pdf": "PDF", "summary-xlsx": _("Period summary (Excel)"),
                    "bank-csv": _("Bank payment file (CSV)")}

    @property
    def export_file(self):
        file_format = (self.detail or {}).get("format") if self.action == self.Action.EXPORTED else None
        return self.EXPORT_FILES.get(file_format, file_format)

    class Meta:
        verbose_name = _("statement event")
        verbose_name_plural = _("statement events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["organization", "statement", "at"], name="settlementevent_idx")]


class SettlementRun(OutboxModel, TenantModel):
    """Generating the statements of one period (every partner whose rule has that cycle): a job of the outbox on
    the jobs queue, started by beat at each cycle's end or by finance on demand. Re-running it regenerates the
    drafts (idempotent) and leaves reviewed, approved and paid statements as they are."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Generating")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    cycle = models.CharField(_("cycle"), max_length=16, choices=Cycle.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    job_state = job_state_field()
    generated = models.PositiveIntegerField(_("statements generated"), default=0)
    skipped = models.PositiveIntegerField(_("statements left as they were"), default=0)
    # [{"partner": "<code>", "code": "rate_missing", "params": {...}}]: partners refused (a missing exchange rate, no
    # rule), worded on reading (scrm.platform.coded, settlement.partner_errors.RUN_PROBLEMS); a refusal without a code,
    # and every one stored before codes, as {"partner", "message"}.
    problems = models.JSONField(_("problems"), default=list, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement run")
        verbose_name_plural = _("settlement runs")
        ordering = ["-period_start", "-pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "cycle", "period_start"],
                                               name="settlementrun_period_uniq")]
        indexes = [due_index("settlementrun_due_idx", JOB_STATES, field="job_state")]


class RegionAlert(TenantModel):
    """A region whose refund rate or margin of a month moved more than the threshold against its trailing
    average. One per region, metric and month: raised once, notified once."""

    class Metric(models.TextChoices):
        REFUND_RATE = "refund_rate", _("Refund rate")
        MARGIN = "margin", _("Service margin")

    region = models.ForeignKey("scrm.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("region"))
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    month = models.DateField(_("month"))
    value = models.DecimalField(_("value"), max_digits=9, decimal_places=4)
    baseline = models.DecimalField(_("trailing average"), max_digits=9, decimal_places=4)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    class Meta:
        verbose_name = _("region alert")
        verbose_name_plural = _("region alerts")
        ordering = ["-month", "region"]
        constraints = [models.UniqueConstraint(fields=["organization", "region", "metric", "month"],
                                               name="regionalert_uniq")]


class FinanceDay(TenantModel):
    """The finance dashboard's daily rollup: per local (Asia/Shanghai) day, source and dimensions, the sums the
    dashboard reads instead of millions of ledger rows. Written only by `settlement.partner_rollup`: the days marked
    changed (FinanceDayMark, by the ledger tables' triggers) are recomputed from the ledger before any read."""

    class Source(models.TextChoices):
        PAID = "paid", _("Paid orders")
        REFUNDED = "refunded", _("Refunds")
        FEE = "fee", _("Channel fees")
        SERVICE = "service", _("Service jobs")
        LINES = "lines", _("Statement lines")

    day = models.DateField(_("day"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    # The order's (a refund's: its order's; a job's: its own) region; no constraint: the day is recomputed when an
    # order's region changes.
    region = models.ForeignKey("scrm.Region", on_delete=models.DO_NOTHING, db_constraint=False, null=True,
                               blank=True, related_name="+", verbose_name=_("region"))
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    service_kind = models.CharField(_("service type"), max_length=16, blank=True)
    tier = models.PositiveSmallIntegerField(_("city tier"), default=0)
    amount = models.DecimalField(_("amount"), default=0, max_digits=20, decimal_places=2)  # paid, refunded, price
    fee = models.DecimalField(_("fee"), default=0, max_digits=22, decimal_places=5)
    materials = models.DecimalField(_("materials"), default=0, max_digits=20, decimal_places=2)
    payouts = models.DecimalField(_("technician payouts"), default=0, max_digits=20, decimal_places=2)
    count = models.IntegerField(_("count"), default=0)
    # Statement lines (source "lines", by statement day): how many of `count` reconciliation matched.
    matched = models.IntegerField(_("matched"), default=0, db_default=0)

    class Meta:
        verbose_name = _("finance day")
        verbose_name_plural = _("finance days")
        indexes = [models.Index(fields=["organization", "source", "day"], name="financeday_source_day_idx")]


class FinanceDayMark(TenantModel):
    """A local day of a source whose ledger rows (orders paid, refunds, payment lines, service jobs) changed since
    the rollup was last refreshed: inserted by triggers in the writing transaction, deleted by the refresh that
    recomputes that source's day. Append-only rows (no unique key), so concurrent writers never wait for each other
    on a mark."""

    id = models.BigAutoField(primary_key=True)
    day = models.DateField(_("day"))
    source = models.CharField(_("source"), max_length=8, choices=FinanceDay.Source.choices)

    class Meta:
        verbose_name = _("changed finance day")
        verbose_name_plural = _("changed finance days")
