"""A week of payment channel statements for the demo organization, consistent with its orders ledger (demo/shops.py):
the Youzan store's orders were paid through WeChat Pay, the own mall's through Alipay. For each of the last seven
China days, one WeChat Pay trade bill (CSV) and one Alipay bill (ZIP) are written as the channels deliver them
(demo/statement_files.py) and imported through the product's service and job, as `import_statement` does.

A realistic handful of discrepancies is seeded, one of each class, so the reconciliation has something to find
(docs/reconciliation.md lists them with the rule that picks each order; `seed_statements` returns them):

- amount_mismatch: WeChat Pay reports the first WeChat order of day 2 at 20.00 less than the ledger;
- fee_mismatch: WeChat Pay charges 1% instead of 0.6% on the first WeChat order of day 3;
- missing_in_ledger: day 4's WeChat Pay bill holds a payment (`E-UNKNOWN-<yyyymmdd>`, 88.00) no store reported;
- missing_in_channel: the last WeChat order of day 5 is left out of every bill;
- duplicate: the first WeChat order of day 6 (day 7 when day 6 has none) appears twice in its bill (same
  transaction id);
- refund_mismatch: the first refunded WeChat order's refund is reported 50.00 short;
- timing: an order the ledger says was paid at 23:59:40 on day 1 (`E<yyyymmdd>-MIDNIGHT`, added through the
  ledger's service) is dated 00:00:20 the next day by WeChat Pay: it is in day 2's bill, expected to clear;
- Alipay: the second Alipay order of day 2 is reported 0.10 more (an amount mismatch above a zero tolerance), and
  the last Alipay order of day 4 is missing from its bill.

Idempotent: nothing is done when the organization already has imports of these channels.

Each day is reconciled right after its statements are imported, as finance does each morning: each demo store is
told where its buyers pay (`Store.payment_channel`: the channel whose statements name its orders, the Youzan store
WeChat Pay, the mall Alipay), then the day is run. The reports and the workbench open on a run per channel and day
and on the discrepancies above (the timing one found on day 1 and cleared by day 2's run). `seed_reconciliation`
(the next seeder) runs any statement day still without a run (a database seeded before); a day that has its run
is left alone (seed_demo runs on every `make run`).
"""

import io
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import models
from django.utils import timezone

from demo.statement_files import Entry, alipay_bill, wechatpay_bill
from scrm.models import User
from settlement.models import (
    Discrepancy,
    DiscrepancyAction,
    Order,
    PaymentChannel,
    Refund,
    StatementImport,
    StatementLine,
    Store,
)
from settlement.reconciliation.services import reconciliation_run
from settlement.reconciliation_models import ReconciliationRun
from settlement.services import order_upsert, store_payment_channel_set
from settlement.snapshots import OrderSnapshot
from settlement.statements.services import payment_channels_ensure, statement_import, statement_import_run

CHINA = ZoneInfo("Asia/Shanghai")
DAYS = 7
WECHAT_RATE, ALIPAY_RATE = Decimal("0.006"), Decimal("0.006")


def _days():
    today = timezone.localtime(timezone.now(), CHINA).date()
    return [today - timedelta(days=n) for n in range(DAYS, 0, -1)]


def _txn(prefix, order):
    return f"{prefix}{order.pk:016d}"[:32]


