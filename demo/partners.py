"""Demo partner settlement: regions in three currencies (CNY on the mainland, HKD in Hong Kong, USD in North
America), rules with rebate tiers, dealers, a franchise store and an installation provider, a service catalogue
priced per city tier, three months of reconciled orders, refunds and confirmed service jobs, and the statements of
those months in every status (paid, approved, reviewed, draft).

Idempotent: nothing is added once the demo partners exist.
"""

import copy
import io
import itertools
import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from demo.statement_files import Entry, unionpay_csv
from demo.statements import date_finance_work, finance_morning
from scrm import services as core
from scrm.models import Channel, Region, User
from settlement.models import (
    MatchClass,
    Order,
    Partner,
    PaymentChannel,
    Refund,
    RegionCityTier,
    ServiceItem,
    ServiceJob,
    StatementImport,
    StatementLine,
    StatementLineMatch,
    Store,
)
from settlement.partner_services import (
    exchange_rate_set,
    partner_save,
    rule_create,
    service_job_complete,
    service_job_confirm,
    service_price_set,
    statement_approve,
    statement_generate,
    statement_mark_paid,
    statement_review,
)
from settlement.statements.mapped import UNIONPAY_MAPPING
from settlement.statements.services import statement_import, statement_import_run

SHANGHAI = ZoneInfo("Asia/Shanghai")
CURRENCY_COLUMN = "币种"
FEE_RATE = Decimal("0.006")
TIERS = [{"from": "0", "to": "50000", "rate": "0"}, {"from": "50000", "to": "200000", "rate": "0.01"},
         {"from": "200000", "to": None, "rate": "0.02"}]
# code, name, kind, region code, currency of its orders, bank account
PARTNERS = [
    ("DEMO-EAST", "华东星河经销商", Partner.Kind.DEALER, "JS-NJ", "CNY", "6225880112345678"),
    ("DEMO-SOUTH", "华南星河经销商", Partner.Kind.DEALER, "GD-GZ", "CNY", "6222020200112233"),
    ("DEMO-NORTH", "北京星河加盟店", Partner.Kind.STORE, "BJ-BJ", "CNY", "6217000010001234"),
    # Hong Kong sells in HKD and to mainland visitors in CNY (converted at each order day's rate).
    ("DEMO-HK", "香港星河门店", Partner.Kind.STORE, "HK", ("HKD", "CNY"), "012345678901"),
    ("DEMO-US", "Xinghe North America", Partner.Kind.DEALER, "NA", "USD", "021000021123456789"),
    ("DEMO-INSTALL", "星河安装服务（华东）", Partner.Kind.INSTALLER, "JS-NJ", "CNY", "6228480402564890"),
]
# Where each partner's buyers live (region codes): a dealer sells across its territory, so the revenue by region
# names cities, not "no region". Taken in turn, so the orders' amounts and days stay those of the seed's random draws.
TERRITORIES = {"DEMO-EAST": ("JS-NJ", "JS-SZ", "SH-SH", "ZJ-HZ"), "DEMO-SOUTH": ("GD-GZ", "GD-SZ"),
               "DEMO-NORTH": ("BJ-BJ",), "DEMO-HK": ("HK",), "DEMO-US": ("NA",)}
CATALOGUE = [  # code, name, kind, prices for tiers 1..4 (price, material cost, technician payout)
    ("ac-install", "空调安装", ServiceItem.Kind.INSTALLATION,
     [("260", "40", "120"), ("220", "35", "100"), ("180", "30", "85"), ("150", "30", "70")]),
    ("wh-install", "热水器安装", ServiceItem.Kind.INSTALLATION,
     [("200", "30", "90"), ("170", "30", "80"), ("140", "25", "65"), ("120", "25", "55")]),
    ("ac-repair", "空调维修", ServiceItem.Kind.REPAIR,
     [("180", "60", "80"), ("150", "50", "70"), ("120", "45", "55"), ("100", "40", "45")]),
    ("ac-clean", "空调清洗保养", ServiceItem.Kind.MAINTENANCE,
     [("120", "15", "55"), ("100", "12", "45"), ("80", "10", "35"), ("70", "10", "30")]),
]
CITY_TIERS = {"SH-SH": 1, "BJ-BJ": 1, "GD-GZ": 1, "GD-SZ": 1, "JS-NJ": 2, "ZJ-HZ": 2, "JS-SZ": 2}


def _months(today, count=3):
    """The first days of the `count` months before today's, oldest first."""
    first = today.replace(day=1)
    months = []
    for _i in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    return list(reversed(months))


