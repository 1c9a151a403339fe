"""The orders ledger: stores, orders with their lines, refunds. Settlement owns money; the shop wire formats stay in
channels_ingest, which hands this app plain values through settlement.services."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from scrm.platform.coded import coded_messages_register
from scrm.platform.tenancy import TenantModel
from settlement.report_sources import source_words

MONEY = {"max_digits": 18, "decimal_places": 2}


class Store(TenantModel):
    """An online store of the organization on one sales channel (a Youzan shop, a Shopify domain, the
    organization's own shop system). `ref` is the store's id on that channel, as the channel account names it."""

    channel = models.CharField(_("channel"), max_length=16)
    ref = models.CharField(_("store id on the channel"), max_length=128)
    name = models.CharField(_("name"), max_length=100)
    # Where the store's buyers pay when its orders do not say (the reconciliation expects its paid orders in this
    # channel's statements; an order that names its own payment channel wins).
    payment_channel = models.ForeignKey("settlement.PaymentChannel", on_delete=models.SET_NULL, null=True,
                                        blank=True, related_name="stores", verbose_name=_("payment channel"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "channel", "ref"], name="store_org_channel_ref_uniq"),
        ]

    def __str__(self):
        return self.name


class Order(TenantModel):
    """One order of a store as the shop last reported it. `source_version` (the platform's update time or version)
    orders the reports: an older one never overwrites a newer one."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting payment")
        PAID = "paid", _("paid")
        SHIPPED = "shipped", _("shipped")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")
        CLOSED = "closed", _("closed")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders", verbose_name=_("store"))
    channel = models.CharField(_("channel"), max_length=16)
    external_number = models.CharField(_("order number"), max_length=64)
    customer = models.ForeignKey("scrm.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="orders", verbose_name=_("customer"))
    region = models.ForeignKey("scrm.Region", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("region"))
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    goods_amount = models.DecimalField(_("goods amount"), default=0, **MONEY)
    discount_amount = models.DecimalField(_("discount"), default=0, **MONEY)
    shipping_amount = models.DecimalField(_("shipping"), default=0, **MONEY)
    paid_amount = models.DecimalField(_("paid amount"), default=0, **MONEY)
    platform_fee = models.DecimalField(_("platform fee"), null=True, blank=True, **MONEY)
    # How it was paid, when the shop says so (else the store's default payment channel is assumed), and the payment
    # channel's transaction id: the reconciliation's second key after the order number.
    payment_channel = models.ForeignKey("settlement.PaymentChannel", on_delete=models.SET_NULL, null=True,
                                        blank=True, related_name="+", verbose_name=_("payment channel"))
    payment_transaction_id = models.CharField(_("payment transaction id"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    placed_at = models.DateTimeField(_("placed at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled or closed at"), null=True, blank=True)
    source_version = models.BigIntegerField(_("version on the platform"), default=0)
    source_updated_at = models.DateTimeField(_("updated on the platform"), null=True, blank=True)
    # The version of the full report the amounts and lines come from; empty while the shop has only pushed ids and
    # status (Douyin): the amounts are then not known yet and the order waits for its details.
    details_version = models.BigIntegerField(_("version of the details"), null=True, blank=True)
    raw = models.JSONField(_("last snapshot"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["organization", "store", "external_number"],
                                    name="order_store_number_uniq"),
        ]
        indexes = [
            models.Index(fields=["organization", "-placed_at"], name="order_placed_idx"),
            models.Index(fields=["organization", "status", "-placed_at"], name="order_status_idx"),
            models.Index(fields=["organization", "customer", "-placed_at"], name="order_customer_idx"),
            # The reconciliation's keys and its period.
            models.Index(fields=["organization", "external_number"], name="order_number_idx"),
            models.Index(fields=["organization", "payment_transaction_id"], name="order_payment_txn_idx",
                         condition=~models.Q(payment_transaction_id="")),
            models.Index(fields=["organization", "paid_at"], name="order_paid_idx"),
        ]

    def __str__(self):
        return self.external_number

    @property
    def details_missing(self):
        """Only status pushes so far: the amounts and lines are not known yet."""
        return self.details_version is None


class OrderLine(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    position = models.PositiveIntegerField(_("position"))
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=255)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "order", "position"], name="orderline_position_uniq"),
        ]

    def __str__(self):
        return f"{self.sku or self.name} × {self.quantity}"


class Refund(TenantModel):
    """A refund (or return) of an order. It may arrive before its order: it then waits with `order` empty and is
    attached when the order lands (matched by store and order number)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")
        REFUNDED = "refunded", _("refunded")
        CANCELLED = "cancelled", _("withdrawn")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("store"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds",
                              verbose_name=_("order"))
    order_number = models.CharField(_("order number"), max_length=64)
    external_number = models.CharField(_("refund number"), max_length=64)
    customer = models.ForeignKey("scrm.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="refunds", verbose_name=_("customer"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("approved or refused at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    source_version = models.BigIntegerField(_("version on the platform"), default=0)
    raw = models.JSONField(_("last snapshot"), default=dict, blank=True)
    # The after-sales ticket this refund opened (tickets know nothing of orders: the link lives here).
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("ticket"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(fields=["organization", "store", "external_number"],
                                    name="refund_store_number_uniq"),
        ]
        indexes = [
            models.Index(fields=["organization", "store", "order_number"], name="refund_order_number_idx"),
            models.Index(fields=["organization", "external_number"], name="refund_number_idx"),
            models.Index(fields=["organization", "refunded_at"], name="refund_refunded_idx"),
        ]

    def __str__(self):
        return self.external_number


class OrderReport(TenantModel):
    """Append-only: every report a store made about an order or one of its refunds, whether the ledger applied it or
    ignored it as older than what it held. The order's page shows them as its history."""

    class Kind(models.TextChoices):
        ORDER = "order", _("order")
        REFUND = "refund", _("refund")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    order_number = models.CharField(_("order number"), max_length=64)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=64)
    status = models.CharField(_("status"), max_length=16)
    version = models.BigIntegerField(_("version on the platform"))
    applied = models.BooleanField(_("applied"))
    source = models.CharField(_("source"), max_length=100, blank=True,
                              help_text=_("What delivered it, e.g. the inbound event."))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order report")
        verbose_name_plural = _("order reports")
        indexes = [models.Index(fields=["organization", "store", "order_number", "-received_at"],
                                name="orderreport_order_idx")]

    @property
    def status_label(self):
        """The status in the reader's words: a report keeps the platform's status code as stored (paid, refunded)."""
        labels = Refund.Status if self.kind == self.Kind.REFUND else Order.Status
        return labels(self.status).label if self.status in labels.values else self.status

    @property
    def source_label(self):
        """What delivered it, in the reader's words ("订单更新（事件 #555）"), not the code stored."""
        return source_words(self.source, kind=self.kind)