def seed_statements(*, organization):
    payment_channels_ensure(organization=organization)
    channels = {c.code: c for c in PaymentChannel.objects.filter(code__in=["wechatpay", "alipay"])}
    if StatementImport.objects.filter(channel__in=channels.values()).exists():
        return []
    days = _days()
    seeded = []
    midnight = _midnight_order(organization, days[0], seeded)
    paid = [o for o in Order.objects.select_related("store").filter(paid_at__isnull=False).order_by("paid_at", "pk")
            if o.status not in ("pending", "cancelled")]
    by_day = {"wechatpay": {d: [] for d in days}, "alipay": {d: [] for d in days}}
    for order in paid:
        day = timezone.localtime(order.paid_at, CHINA).date()
        code = "wechatpay" if order.store.channel == "youzan" else "alipay"
        if day in by_day[code] and order != midnight:
            by_day[code][day].append(order)
    refunds = list(Refund.objects.select_related("order", "store").filter(
        status="refunded", refunded_at__isnull=False, order__isnull=False).order_by("refunded_at", "pk"))

    bills = {"wechatpay": {d: [] for d in days}, "alipay": {d: [] for d in days}}
    for code, prefix in (("wechatpay", "42000"), ("alipay", "2026")):
        for day, orders in by_day[code].items():
            for order in orders:
                bills[code][day].append(Entry(order.external_number, _txn(prefix, order), order.paid_amount,
                                              order.paid_at, product=str(order.store.name)[:20]))
    wechat = bills["wechatpay"]
    # The timing case: paid 23:59:40 in the ledger, 00:00:20 the next day at WeChat Pay.
    wechat[days[1]].insert(0, Entry(midnight.external_number, _txn("42000", midnight), midnight.paid_amount,
                                    datetime.combine(days[1], time(0, 0, 20), tzinfo=CHINA)))
    seeded.append({"class": "timing", "channel": "wechatpay", "order": midnight.external_number,
                   "day": days[1].isoformat()})
    _seed_wechat(wechat, days, seeded)
    _seed_alipay(bills["alipay"], days, seeded)
    for refund in refunds:
        day = timezone.localtime(refund.refunded_at, CHINA).date()
        code = "wechatpay" if refund.store.channel == "youzan" else "alipay"
        if day not in bills[code]:
            continue
        amount = refund.amount
        if code == "wechatpay" and not any(s["class"] == "refund_mismatch" for s in seeded):
            amount -= Decimal("50.00")
            seeded.append({"class": "refund_mismatch", "channel": code, "order": refund.order_number,
                           "refund": refund.external_number, "day": day.isoformat()})
        bills[code][day].append(Entry(refund.order_number, _txn("42000" if code == "wechatpay" else "2026",
                                                                  refund.order), amount, refund.refunded_at,
                                      kind="refund", refund_number=refund.external_number,
                                      refund_id=f"503{refund.pk:020d}"))
    finance = User.objects.filter(organization=organization, username="finance").first()
    for day in days:
        since = timezone.now()
        for code, channel in channels.items():
            entries = sorted(bills[code][day], key=lambda e: e.at)
            if not entries:
                continue
            if code == "wechatpay":
                content, name = wechatpay_bill(entries), f"wechatpay-{day:%Y%m%d}.csv"
            else:
                content, name = alipay_bill(entries, day=day), f"20881234567890120156{day:%Y%m%d}.zip"
            row = statement_import(organization=organization, channel=channel, file=io.BytesIO(content),
                                   file_name=name, user=finance)
            statement_import_run(import_id=row.pk)
        # Finance's morning: the day's statements in, then the day reconciled (a timing difference shows on its
        # day and clears in the next day's run).
        _stores_pay(channels.values())
        for channel in channels.values():
            reconciliation_run(channel=channel, period_start=day, by=finance)
        date_finance_work(since=since, at=finance_morning(day + timedelta(days=1)))
    return seeded


def finance_morning(day):
    """When finance took in a statement of the day before `day`: that morning at 09:20, or a few minutes ago when
    the morning has not come yet (yesterday's bills on a demo seeded before nine)."""
    return min(datetime.combine(day, time(9, 20), tzinfo=CHINA), timezone.now() - timedelta(minutes=3))


def date_finance_work(*, since, at):
    """Date at `at` the imports, runs and discrepancies the seed wrote since `since` (a statement day's morning
    done in a second), keeping their order and durations: the lists read "uploaded 09:20" on each morning, not
    every statement at the minute of seeding."""
    shift = at - since
    for model, fields in ((StatementImport, ("created_at", "finished_at")),
                          (ReconciliationRun, ("created_at", "started_at", "finished_at")),
                          (Discrepancy, ("first_seen_at", "last_seen_at", "resolved_at")),
                          (DiscrepancyAction, ("at",))):
        for field in fields:
            model.objects.filter(**{f"{field}__gte": since}).update(**{field: models.F(field) + shift})


def _stores_pay(channels):
    """Each store whose orders a channel's statements name pays through that channel, unless finance said where
    (WeChat Pay first: a store named by both keeps the first)."""
    for channel in sorted(channels, key=lambda c: c.code != "wechatpay"):
        named = StatementLine.objects.filter(channel=channel, kind=StatementLine.Kind.PAYMENT).values("order_number")
        for store in Store.objects.filter(payment_channel__isnull=True,
                                          orders__external_number__in=named).distinct():
            store_payment_channel_set(store=store, channel=channel)