def _month_end(first):
    return ((first + timedelta(days=32)).replace(day=1)) - timedelta(days=1)


def _at(day, rng):
    return datetime.combine(day, time(rng.randint(8, 21), rng.randint(0, 59)), tzinfo=SHANGHAI)


def seed_partners(*, organization):
    if Partner.objects.filter(code="DEMO-EAST").exists():
        return
    rng = random.Random(14)
    today = timezone.localdate()
    months = _months(today)
    regions = {r.code: r for r in Region.objects.all()}
    for code, name in (("HK", "香港"), ("NA", "北美")):
        if code not in regions:
            regions[code] = core.region_create(organization=organization, name=name, code=code,
                                               level=Region.Level.AREA, parent=None)
    start = months[0] - timedelta(days=1)
    rule_create(organization=organization, name="内地月结（阶梯返利）", valid_from=start, currency="CNY",
                cycle="monthly", commission_rate=Decimal("0.05"), rebate_tiers=TIERS, tax_rate=Decimal("0.06"),
                prices_include_tax=True, minimum_payout=Decimal("100"))
    rule_create(organization=organization, region=regions["HK"], name="香港月结（港币）", valid_from=start,
                currency="HKD", cycle="monthly", commission_rate=Decimal("0.06"), rebate_tiers=TIERS,
                tax_rate=Decimal("0"), minimum_payout=Decimal("500"))
    rule_create(organization=organization, region=regions["NA"], name="North America monthly (USD)",
                valid_from=start, currency="USD", cycle="monthly", commission_rate=Decimal("0.08"),
                rebate_tiers=[{"from": "0", "to": "10000", "rate": "0"}, {"from": "10000", "to": None,
                                                                         "rate": "0.015"}],
                tier_mode="whole", tax_rate=Decimal("0.0725"), prices_include_tax=False,
                conversion_date="period_end", rounding="0.01")
    day = months[0]
    while day <= today:
        exchange_rate_set(organization=organization, day=day, base="CNY", quote="USD",
                          rate=Decimal("0.1380") + Decimal(rng.randint(-20, 20)) / 10000, source="演示汇率")
        exchange_rate_set(organization=organization, day=day, base="CNY", quote="HKD",
                          rate=Decimal("1.0850") + Decimal(rng.randint(-30, 30)) / 10000, source="演示汇率")
        day += timedelta(days=1)
    # A mapped channel reads its files through a column mapping: without one, its settings page refused every save.
    # It settles the stores' three currencies, each line saying its own.
    mapping = copy.deepcopy(UNIONPAY_MAPPING)
    mapping["columns"]["currency"] = CURRENCY_COLUMN
    channel, _created = PaymentChannel.objects.get_or_create(
        organization=organization, code="demo-partner-pay",
        defaults={"name": "星河收款（演示）", "layout": "mapped", "mapping": mapping})
    partners, paid = {}, []
    for code, name, kind, region_code, currency, account in PARTNERS:
        store = None
        if kind != Partner.Kind.INSTALLER:
            store = Store.objects.create(organization=organization, channel=Channel.SHOP, ref=code.lower(),
                                         name=f"{name}（店）")
        partners[code] = partner_save(
            organization=organization, code=code, name=name, kind=kind, region=regions[region_code],
            stores=[store] if store else [], bank_account=account, bank_account_name=name, bank_name="招商银行",
            contact_name="张经理", contact_mobile="13800000000")
        if store is not None:
            territory = [regions[region] for region in TERRITORIES[code]]
            paid += _orders(organization, rng, store, currency, months, today, territory)
    _bill(organization, channel, paid)
    _services(organization, rng, regions, partners["DEMO-INSTALL"], months)
    _statements(partners, months)


def _orders(organization, rng, store, currency, months, today, territory):
    """The store's orders of the months, shipped across the partner's territory, some refunded; returns the paid
    ones the channel's bill reports."""
    paid, places = [], itertools.cycle(territory)
    for first in months:
        for n in range(rng.randint(25, 40)):
            day = first + timedelta(days=rng.randint(0, _month_end(first).day - 1))
            if day >= today:
                continue
            paid_at = _at(day, rng)
            amount = Decimal(rng.choice(["2999.00", "2399.00", "3899.00", "1299.00", "199.00"]))
            order_currency = rng.choice(currency) if isinstance(currency, tuple) else currency
            order = Order.objects.create(
                organization=organization, store=store, channel=store.channel,
                external_number=f"{store.ref.upper()}-{first:%Y%m}-{n:03d}", currency=order_currency,
                region=next(places),
                goods_amount=amount, paid_amount=amount, status=Order.Status.COMPLETED, placed_at=paid_at,
                paid_at=paid_at, completed_at=paid_at + timedelta(days=3), details_version=1)
            if rng.random() < 0.92:  # the rest are not reconciled yet
                paid.append(order)
            if rng.random() < 0.08:
                Refund.objects.create(organization=organization, store=store, order=order,
                                      order_number=order.external_number, external_number=f"R{order.pk}",
                                      currency=order_currency, amount=amount, status=Refund.Status.REFUNDED,
                                      reason="七天无理由", refunded_at=paid_at + timedelta(days=2))
    return paid


