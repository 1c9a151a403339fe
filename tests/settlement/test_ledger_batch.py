"""The batch write of the ledger (`orders_upsert`, what the worker uses for a batch of order events): any split of
any delivery order of several orders' reports into batches ends in the ledger the reports give one at a time."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrm.customers.services import customer_resolve
from scrm.platform.tenancy import tenant_scope
from settlement.models import OrderLine
from settlement.services import order_upsert, orders_upsert, refund_upsert, store_ensure
from settlement.snapshots import LineSnapshot
from tests.settlement.ledger import at, order, refund
from tests.settlement.test_ledger import _Undo, ledger

pytestmark = pytest.mark.django_db

LINE_B = LineSnapshot(sku="KT-50", name="空调 2 匹", quantity=Decimal("1"), unit_price=Decimal("3999.00"),
                      amount=Decimal("3999.00"))


def reports():
    """Two orders' reports (one changes its lines on the way, one arrives as status pushes first) and a refund
    that may come before its order."""
    return [
        ("order", order(number="A", status="pending", version=1, paid_at=None)),
        ("order", order(number="A", status="paid", version=2, paid_at=at(2))),
        ("order", order(number="A", status="shipped", version=3, paid_at=at(2), shipped_at=at(3),
                        lines=(LINE_B,), paid_amount=Decimal("3899.00"))),
        ("order", order(number="B", status="shipped", version=3, shipped_at=at(3), partial=True, lines=())),
        ("order", order(number="B", status="paid", version=2, paid_at=at(2))),
        ("order", order(number="B", status="completed", version=5, completed_at=at(5))),
        ("refund", refund(number="R1", order_number="A", status="requested", version=10)),
    ]


def _run(organization, batches):
    try:
        with transaction.atomic():
            with tenant_scope(organization):
                store = store_ensure(organization=organization, channel="youzan", ref="kdt-1", name="有赞店")
                buyer = customer_resolve(organization=organization, channel="youzan", app_id="kdt-1",
                                         external_id="buyer-1")
            for batch in batches:
                orders_part = [(snapshot, buyer, "test") for kind, snapshot in batch if kind == "order"]
                if orders_part:
                    orders_upsert(organization=organization, store=store, reports=orders_part)
                for kind, snapshot in batch:
                    if kind == "refund":
                        refund_upsert(organization=organization, store=store, snapshot=snapshot)
            raise _Undo(ledger(store))
    except _Undo as undo:
        return undo.args[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(delivery=st.permutations(range(7)), repeats=st.lists(st.integers(0, 6), max_size=3),
       cuts=st.lists(st.integers(1, 9), max_size=4))
def test_any_batching_of_any_delivery_order_ends_in_the_same_ledger(organization, delivery, repeats, cuts):
    events = reports()
    expected = _run(organization, [[event] for event in events])
    sequence = [events[i] for i in [*delivery, *repeats]]
    batches, start = [], 0
    for cut in sorted(set(cuts)):
        batches.append(sequence[start:cut])
        start = cut
    batches.append(sequence[start:])
    assert _run(organization, [batch for batch in batches if batch]) == expected
    orders, refunds, _tickets = expected
    assert orders["A"][0] == "shipped" and orders["A"][11] == (("KT-50", Decimal("1.000"), Decimal("3999.00")),)
    assert orders["B"][0] == "completed" and orders["B"][4] == Decimal("2899.00")
    assert refunds["R1"][2] == "A"


def test_a_report_that_keeps_the_lines_does_not_write_them_again(organization):
    store = store_ensure(organization=organization, channel="youzan", ref="kdt-1", name="有赞店")
    order_upsert(organization=organization, store=store, snapshot=order(number="A", status="paid", version=2))
    with tenant_scope(organization):
        [line] = OrderLine.objects.all()
    order_upsert(organization=organization, store=store, snapshot=order(number="A", status="shipped", version=3))
    with tenant_scope(organization):
        assert [row.pk for row in OrderLine.objects.all()] == [line.pk]


def test_a_batch_of_many_orders_costs_a_fixed_few_queries(organization, django_assert_max_num_queries):
    store = store_ensure(organization=organization, channel="youzan", ref="kdt-1", name="有赞店")
    first = [(order(number=f"N{n}", status="paid", version=2), None, "t") for n in range(50)]
    with django_assert_max_num_queries(10):
        orders_upsert(organization=organization, store=store, reports=first)
    later = [(order(number=f"N{n}", status=status, version=version), None, "t")
             for n in range(50) for status, version in (("shipped", 3), ("completed", 4))]
    with django_assert_max_num_queries(10):
        results = orders_upsert(organization=organization, store=store, reports=later)
    assert [applied for _order, applied in results] == [True] * 100