def _midnight_order(organization, day, seeded):
    store = Store.objects.filter(channel="youzan").order_by("pk").first()
    if store is None:
        store = Store.objects.create(organization=organization, channel="youzan", ref="xinghe-youzan-demo",
                                     name="星河家电有赞店")
    paid_at = datetime.combine(day, time(23, 59, 40), tzinfo=CHINA)
    number = f"E{day:%Y%m%d}-MIDNIGHT"
    snapshot = OrderSnapshot(number=number, status="paid", version=1, goods_amount=Decimal("1299.00"),
                             paid_amount=Decimal("1299.00"), placed_at=paid_at - timedelta(minutes=3),
                             paid_at=paid_at, updated_at=paid_at, raw={"demo": "timing"})
    order, _applied = order_upsert(organization=organization, store=store, snapshot=snapshot, source="demo")
    return order


def _first(bills, day, index=0):
    entries = [e for e in bills[day] if e.kind == "payment" and not e.order_number.endswith("-MIDNIGHT")]
    return entries[index] if len(entries) > index else None


def _seed_wechat(bills, days, seeded):
    entry = _first(bills, days[1])
    if entry is not None:
        entry.amount -= Decimal("20.00")
        seeded.append({"class": "amount_mismatch", "channel": "wechatpay", "order": entry.order_number,
                       "day": days[1].isoformat()})
    entry = _first(bills, days[2])
    if entry is not None:
        entry.fee = (entry.amount * Decimal("0.01")).quantize(Decimal("0.00001"))
        seeded.append({"class": "fee_mismatch", "channel": "wechatpay", "order": entry.order_number,
                       "day": days[2].isoformat()})
    unknown = f"E-UNKNOWN-{days[3]:%Y%m%d}"
    bills[days[3]].append(Entry(unknown, f"4200099{days[3]:%Y%m%d}0001", Decimal("88.00"),
                                datetime.combine(days[3], time(15, 30), tzinfo=CHINA)))
    seeded.append({"class": "missing_in_ledger", "channel": "wechatpay", "order": unknown,
                   "day": days[3].isoformat()})
    payments = [e for e in bills[days[4]] if e.kind == "payment"]
    if payments:
        bills[days[4]].remove(payments[-1])
        seeded.append({"class": "missing_in_channel", "channel": "wechatpay", "order": payments[-1].order_number,
                       "day": days[4].isoformat()})
    # Day 6, or day 7 when the demo ledger has no WeChat order on day 6 (no other class uses day 7).
    day = next((d for d in days[5:7] if _first(bills, d) is not None), None)
    if day is not None:
        entry = _first(bills, day)
        bills[day].append(Entry(entry.order_number, entry.transaction_id, entry.amount,
                                entry.at + timedelta(seconds=1)))
        seeded.append({"class": "duplicate", "channel": "wechatpay", "order": entry.order_number,
                       "day": day.isoformat()})


def _seed_alipay(bills, days, seeded):
    entry = _first(bills, days[1], 1)
    if entry is not None:
        entry.amount += Decimal("0.10")
        seeded.append({"class": "amount_mismatch", "channel": "alipay", "order": entry.order_number,
                       "day": days[1].isoformat()})
    payments = [e for e in bills[days[3]] if e.kind == "payment"]
    if payments:
        bills[days[3]].remove(payments[-1])
        seeded.append({"class": "missing_in_channel", "channel": "alipay", "order": payments[-1].order_number,
                       "day": days[3].isoformat()})


def seed_reconciliation(*, organization):
    """Give the demo stores their payment channels and reconcile each statement day that has no run yet, oldest
    first. `seed_statements` reconciles each day right after importing it; this completes a demo database whose
    statements were imported before (its timing difference is then already matched: no timing shows). Returns the
    runs made."""
    payment_channels_ensure(organization=organization)
    channels = list(PaymentChannel.objects.filter(code__in=["wechatpay", "alipay"]).order_by("-code"))
    _stores_pay(channels)
    runs = []
    for channel in channels:
        periods = list(StatementImport.objects.filter(channel=channel, status=StatementImport.Status.IMPORTED,
                                                      period_start__isnull=False)
                       .values_list("period_start", "period_end"))
        if not periods:
            continue
        first, last = min(p[0] for p in periods), max(p[1] for p in periods)
        done = set(ReconciliationRun.objects.filter(channel=channel, period_start=models.F("period_end"))
                   .values_list("period_start", flat=True))
        day = first
        while day <= last:
            if day not in done:
                runs.append(reconciliation_run(channel=channel, period_start=day))
            day += timedelta(days=1)
    return runs
