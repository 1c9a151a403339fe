"""Money sums exact: for random ledgers and statements, every statement line lands in exactly one class and the
classes add up to the statement total, to the fen; the ledger total is the ledger's money of the period."""

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrm.platform.tenancy import tenant_scope
from settlement.models import StatementLine
from settlement.reconciliation.matching import SUMMARY_CLASSES, SUMMARY_KEY
from settlement.reconciliation.services import reconciliation_run
from tests.settlement.recon import DAY, local, make_channel, make_order, make_refund, make_statement, make_store

pytestmark = pytest.mark.django_db

_example = itertools.count()
fen = st.integers(min_value=1, max_value=500_000).map(lambda n: Decimal(n) / 100)
ledger_orders = st.lists(st.tuples(st.integers(0, 14), fen, st.integers(0, 23), st.booleans()), max_size=10)
statement = st.lists(st.tuples(st.sampled_from(["payment", "payment", "refund"]), st.integers(0, 14), fen,
                               st.sampled_from(["exact", "other", "fee"])), max_size=14)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders=ledger_orders, lines=statement, tolerance=st.sampled_from(["0.00", "0.05", "1.00"]))
def test_matched_plus_discrepancies_is_the_statement_total(organization, orders, lines, tolerance):
    n = next(_example)
    channel = make_channel(organization, code=f"c{n}", amount_tolerance=Decimal(tolerance))
    store = make_store(organization, channel, name=f"店{n}")
    ledger, paid_total, refunded_total = {}, Decimal(0), Decimal(0)
    for number, amount, hour, refunded in orders:
        if number in ledger:
            continue
        order = make_order(store, f"E{n}-{number}", amount, paid_at=local(DAY, hour, 10))
        ledger[number] = order
        paid_total += amount
        if refunded:
            make_refund(order, f"E{n}-R{number}", amount)
            refunded_total += amount
    rows = []
    for kind, number, amount, variant in lines:
        order = ledger.get(number)
        if variant == "exact" and order is not None:
            amount = order.paid_amount
        fee = (amount * Decimal("0.006")).quantize(Decimal("0.01")) + (Decimal("0.05") if variant == "fee" else 0)
        row = {"kind": kind, "order_number": f"E{n}-{number}", "amount": amount, "fee": fee}
        if kind == "refund":
            row["refund_number"] = f"E{n}-R{number}"
        rows.append(row)
    make_statement(channel, lines=rows)
    run = reconciliation_run(channel=channel, period_start=DAY)
    summary = run.summary
    line_classes = [SUMMARY_KEY.get(k, str(k)) for k in SUMMARY_CLASSES if k != "missing_in_channel"]
    expected_total = sum((r["amount"] if r["kind"] == "payment" else -r["amount"] for r in rows), Decimal(0))
    assert Decimal(summary["statement_total"]) == expected_total
    assert sum(Decimal(summary[k]["amount"]) for k in line_classes) == expected_total
    assert sum(summary[k]["count"] for k in line_classes) == len(rows)
    assert Decimal(summary["ledger_total"]) == paid_total - refunded_total
    with tenant_scope(organization):
        assert StatementLine.objects.filter(channel=channel, match__isnull=True).count() == 0