def _bill(organization, channel, orders):
    """The channel's bill of `orders`, imported as finance would: a real file through the channel's mapping (its
    lines, size and days are the file's), then each line's result as a reconciliation run leaves it (matched to its
    order by the order number)."""
    entries = [Entry(order.external_number, f"T{order.pk}", order.paid_amount, order.paid_at,
                     currency=order.currency) for order in sorted(orders, key=lambda o: (o.paid_at, o.pk))]
    content = unionpay_csv(entries, rate=FEE_RATE, currency_column=CURRENCY_COLUMN)
    since = timezone.now()
    bill = statement_import(organization=organization, channel=channel, file=io.BytesIO(content),
                            file_name="demo-partner-bill.csv", user=User.objects.filter(username="finance").first())
    bill = statement_import_run(import_id=bill.pk)
    if bill.period_end is not None:  # taken in the morning after its last day, as finance takes every bill in
        date_finance_work(since=since, at=finance_morning(bill.period_end + timedelta(days=1)))
    if bill.status != StatementImport.Status.IMPORTED:  # a demo showing its own file refused: fail the seed instead
        raise RuntimeError(f"the demo partner bill was refused: {bill.errors}")
    by_number = {order.external_number: order for order in orders}
    StatementLineMatch.objects.bulk_create(
        StatementLineMatch(line=line, organization=organization, match_class=MatchClass.MATCHED,
                           order=by_number[line.order_number], matched_by="order_number")
        for line in StatementLine.objects.filter(statement=bill))


def _services(organization, rng, regions, installer, months):
    for code, tier in CITY_TIERS.items():
        RegionCityTier.objects.get_or_create(organization=organization, region=regions[code],
                                             defaults={"tier": tier})
    items = []
    for code, name, kind, prices in CATALOGUE:
        item = ServiceItem.objects.create(organization=organization, code=code, name=name, kind=kind)
        items.append(item)
        for tier, (price, material, payout) in enumerate(prices, start=1):
            service_price_set(organization=organization, item=item, tier=tier, price=price, material_cost=material,
                              technician_payout=payout)
    cities = [regions[c] for c in ("JS-NJ", "JS-SZ", "SH-SH", "ZJ-HZ")]
    technicians = ["王师傅", "李师傅", "陈师傅", "赵师傅"]
    today = timezone.localdate()
    for first in months:
        for n in range(rng.randint(12, 20)):
            day = min(first + timedelta(days=rng.randint(0, 27)), today - timedelta(days=1))
            item = rng.choice(items)
            job = ServiceJob.objects.create(organization=organization, number=f"SJ{first:%Y%m}{n:03d}",
                                            kind=item.kind if item.kind != "material" else "installation")
            job = service_job_complete(job=job, partner=installer, items=[(item, rng.choice([1, 1, 2]))],
                                       technician=rng.choice(technicians), region=rng.choice(cities),
                                       completed_at=_at(day, rng))
            if rng.random() < 0.9:
                service_job_confirm(job=job, confirmed_at=job.completed_at + timedelta(hours=4))


def _statements(partners, months):
    finance = User.objects.filter(username="finance").first()
    # Two people see every payout: finance reviews, finance2 approves (the reviewer may not approve).
    approver = User.objects.filter(username="finance2").first()
    for index, first in enumerate(months):
        for n, partner in enumerate(partners.values()):
            statement, _done = statement_generate(partner=partner, period_start=first, period_end=_month_end(first),
                                                  actor=finance)
            if finance is None:
                continue
            # The oldest month is paid, the middle one approved (one still in review), the last one in draft
            # (one reviewed): every status on the list.
            if index == 2 and n != 0:
                continue
            statement_review(statement=statement, actor=finance)
            if index == 2 or (index == 1 and n == 1) or approver is None:
                continue
            statement_approve(statement=statement, actor=approver)
            if index == 0 and not statement.below_minimum:
                statement_mark_paid(statement=statement, actor=finance, reference=f"CMB{first:%Y%m}{n:03d}")