class AfterSale(TenantModel):
    """A return, an exchange or a complaint (a bad review) about an order, as the store reported it. Each opens its
    own routed after-sales ticket, linked here (tickets know nothing of orders) and carrying the order number. Like
    a refund it may arrive before its order: it waits with `order` empty and is attached when the order lands. A
    return that also refunds money shares its number with that refund, and the two share one ticket."""

    class Kind(models.TextChoices):
        RETURN = "return", _("return")
        EXCHANGE = "exchange", _("exchange")
        COMPLAINT = "complaint", _("complaint")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("withdrawn")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="aftersales", verbose_name=_("store"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="aftersales",
                              verbose_name=_("order"))
    order_number = models.CharField(_("order number"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    external_number = models.CharField(_("number on the platform"), max_length=64)
    customer = models.ForeignKey("scrm.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="aftersales", verbose_name=_("customer"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    detail = models.TextField(_("what the buyer wrote"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True,
                                              help_text=_("A review's stars, 1 to 5."))
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)
    source_version = models.BigIntegerField(_("version on the platform"), default=0)
    raw = models.JSONField(_("last snapshot"), default=dict, blank=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("ticket"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("after-sales case")
        verbose_name_plural = _("after-sales cases")
        constraints = [
            models.UniqueConstraint(fields=["organization", "store", "kind", "external_number"],
                                    name="aftersale_store_number_uniq"),
        ]
        indexes = [
            models.Index(fields=["organization", "store", "order_number"], name="aftersale_order_number_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.external_number}"


# The names of the cases and of their statuses, for texts stored elsewhere and worded when read (a ticket's event
# "Platform update on refund RF1: requested → refunded", its assignee's notification): `settlement.case.refund`,
# `settlement.case.refund.refunded`, `settlement.case.return.completed`, ...
CASE_WORDS = "settlement.case"
coded_messages_register({
    "refund": Refund._meta.verbose_name,
    **{f"refund.{status.value}": status.label for status in Refund.Status},
    **{kind.value: kind.label for kind in AfterSale.Kind},
    **{f"{kind.value}.{status.value}": status.label for kind in AfterSale.Kind for status in AfterSale.Status},
}, namespace=CASE_WORDS)


class LedgerSettings(TenantModel):
    """How the organization's orders ledger takes orders: the currencies it accepts. An order or refund in another
    currency is refused with a clear reason on its event (dead, replayable once the setting or the shop is fixed);
    none set accepts any currency."""

    accepted_currencies = models.CharField(
        _("accepted currencies"), max_length=100, blank=True,
        help_text=_("ISO 4217 codes separated by commas, e.g. CNY,HKD; empty accepts every currency."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ledger settings")
        verbose_name_plural = _("ledger settings")
        constraints = [models.UniqueConstraint(fields=["organization"], name="ledgersettings_org_uniq")]

    def __str__(self):
        return self.accepted_currencies or "*"

    @property
    def currencies(self):
        return {code.strip().upper() for code in self.accepted_currencies.split(",") if code.strip()}


# Payment channels, statements and their reconciliation (a module of their own; Django finds them through here).
from settlement.reconciliation_models import (  # noqa: E402, F401
    Discrepancy,
    DiscrepancyAction,
    MatchClass,
    PaymentChannel,
    ReconciliationRun,
    ReconciliationRunEvent,
    StatementImport,
    StatementLine,
    StatementLineMatch,
)

# isort: split
# Partner settlement: rules, exchange rates, partners, the service catalogue and jobs, statements (a module of their
# own; Django finds them through here).
from settlement.partner_models import (  # noqa: E402, F401
    CityTier,
    Cycle,
    ExchangeRate,
    FinanceDay,
    FinanceDayMark,
    Partner,
    PartnerStore,
    RegionAlert,
    RegionCityTier,
    ServiceItem,
    ServiceJob,
    ServiceJobLine,
    ServicePrice,
    SettlementAdjustment,
    SettlementRule,
    SettlementRun,
    SettlementStatement,
    SettlementStatementEvent,
    SettlementStatementLine,
    StatementLineKind,
)
