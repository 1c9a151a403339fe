"""Properties of settlement arithmetic (hypothesis): lines always sum to the totals, progressive tiers are
continuous at their boundaries, converting and summing never loses a fen against exact rational arithmetic."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.partner_money import (
    TOTAL_FIELDS,
    Adjustment,
    Group,
    Inputs,
    Terms,
    Tier,
    lines_balance,
    money_round,
    rebate_exact,
    statement_compute,
)

amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("9999999999.99"), places=2)
rates = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("999.99999999"), places=8)
fractions = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.99999"), places=5)
currencies = st.sampled_from(["CNY", "HKD", "USD"])


@st.composite
def groups(draw, *, max_size=6):
    return tuple(Group(currency, amount, count, None if currency == "CNY" else rate)
                 for currency, amount, count, rate in draw(st.lists(
                     st.tuples(currencies, amounts, st.integers(0, 1000), rates), max_size=max_size)))


@st.composite
def tiers(draw):
    bounds = sorted(set(draw(st.lists(st.decimals(min_value=Decimal("1"), max_value=Decimal("10000000"), places=2),
                                      max_size=4))))
    lowers = [Decimal("0"), *bounds]
    uppers = [*bounds, None]
    return tuple(Tier(lower, upper, draw(fractions)) for lower, upper in zip(lowers, uppers, strict=True))


@settings(max_examples=200, deadline=None)
@given(sales=groups(), refunds=groups(), fees=groups(), services=groups(), tiers=tiers(),
       commission=fractions, tax=fractions, included=st.booleans(), progressive=st.booleans(),
       quantum=st.sampled_from(["0.01", "0.1", "1"]),
       adjustments=st.lists(st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=2),
                            max_size=3))
def test_a_statements_lines_always_sum_to_its_totals(sales, refunds, fees, services, tiers, commission, tax,
                                                      included, progressive, quantum, adjustments):
    terms = Terms(currency="CNY", commission_rate=commission, tiers=tiers, progressive=progressive, tax_rate=tax,
                  prices_include_tax=included, quantum=quantum)
    inputs = Inputs(sales=sales, refunds=refunds, fees=fees, service_income=services, materials=services,
                    payouts=services, adjustments=tuple(Adjustment(a, "x") for a in adjustments))
    result = statement_compute(inputs, terms)
    pairs = [(line.kind, line.amount) for line in result.lines]
    assert lines_balance(pairs, result.totals, result.payable)
    assert sum(result.totals[name] for name in TOTAL_FIELDS.values()) == result.payable
    assert all(line.amount == line.amount.quantize(Decimal(quantum)) for line in result.lines)


@settings(max_examples=300, deadline=None)
@given(tiers=tiers(), data=st.data())
def test_progressive_tiers_are_continuous_at_their_boundaries(tiers, data):
    for tier in tiers[1:]:
        at = rebate_exact(tier.lower, tiers, progressive=True)
        just_below = rebate_exact(tier.lower - Decimal("0.01"), tiers, progressive=True)
        just_above = rebate_exact(tier.lower + Decimal("0.01"), tiers, progressive=True)
        # one fen either side moves the rebate by at most one fen times the rate of that side
        assert at - just_below <= Decimal("0.01") and just_above - at <= Decimal("0.01")
        assert just_below <= at <= just_above
    volume = data.draw(amounts)
    assert rebate_exact(volume, tiers, progressive=True) <= volume


def _exact_half_up(value, quantum=Fraction(1, 100)):
    units = value / quantum
    whole = units.numerator // units.denominator
    if units - whole >= Fraction(1, 2):
        whole += 1
    return Fraction(whole) * quantum


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.tuples(amounts, rates), min_size=1, max_size=40))
def test_converting_and_summing_never_loses_a_fen_against_exact_arithmetic(parts):
    groups = tuple(Group("USD", amount, 1, rate) for amount, rate in parts)
    result = statement_compute(Inputs(sales=groups), Terms(currency="CNY"))
    exact = sum((Fraction(amount) * Fraction(rate) for amount, rate in parts), Fraction(0))
    [line] = result.lines
    assert Fraction(line.amount) == _exact_half_up(exact)
    assert line.source_amount == sum(amount for amount, _rate in parts)


def test_rounding_is_half_up_to_the_rules_quantum():
    assert money_round(Decimal("2.345")) == Decimal("2.35")
    assert money_round(Decimal("-2.345")) == Decimal("-2.35")
    assert money_round(Decimal("2.35"), "0.1") == Decimal("2.40")
    assert money_round(Decimal("2.5"), "1") == Decimal("3.00")
