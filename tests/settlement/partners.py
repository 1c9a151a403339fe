"""Builders of partner-settlement data for the tests: regions, a partner with a store, reconciled orders (a matched
statement line pointing at each), refunds and service jobs."""

from datetime import UTC, date, datetime
from decimal import Decimal

from scrm.models import Region, Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import (
    MatchClass,
    Order,
    PaymentChannel,
    Refund,
    StatementImport,
    StatementLine,
    StatementLineMatch,
    Store,
)
from settlement.partner_services import partner_save, rule_create
from tests.scrm.factories import UserFactory

PERIOD = (date(2026, 10, 1), date(2026, 10, 31))


def second_finance(organization, username="finance-2"):
    """Another finance user: who approves a statement the first one reviewed (two people see every payout)."""
    with platform_scope():
        return UserFactory(organization=organization, roles=[Role.FINANCE], username=username)


def region(organization, code, name, *, parent=None, level=Region.Level.AREA):
    with tenant_scope(organization):
        path = f"{parent.path if parent else '/'}{code}/"
        return Region.objects.create(organization=organization, code=code, name=name, level=level, parent=parent,
                                     path=path)


def monthly_rule(organization, *, region=None, partner=None, valid_from=date(2026, 1, 1), **fields):
    values = {"name": "月结", "currency": "CNY", "cycle": "monthly", "commission_rate": Decimal("0.05"),
              "rebate_tiers": [{"from": "0", "to": "1000", "rate": "0"}, {"from": "1000", "to": None, "rate": "0.02"}],
              "tax_rate": Decimal("0.06"), "prices_include_tax": True}
    values.update(fields)
    return rule_create(organization=organization, region=region, partner=partner, valid_from=valid_from, **values)


def partner_with_store(organization, area, *, code="P1", name="华东经销商", kind="dealer", bank_account=None):
    with tenant_scope(organization):
        store = Store.objects.create(organization=organization, channel="youzan", ref=f"s-{code}", name=f"{name}店")
    partner = partner_save(organization=organization, code=code, name=name, kind=kind, region=area,
                           stores=[store], bank_account=bank_account, bank_account_name=name, bank_name="招商银行")
    return partner, store


def _channel(organization):
    with tenant_scope(organization):
        channel, _created = PaymentChannel.objects.get_or_create(
            organization=organization, code="wxpay", defaults={"name": "微信支付", "layout": "wechatpay"})
        statement, _created = StatementImport.objects.get_or_create(
            organization=organization, channel=channel, file_sha256="0" * 64,
            defaults={"file_name": "bill.csv", "status": "imported"})
        return channel, statement


def paid_order(organization, store, number, amount, *, paid_at, currency="CNY", fee=Decimal("0"),
               reconciled=True, match_class=MatchClass.MATCHED):
    """An order paid at `paid_at`; reconciled: a statement line of the channel matched to it, with its fee."""
    with tenant_scope(organization):
        order = Order.objects.create(organization=organization, store=store, channel=store.channel,
                                     external_number=number, currency=currency, paid_amount=Decimal(amount),
                                     goods_amount=Decimal(amount), status="paid", placed_at=paid_at, paid_at=paid_at)
        if reconciled:
            channel, statement = _channel(organization)
            line = StatementLine.objects.create(
                organization=organization, statement=statement, channel=channel,
                line_number=StatementLine.objects.count() + 1, kind="payment", order_number=number,
                gross_amount=Decimal(amount), fee=Decimal(fee), net_amount=Decimal(amount) - Decimal(fee),
                currency=currency, occurred_at=paid_at, bill_date=paid_at.date())
            StatementLineMatch.objects.create(line=line, organization=organization, match_class=match_class,
                                              order=order, matched_by="order_number")
        return order


def refunded(organization, order, amount, *, at, number=None):
    with tenant_scope(organization):
        return Refund.objects.create(organization=organization, store=order.store, order=order,
                                     order_number=order.external_number, external_number=number or f"R{order.pk}",
                                     currency=order.currency, amount=Decimal(amount), status="refunded",
                                     refunded_at=at)


def oct_(day):
    """Noon in Shanghai on a day of October 2026."""
    return datetime(2026, 10, day, 4, 0, tzinfo=UTC)
