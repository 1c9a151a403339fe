"""Builders of ledger snapshots for the settlement tests."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from settlement.snapshots import LineSnapshot, OrderSnapshot, RefundSnapshot

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def order(number="YZ1001", status="paid", version=2, **kwargs):
    lines = kwargs.pop("lines", (LineSnapshot(sku="KT-35", name="空调 1.5 匹", quantity=Decimal("1"),
                                              unit_price=Decimal("2999.00"), amount=Decimal("2999.00")),))
    values = {"goods_amount": Decimal("2999.00"), "discount_amount": Decimal("100.00"),
              "shipping_amount": Decimal("0.00"), "paid_amount": Decimal("2899.00"), "placed_at": at(0),
              "updated_at": at(version), "raw": {"v": version}}
    values.update(kwargs)
    return OrderSnapshot(number=number, status=status, version=version, lines=tuple(lines), **values)


def refund(number="RF1", order_number="YZ1001", status="requested", version=10, **kwargs):
    values = {"amount": Decimal("2899.00"), "reason": "不想要了", "requested_at": at(10), "raw": {"v": version}}
    values.update(kwargs)
    return RefundSnapshot(number=number, order_number=order_number, status=status, version=version, **values)
