"""Demo online stores of the demo organization: a Youzan store (星河家电有赞店) and the organization's own mall on the
signed feed (星河家电官方商城), each with a few hundred orders delivered as the stores deliver them (several events
per order, some refunds) and processed the way the workers process real ones: the orders ledger, its customers and
the after-sales tickets the refunds opened. The mall also reports a return, an exchange and a bad review (a 1-star
review: a complaint), each opening its routed after-sales ticket. Every such ticket opens when its request was made,
the older ones already handled by the after-sales team.

Idempotent: the accounts by their slugs, and their events only when a store has none; the mall's after-sales
events by their event ids (a re-run, or a demo seeded before they existed, delivers only the missing ones). The
secrets are public demo values: these stores are not connected to anything.
"""

import json
import random
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone

from channels_ingest import shops
from channels_ingest.models import ChannelAccount, InboundEvent
from channels_ingest.services import channel_account_create, event_process
from demo.sla import sla_from_opening
from demo.tickets import RESOLUTIONS, backdate_tickets, rename_numbers, renumber_by_day
from scrm.models import Customer, User
from settlement.models import AfterSale, Order, Refund
from tickets.models import Ticket
from tickets.services import ticket_assign, ticket_change_status, ticket_reply

YOUZAN_SLUG, MALL_SLUG = "xinghe-demo-youzan", "xinghe-demo-mall"
DEMO_SECRET = "xinghe-demo-store-secret"  # noqa: S105 - a public demo value
PRODUCTS = [("KT-35", "星河 1.5 匹变频空调", Decimal("2999.00")),
            ("XYJ-10", "星河 10 公斤滚筒洗衣机", Decimal("2399.00")),
            ("BX-50", "星河 500 升对开门冰箱", Decimal("3899.00")),
            ("RSQ-60", "星河 60 升电热水器", Decimal("1299.00")),
            ("LV-1", "星河滤芯（一年装）", Decimal("199.00"))]
CITIES = [("江苏省", "南京市"), ("江苏省", "苏州市"), ("浙江省", "杭州市"), ("上海市", "上海市辖区"),
          ("广东省", "广州市")]
# What shops send as a buyer's name: the nickname the buyer chose (a buyer is numbered 1 to 60 in a store).
BUYER_NICKNAMES = ["小鱼儿", "jenny_88", "快乐的胖子", "木木夕", "阿杰", "橙子味的猫", "蓝天白云", "Tony", "豆豆妈",
                   "一只小熊", "凉白开", "老陈家", "Sunny", "星星点灯", "大白兔", "晚风", "tb_9527", "米粒"]
REASONS = ["尺寸不合适", "安装后发现有划痕", "不想要了", "与描述不符"]
# A refund's ticket is opened when the refund was requested; the after-sales team has handled (answered and
# resolved) those older than HANDLED_AFTER, and closed those older than CLOSED_AFTER: the latest wait in the pool.
HANDLED_AFTER, CLOSED_AFTER = timedelta(days=3), timedelta(days=7)
REFUND_AGENTS = ["agent2", "agent"]  # the after-sales agents, the one with the refund skill first
REFUND_REPLY = "您好，我是售后客服{agent}，已收到您的退款申请（订单 {order}），正在为您审核，请稍等。"
# The after-sales team's first answer and resolution, by what the buyer asked for.
SHOP_REPLIES = {
    "refund": (REFUND_REPLY, RESOLUTIONS["return"]),
    "return": ("您好，我是售后客服{agent}，已收到您的退货申请（订单 {order}），快递员会上门取件，请保留好包装。",
               RESOLUTIONS["return"]),
    "exchange": ("您好，我是售后客服{agent}，已收到您的换货申请（订单 {order}），正在为您安排新机。",
                 "新机已发出，旧机由师傅上门安装时一并取回，请注意查收。"),
    "complaint": ("您好，我是售后客服{agent}，看到您对订单 {order} 的评价，非常抱歉给您带来不便，马上为您处理。",
                  RESOLUTIONS["complaint"]),
}
# Stages an order goes through, each one event; an order stops at a random stage, a few are cancelled.
STAGES = ["pending", "paid", "shipped", "completed"]
_YOUZAN_STATUS = {"pending": ("WAIT_BUYER_PAY", "trade_TradeCreate"), "paid": ("WAIT_SELLER_SEND_GOODS",
                                                                                 "trade_TradePaid"),
                  "shipped": ("WAIT_BUYER_CONFIRM_GOODS", "trade_TradeSellerShip"),
                  "completed": ("TRADE_SUCCESS", "trade_TradeSuccess"),
                  "cancelled": ("TRADE_CLOSED_BY_USER", "trade_TradeClose")}


