"""Builders for the reconciliation tests: a channel, stores and orders of the ledger, a statement and its lines
(made directly: the parsers are not needed to test the matching)."""

import hashlib
import itertools
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from scrm.platform.tenancy import tenant_scope
from settlement.models import (
    Order,
    PaymentChannel,
    Refund,
    StatementImport,
    StatementLine,
    Store,
)

CN = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 11)
_seq = itertools.count(1)


def local(day, hh=12, mm=0):
    """A moment of a China day."""
    return datetime.combine(day, time(hh, mm), tzinfo=CN)


def make_channel(organization, code="wechatpay", **kwargs):
    values = {"name": {"wechatpay": "微信支付", "alipay": "支付宝"}.get(code, code), "layout": "mapped",
              "expected_fee_rate": Decimal("0.006"), "amount_tolerance": Decimal("0.00"),
              "fee_tolerance": Decimal("0.01"), "timing_window_minutes": 30, "write_off_limit": Decimal("100")}
    values.update(kwargs)
    with tenant_scope(organization):
        return PaymentChannel.objects.create(organization=organization, code=code, **values)


def make_store(organization, channel, name="有赞店"):
    with tenant_scope(organization):
        return Store.objects.create(organization=organization, channel="youzan", ref=name, name=name,
                                    payment_channel=channel)


def make_order(store, number, amount, paid_at=None, status="paid", **kwargs):
    with tenant_scope(store.organization_id):
        return Order.objects.create(organization_id=store.organization_id, store=store, channel=store.channel,
                                    external_number=number, paid_amount=Decimal(amount), status=status,
                                    paid_at=paid_at if paid_at is not None else local(DAY), placed_at=paid_at,
                                    **kwargs)


def make_refund(order, number, amount, refunded_at=None, status="refunded"):
    with tenant_scope(order.organization_id):
        return Refund.objects.create(organization_id=order.organization_id, store=order.store, order=order,
                                     order_number=order.external_number, external_number=number,
                                     amount=Decimal(amount), status=status,
                                     refunded_at=refunded_at if refunded_at is not None else local(DAY, 15))


def make_statement(channel, day=DAY, lines=(), status="imported"):
    """A statement of `day` with `lines`: dicts of StatementLine fields (kind defaults to payment; the fee to the
    channel's rate of the amount; the time to noon of the day)."""
    n = next(_seq)
    with tenant_scope(channel.organization_id):
        statement = StatementImport.objects.create(
            organization_id=channel.organization_id, channel=channel, file_name=f"bill-{n}.csv",
            file_sha256=hashlib.sha256(f"{n}".encode()).hexdigest(), status=status, period_start=day, period_end=day)
        rows = []
        for number, values in enumerate(lines, start=1):
            values = dict(values)
            gross = Decimal(values.pop("amount"))
            rate = channel.expected_fee_rate or Decimal(0)
            fee = Decimal(values.pop("fee", (gross * rate).quantize(Decimal("0.01"))))
            values.setdefault("kind", "payment")
            values.setdefault("occurred_at", local(day))
            values.setdefault("transaction_id", f"4200{n:04d}{number:06d}")
            rows.append(StatementLine(organization_id=channel.organization_id, statement=statement, channel=channel,
                                      line_number=number, gross_amount=gross, fee=fee, net_amount=gross - fee,
                                      bill_date=values.pop("bill_date", day), **values))
        StatementLine.objects.bulk_create(rows)
        return statement


def pay(number, amount, **kwargs):
    return {"order_number": number, "amount": amount, **kwargs}


def refund_line(number, order_number, amount, **kwargs):
    return {"kind": "refund", "refund_number": number, "order_number": order_number, "amount": amount, **kwargs}


def next_day(day=DAY):
    return day + timedelta(days=1)
