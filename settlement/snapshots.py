"""What a shop told us about an order or a refund, as plain values: the shape channels_ingest's adapters produce and
settlement.services stores. Amounts are Decimal to the fen, times aware, ids strings (never floats)."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from settlement.errors import ledger_refusal

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999999999.99")  # what Decimal(18, 2) holds


def money(value, *, name="amount"):
    """A money value from a shop (a string or int; a float is refused: it has already lost the fen), rounded half
    up to the fen. Raises SettlementError naming the field."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ledger_refusal("settlement.bad_amount", name=name, value=value)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ledger_refusal("settlement.bad_amount", name=name, value=str(value)[:40]) from None
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        raise ledger_refusal("settlement.bad_amount", name=name, value=str(value)[:40])
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def currency_code(value):
    code = str(value or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise ledger_refusal("settlement.bad_currency", value=str(value)[:10])
    return code


def _check_version(version):
    if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version < 2**63:
        raise ledger_refusal("settlement.bad_version", value=str(version)[:40])


@dataclass(frozen=True)
class LineSnapshot:
    name: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    sku: str = ""


@dataclass(frozen=True)
class OrderSnapshot:
    number: str
    status: str
    version: int  # the platform's update time (microseconds) or version number: larger is newer
    currency: str = "CNY"
    goods_amount: Decimal = Decimal("0.00")
    discount_amount: Decimal = Decimal("0.00")
    shipping_amount: Decimal = Decimal("0.00")
    paid_amount: Decimal = Decimal("0.00")
    platform_fee: Decimal | None = None
    updated_at: datetime | None = None
    placed_at: datetime | None = None
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    lines: tuple = ()
    shipping_address: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    # How it was paid, when the shop's payload says so in a documented field: the code of one of the
    # organization's payment channels (`wechatpay`, `alipay`, ...; empty: not said) and that channel's transaction id.
    payment_channel: str = ""
    payment_transaction_id: str = ""
    # A status-only report (Douyin's pushes carry ids, status and times): it moves the status and the milestone
    # times but leaves the amounts, lines, address and snapshot the ledger holds; they wait for a full report.
    partial: bool = False

    def __post_init__(self):
        from settlement.models import Order

        if self.status not in Order.Status.values:
            raise ledger_refusal("settlement.bad_status", value=self.status)
        _check_version(self.version)


@dataclass(frozen=True)
class RefundSnapshot:
    number: str
    order_number: str
    status: str
    version: int
    amount: Decimal
    currency: str = "CNY"
    reason: str = ""
    requested_at: datetime | None = None
    resolved_at: datetime | None = None
    refunded_at: datetime | None = None
    raw: dict = field(default_factory=dict)

    def __post_init__(self):
        from settlement.models import Refund

        if self.status not in Refund.Status.values:
            raise ledger_refusal("settlement.bad_status", value=self.status)
        _check_version(self.version)


@dataclass(frozen=True)
class AfterSaleSnapshot:
    """A return, an exchange or a complaint as the store reported it (settlement.models.AfterSale)."""

    kind: str
    number: str
    order_number: str
    status: str
    version: int
    reason: str = ""
    detail: str = ""
    rating: int | None = None
    requested_at: datetime | None = None
    raw: dict = field(default_factory=dict)

    def __post_init__(self):
        from settlement.models import AfterSale

        if self.kind not in AfterSale.Kind.values:
            raise ledger_refusal("settlement.bad_status", value=self.kind)
        if self.status not in AfterSale.Status.values:
            raise ledger_refusal("settlement.bad_status", value=self.status)
        _check_version(self.version)