def seed_shops(*, organization, orders_per_store=100):
    rng = random.Random(2026)
    now = timezone.now().replace(microsecond=0)
    for slug, kind, name, app_id in ((YOUZAN_SLUG, ChannelAccount.Kind.YOUZAN, "星河家电有赞店", "xinghe-youzan-demo"),
                                     (MALL_SLUG, ChannelAccount.Kind.GENERIC, "星河家电官方商城", "xinghe-mall")):
        account = _account(organization, slug, kind, name, app_id)
        if account is None:
            continue
        if not InboundEvent.objects.filter(account=account).exists():
            for n in range(orders_per_store):
                for event in _order_events(rng, kind, slug, n, now - timedelta(days=rng.randint(0, 60))):
                    _deliver(account, event)
            _backdate_buyers(account)
        if kind == ChannelAccount.Kind.GENERIC:
            _seed_aftersales(account)
    _shop_tickets_worked(organization, now)


def _account(organization, slug, kind, name, app_id):
    account = ChannelAccount.objects.filter(slug=slug).first()
    if account is None:
        try:
            with transaction.atomic():
                account = channel_account_create(organization=organization, kind=kind, slug=slug, name=name,
                                                 app_id=app_id, secret=DEMO_SECRET)
        except IntegrityError:
            return None
    return account if account.organization_id == organization.pk else None


def _deliver(account, body):
    """Store the callback body through the adapter, as the hook does, and process its events at once (an event the
    account already has is skipped, as the hook acknowledges a retry)."""
    for item in shops.adapter_for(account.kind).split(account, {}, body):
        if InboundEvent.objects.filter(account=account, dedupe_key=item.dedupe_key).exists():
            continue
        event = InboundEvent.objects.create(
            organization_id=account.organization_id, account=account, kind=item.kind, dedupe_key=item.dedupe_key,
            from_user=item.from_user, raw=item.raw, fields=item.fields)
        event_process(event_id=event.pk)


def _order_events(rng, kind, slug, n, placed):
    product = rng.choice(PRODUCTS)
    quantity = rng.choice([1, 1, 1, 2])
    goods = product[2] * quantity
    discount = rng.choice([Decimal("0.00"), Decimal("50.00"), Decimal("100.00")])
    province, city = rng.choice(CITIES)
    buyer = f"{slug}-buyer-{rng.randint(1, 60):03d}"
    last = rng.choices(range(len(STAGES)), weights=[1, 3, 3, 8])[0]
    stages = STAGES[:last + 1] + (["cancelled"] if last == 0 and rng.random() < 0.5 else [])
    number = f"{'E' if kind == ChannelAccount.Kind.YOUZAN else 'XH'}{placed:%Y%m%d}{n:05d}"
    order = {"number": number, "goods": goods, "discount": discount, "paid": goods - discount, "buyer": buyer,
             "province": province, "city": city, "product": product, "quantity": quantity, "placed": placed}
    events = []
    for step, stage in enumerate(stages):
        at = placed + timedelta(hours=step * 20, minutes=rng.randint(0, 59))
        events.append(_youzan_trade(order, stage, at) if kind == ChannelAccount.Kind.YOUZAN
                      else _mall_order(order, stage, at))
    if last >= 2 and rng.random() < 0.12:
        at = placed + timedelta(days=3)
        refund = {"number": f"RF{number}", "order": number, "amount": order["paid"], "reason": rng.choice(REASONS)}
        for step, status in enumerate(["requested", "refunded"] if rng.random() < 0.6 else ["requested"]):
            events.append(_youzan_refund(refund, status, at + timedelta(hours=step * 30))
                          if kind == ChannelAccount.Kind.YOUZAN
                          else _mall_refund(refund, status, at + timedelta(hours=step * 30)))
    return events


# The mall's after-sales cases: (event id, type, key, the case without its order number and times).
AFTERSALES = [
    ("evt-demo-as-return", "aftersale.updated", "aftersale",
     {"number": "AS-DEMO-RETURN", "kind": "return", "status": "requested", "reason": "安装后发现有划痕",
      "detail": "外壳右侧有一道明显划痕，申请退货退款。"}),
    ("evt-demo-as-exchange", "aftersale.updated", "aftersale",
     {"number": "AS-DEMO-EXCHANGE", "kind": "exchange", "status": "approved", "reason": "尺寸不合适",
      "detail": "想换成 500 升的型号。"}),
    ("evt-demo-review-bad", "review.created", "review",
     {"number": "RV-DEMO-BAD", "rating": 1, "reason": "质量问题",
      "content": "用了三天就不制冷了，客服也不回复，差评！"}),
]


