"""The arithmetic of partner settlement, as pure functions (no database): the one rounding helper, rebate tiers,
conversion and the statement's lines and totals. settlement.partner_services feeds them the period's aggregates.

Every amount is a Decimal. Sums and conversions are exact (a local context wide enough for any product of an
18-digit amount and an 8-decimal rate); rounding happens once per statement line, in `money_round`, per the rule.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from settlement.errors import SettlementError
from settlement.partner_errors import (
    MSG_TIER_BAD_NUMBER,
    MSG_TIER_FIRST_NOT_ZERO,
    MSG_TIER_GAP,
    MSG_TIER_OPEN_NOT_LAST,
    MSG_TIER_OVERLAP,
    MSG_TIER_RATE,
    MSG_TIER_UPPER_BELOW_LOWER,
)
from settlement.partner_models import StatementLineKind

ZERO = Decimal("0")
# Wide enough that no sum of products of 18-digit amounts and 8-decimal rates is ever rounded by the context.
EXACT = Context(prec=80, rounding=ROUND_HALF_UP)
Kind = StatementLineKind


def money_round(value, quantum="0.01"):
    """THE rounding of settlement: half up (away from zero on a half) to the rule's quantum (0.01, 0.1 or 1), and
    always returned with two decimals."""
    with localcontext(EXACT):
        rounded = Decimal(value).quantize(Decimal(quantum), rounding=ROUND_HALF_UP)
        return rounded.quantize(Decimal("0.01"))


def exact(value):
    return Decimal(value)


def _number(value, index):
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise SettlementError(MSG_TIER_BAD_NUMBER % {"n": index + 1, "value": value}) from None
    if not number.is_finite():
        raise SettlementError(MSG_TIER_BAD_NUMBER % {"n": index + 1, "value": value})
    return number


@dataclass(frozen=True)
class Tier:
    lower: Decimal
    upper: Decimal | None  # None: no upper bound
    rate: Decimal


def tiers_parse(raw):
    """Rebate tiers as written on a rule, checked: they start at 0, each starts where the previous ended (no gap,
    no overlap), only the last may be open-ended, rates are fractions between 0 and 1. Refused with the first
    problem found."""
    tiers = []
    for index, entry in enumerate(raw or ()):
        lower = _number(entry.get("from", 0), index)
        upper = entry.get("to")
        upper = None if upper in (None, "") else _number(upper, index)
        rate = _number(entry.get("rate", 0), index)
        if not ZERO <= rate <= 1:
            raise SettlementError(MSG_TIER_RATE % {"n": index + 1, "value": rate})
        if upper is not None and upper <= lower:
            raise SettlementError(MSG_TIER_UPPER_BELOW_LOWER % {"n": index + 1})
        if index == 0 and lower != 0:
            raise SettlementError(MSG_TIER_FIRST_NOT_ZERO)
        if tiers:
            previous = tiers[-1]
            if previous.upper is None:
                raise SettlementError(MSG_TIER_OPEN_NOT_LAST % {"n": index})
            if lower > previous.upper:
                raise SettlementError(MSG_TIER_GAP % {"n": index, "to": previous.upper, "from": lower})
            if lower < previous.upper:
                raise SettlementError(MSG_TIER_OVERLAP % {"n": index, "to": previous.upper, "from": lower})
        tiers.append(Tier(lower, upper, rate))
    return tiers


def tiers_dump(tiers):
    return [{"from": str(t.lower), "to": None if t.upper is None else str(t.upper), "rate": str(t.rate)}
            for t in tiers]


def rebate_exact(volume, tiers, *, progressive):
    """The rebate on `volume` (unrounded). Progressive: each bracket's part of the volume at that bracket's rate
    (continuous at the boundaries); whole: the whole volume at the rate of the bracket it reached."""
    volume = Decimal(volume)
    if volume <= 0 or not tiers:
        return ZERO
    with localcontext(EXACT):
        if progressive:
            total = ZERO
            for tier in tiers:
                if volume <= tier.lower:
                    break
                top = volume if tier.upper is None else min(volume, tier.upper)
                total += (top - tier.lower) * tier.rate
            return total
        reached = [tier for tier in tiers if volume >= tier.lower]
        return volume * reached[-1].rate if reached else ZERO


@dataclass(frozen=True)
class Group:
    """A sum of the period in one currency (of one day when converted per order), with its count."""

    currency: str
    amount: Decimal
    count: int = 0
    rate: Decimal | None = None  # None: already in the statement's currency


@dataclass(frozen=True)
class Adjustment:
    amount: Decimal  # in the statement's currency
    reason: str
    ref: object = None


@dataclass(frozen=True)
class Inputs:
    sales: tuple = ()
    refunds: tuple = ()
    fees: tuple = ()
    service_income: tuple = ()
    materials: tuple = ()
    payouts: tuple = ()
    adjustments: tuple = ()


@dataclass(frozen=True)
class Terms:
    currency: str
    commission_rate: Decimal = ZERO
    tiers: tuple = ()
    progressive: bool = True
    tax_rate: Decimal = ZERO
    prices_include_tax: bool = True
    minimum_payout: Decimal = ZERO
    quantum: str = "0.01"


@dataclass
class Line:
    kind: str
    count: int
    source_currency: str
    source_amount: Decimal
    rate: Decimal | None
    amount: Decimal
    description: str = ""
    adjustment: object = None


@dataclass
class Result:
    lines: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    subtotal: Decimal = ZERO
    tax: Decimal = ZERO
    tax_included: Decimal = ZERO
    payable: Decimal = ZERO
    below_minimum: bool = False


# Which way each kind moves the payable.
SIGN = {Kind.SALES: 1, Kind.REFUNDS: -1, Kind.CHANNEL_FEES: -1, Kind.COMMISSION: -1, Kind.REBATES: 1,
        Kind.SERVICE_INCOME: 1, Kind.MATERIALS: -1, Kind.TECHNICIAN_PAYOUTS: -1, Kind.ADJUSTMENTS: 1, Kind.TAX: 1}
TOTAL_FIELDS = {Kind.SALES: "sales", Kind.REFUNDS: "refunds", Kind.CHANNEL_FEES: "channel_fees",
                Kind.COMMISSION: "commission", Kind.REBATES: "rebates", Kind.SERVICE_INCOME: "service_income",
                Kind.MATERIALS: "materials", Kind.TECHNICIAN_PAYOUTS: "technician_payouts",
                Kind.ADJUSTMENTS: "adjustments", Kind.TAX: "tax"}


def _converted_lines(kind, groups, terms):
    """One line per original currency: the exact sum of each group converted at its rate, rounded once."""
    by_currency = {}
    for group in groups:
        by_currency.setdefault(group.currency, []).append(group)
    lines = []
    with localcontext(EXACT):
        for currency in sorted(by_currency):
            parts = by_currency[currency]
            source = sum((Decimal(p.amount) for p in parts), ZERO)
            converted = sum((Decimal(p.amount) * (p.rate if p.rate is not None else 1) for p in parts), ZERO)
            rates = {p.rate for p in parts}
            rate = next(iter(rates)) if len(rates) == 1 else None
            count = sum(p.count for p in parts)
            if source == 0 and count == 0:
                continue
            lines.append(Line(kind, count, currency, money_round(source), rate,
                              SIGN[kind] * money_round(converted, terms.quantum)))
    return lines


def statement_compute(inputs, terms):
    """A statement's lines and totals from the period's sums: lines in a fixed order, each rounded once; commission
    and rebates on the net sales as the lines show them; tax on the subtotal (added when prices exclude it, shown
    as included otherwise). The payable is the sum of the lines, always."""
    result = Result()
    lines = result.lines
    for kind, groups in ((Kind.SALES, inputs.sales), (Kind.REFUNDS, inputs.refunds),
                         (Kind.CHANNEL_FEES, inputs.fees)):
        lines.extend(_converted_lines(kind, groups, terms))
    net_sales = sum((line.amount for line in lines if line.kind in {Kind.SALES, Kind.REFUNDS}), ZERO)
    if terms.commission_rate and net_sales:
        with localcontext(EXACT):
            commission = money_round(net_sales * terms.commission_rate, terms.quantum)
        lines.append(Line(Kind.COMMISSION, 0, terms.currency, net_sales, terms.commission_rate, -commission))
    rebate = money_round(rebate_exact(net_sales, terms.tiers, progressive=terms.progressive), terms.quantum)
    if rebate:
        lines.append(Line(Kind.REBATES, 0, terms.currency, net_sales, None, rebate))
    for kind, groups in ((Kind.SERVICE_INCOME, inputs.service_income), (Kind.MATERIALS, inputs.materials),
                         (Kind.TECHNICIAN_PAYOUTS, inputs.payouts)):
        lines.extend(_converted_lines(kind, groups, terms))
    for adjustment in inputs.adjustments:
        amount = money_round(adjustment.amount, terms.quantum)
        lines.append(Line(Kind.ADJUSTMENTS, 1, terms.currency, money_round(adjustment.amount), None, amount,
                          description=adjustment.reason, adjustment=adjustment.ref))
    result.subtotal = sum((line.amount for line in lines), ZERO)
    with localcontext(EXACT):
        if terms.tax_rate and result.subtotal > 0:
            if terms.prices_include_tax:
                result.tax_included = money_round(
                    result.subtotal * terms.tax_rate / (1 + terms.tax_rate), terms.quantum)
            else:
                result.tax = money_round(result.subtotal * terms.tax_rate, terms.quantum)
                lines.append(Line(Kind.TAX, 0, terms.currency, result.subtotal, terms.tax_rate, result.tax))
    result.totals = {name: ZERO for name in TOTAL_FIELDS.values()}
    for line in lines:
        result.totals[TOTAL_FIELDS[line.kind]] += line.amount
    result.payable = sum((line.amount for line in lines), ZERO)
    result.below_minimum = result.payable < terms.minimum_payout
    return result


def lines_balance(lines, totals, payable):
    """Whether stored lines still sum to the stored totals and payable (the check before approving)."""
    sums = {name: ZERO for name in TOTAL_FIELDS.values()}
    for kind, amount in lines:
        sums[TOTAL_FIELDS[kind]] += amount
    return all(sums[name] == totals[name] for name in sums) and sum(sums.values(), ZERO) == payable