def _seed_aftersales(account):
    """A return, an exchange and a bad review about three of the mall's completed orders (the oldest, so the same
    orders on every run), each through the signed feed's event like the others."""
    orders = list(Order.objects.filter(store__channel=account.channel, store__ref=account.app_id,
                                       status=Order.Status.COMPLETED)
                  .order_by("placed_at", "pk").values_list("external_number", "completed_at")[:len(AFTERSALES)])
    for (event_id, kind, key, case), (number, completed_at) in zip(AFTERSALES, orders, strict=False):
        at = (completed_at or timezone.now()) + timedelta(days=2)
        times = ({"created_at": at.isoformat()} if key == "review"
                 else {"requested_at": at.isoformat(), "updated_at": at.isoformat()})
        _deliver(account, _body({"id": event_id, "type": kind, key: {**case, "order_number": number, **times}}))


def _shop_tickets_worked(organization, now):
    """The tickets the stores' refunds and the mall's after-sales cases opened were opened at the minute of
    seeding, for requests weeks back: each opens when its request was made (a refund's or a case's `requested_at`;
    a review's time), the older ones worked by the after-sales team through the ticket services (assigned,
    answered, resolved, then closed), their work spread after that opening, their numbers and SLA following it.
    Only the tickets this run opened (a re-run finds them already moved back); a return sharing its refund's
    ticket moves it once."""
    requests = [*(Refund.objects.filter(ticket__isnull=False, requested_at__isnull=False,
                                        ticket__source_ref__startswith="refund:").select_related("ticket")),
                *(AfterSale.objects.filter(ticket__isnull=False, requested_at__isnull=False)
                  .select_related("ticket"))]
    requests.sort(key=lambda request: (request.requested_at, isinstance(request, AfterSale), request.pk))
    users = {u.username: u for u in User.objects.filter(username__in=["supervisor", *REFUND_AGENTS])}
    rng = random.Random(20261016)
    plans = {}
    for request in requests:
        opened = min(request.requested_at, now - timedelta(minutes=1))
        if request.ticket_id in plans or request.ticket.created_at <= opened + timedelta(minutes=1):
            continue
        plans[request.ticket_id] = (opened, _shop_ticket_work(request, now - opened, users, rng))
    if not plans:
        return
    tickets = backdate_tickets(plans, now=now, timing=rng)
    # The days the moved tickets leave (today) and reach are renumbered whole, the others' numbers unchanged.
    rename_numbers(organization, renumber_by_day(organization, list(Ticket.objects.filter(organization=organization))))
    for ticket in tickets:
        sla_from_opening(ticket)


def _shop_ticket_work(request, age, users, rng):
    """What the after-sales team did with an old request's ticket (a refund or an after-sales case), through the
    services; the status it ends in."""
    ticket = request.ticket
    agents = [users[name] for name in REFUND_AGENTS if name in users]
    if age < HANDLED_AFTER or not agents or "supervisor" not in users:
        return ticket.status
    supervisor = users["supervisor"]
    if ticket.assignee_id not in {agent.pk for agent in agents}:
        ticket = ticket_assign(ticket=ticket, assignee=rng.choice(agents), actor=supervisor)
    agent = ticket.assignee
    what = request.kind if isinstance(request, AfterSale) else "refund"
    first, resolution = SHOP_REPLIES[what]
    ticket_reply(ticket=ticket, author=agent, body=first.format(agent=agent.display_name, order=request.order_number))
    ticket_reply(ticket=ticket, author=agent, body=resolution)
    ticket_change_status(ticket=ticket, status=Ticket.Status.RESOLVED, actor=agent)
    if age < CLOSED_AFTER:
        return Ticket.Status.RESOLVED
    ticket_change_status(ticket=ticket, status=Ticket.Status.CLOSED, actor=supervisor)
    return Ticket.Status.CLOSED


def _nickname(buyer):
    number = int(buyer[-3:])
    nickname = BUYER_NICKNAMES[number % len(BUYER_NICKNAMES)]
    return nickname if number < len(BUYER_NICKNAMES) else f"{nickname}{number}"


def _backdate_buyers(account):
    """The buyers the store's orders brought were created by this seed, now: each is moved back to their first
    order, when they came (and first contacted us), and their last contact to their latest order's news."""
    spans = (Order.objects.filter(store__channel=account.channel, store__ref=account.app_id, customer__isnull=False)
             .values("customer").annotate(first=Min("placed_at"), last=Max("source_updated_at"))
             .values_list("customer", "first", "last"))
    for customer_id, first, last in spans:
        Customer.objects.filter(pk=customer_id, created_at__gt=first).update(created_at=first)
        Customer.objects.filter(pk=customer_id, first_contact_at__gt=first).update(first_contact_at=first)
        if last is not None:
            Customer.objects.filter(pk=customer_id, last_contact_at__gt=last).update(last_contact_at=last)


def _body(payload):
    return json.dumps(payload, ensure_ascii=False, default=str).encode()


def _mall_order(order, stage, at):
    sku, name, price = order["product"]
    return _body({"id": f"evt-{order['number']}-{stage}", "type": "order.updated", "order": {
        "number": order["number"], "status": stage, "updated_at": at.isoformat(), "currency": "CNY",
        "goods_amount": order["goods"], "discount_amount": order["discount"], "shipping_amount": "0.00",
        "paid_amount": order["paid"], "placed_at": order["placed"].isoformat(),
        "paid_at": at.isoformat() if stage == "paid" else None,
        "shipped_at": at.isoformat() if stage == "shipped" else None,
        "completed_at": at.isoformat() if stage == "completed" else None,
        "cancelled_at": at.isoformat() if stage == "cancelled" else None,
        "buyer": {"id": order["buyer"], "name": _nickname(order["buyer"])},
        "shipping_address": {"province": order["province"], "city": order["city"]},
        "lines": [{"sku": sku, "name": name, "quantity": str(order["quantity"]), "unit_price": price,
                   "amount": price * order["quantity"]}]}})


def _mall_refund(refund, status, at):
    return _body({"id": f"evt-{refund['number']}-{status}", "type": "refund.updated", "refund": {
        "number": refund["number"], "order_number": refund["order"], "status": status, "updated_at": at.isoformat(),
        "amount": refund["amount"], "reason": refund["reason"], "requested_at": at.isoformat()}})


def _local(at):
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def _youzan_trade(order, stage, at):
    status, kind = _YOUZAN_STATUS[stage]
    sku, name, price = order["product"]
    msg = {"full_order_info": {
        "order_info": {"tid": order["number"], "status": status, "created": _local(order["placed"]),
                       "update_time": _local(at), "pay_time": _local(at) if stage == "paid" else "",
                       "consign_time": _local(at) if stage == "shipped" else "",
                       "success_time": _local(at) if stage == "completed" else "",
                       "close_time": _local(at) if stage == "cancelled" else ""},
        "pay_info": {"total_fee": str(order["goods"]), "post_fee": "0.00", "payment": str(order["paid"])},
        "buyer_info": {"yz_open_id": order["buyer"], "fans_nickname": _nickname(order["buyer"])},
        "address_info": {"delivery_province": order["province"], "delivery_city": order["city"]},
        "orders": [{"outer_sku_id": sku, "title": name, "num": order["quantity"], "price": str(price),
                    "payment": str(price * order["quantity"])}]}}
    return _body({"client_id": "xinghe-youzan-demo", "id": order["number"], "kdt_id": 960001, "mode": 1,
                  "msg": quote(json.dumps(msg, ensure_ascii=False)), "sendCount": 0, "status": status,
                  "test": False, "type": kind, "version": int(at.timestamp()),
                  "msg_id": f"demo-{order['number']}-{stage}"})


def _youzan_refund(refund, status, at):
    kind = {"requested": "trade_refund_BuyerCreated", "refunded": "trade_refund_Success"}[status]
    msg = {"refund_id": refund["number"], "tid": refund["order"], "refunded_fee": str(refund["amount"]),
           "refund_reason": refund["reason"], "update_time": _local(at)}
    return _body({"client_id": "xinghe-youzan-demo", "id": refund["order"], "kdt_id": 960001, "mode": 1,
                  "msg": quote(json.dumps(msg, ensure_ascii=False)), "sendCount": 0, "test": False, "type": kind,
                  "version": int(at.timestamp()), "msg_id": f"demo-{refund['number']}-{status}"})
