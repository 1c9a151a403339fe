"""Demo tickets of the demo organization (星河家电): the service team's configuration (ticket types, queues,
routing rules) and about 300 tickets of the last 30 days, in every state, opened and worked through the ticket
services as customers and agents would.

`seed_demo` calls it in the organization's scope.
Idempotent: the configuration is looked up by its natural keys, and tickets are only seeded into an organization
that has none. A fixed random seed makes the demo the same every time.
"""

import json
import random
import re
from collections import defaultdict
from datetime import date, timedelta

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from demo.channels import demo_accounts, demo_conversation, demo_replies_delivered
from notifications.models import Notification
from scrm.models import AgentProfile, Channel, Customer, Tag, Team, User
from settlement.models import ServiceJob
from tickets.errors import TicketError
from tickets.models import (
    ACTIVE_STATUSES,
    CannedResponse,
    Comment,
    Queue,
    QueueMembership,
    RoutingRule,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketType,
)
from tickets.services import (
    ticket_add_message,
    ticket_assign,
    ticket_change_status,
    ticket_merge,
    ticket_open,
    ticket_reply,
    ticket_set_priority,
    ticket_take_next,
    ticket_transfer,
)
from tickets.services._core import NUMBER_TZ

Status = Ticket.Status
Kind = TicketEvent.Kind
P1, P2, P3, P4 = Ticket.Priority

DEMO_TICKETS = 300
DEMO_DAYS = 30
NEWEST_WAITING = 4  # the latest tickets are left new (unassigned)
NUMBER = re.compile(r"T\d{8}-\d{6}")  # a ticket number as the services write it into texts

# (code, name, default queue code, default priority, required skill)
TYPES = [
    ("consult", "咨询", "l1", P3, None),
    ("complaint", "投诉", "complaints", P2, None),
    ("repair", "报修", "tech", P2, None),
    ("return", "退换货", "l1", P3, None),
    ("install", "安装", "l1", P3, None),
]
# (code, name, team code or None for the supervisor's team, strategy, auto assign, member usernames, type codes)
QUEUES = [
    ("l1", "售后一线", "AS", Queue.Strategy.ROUND_ROBIN, True, ["agent", "agent2"], ["consult", "return", "install"]),
    ("tech", "技术支持", "TECH", Queue.Strategy.LEAST_LOADED, True, ["agent3"], ["repair"]),
    # Complaints wait for the supervisor (or an agent pressing "take next"): nobody gets one automatically.
    ("complaints", "投诉专席", None, Queue.Strategy.ROUND_ROBIN, False, ["agent", "agent2"], ["complaint"]),
]
# (title, body, queue or None for every queue): the replies agents pick from the reply box.
CANNED = [
    ("问候", "您好 {customer_name}，我是客服{agent_name}，您的工单 {ticket_number} 已收到，我们正在处理。", None),
    ("稍后回复", "{customer_name}您好，您反馈的问题我们已记录，会在今天之内给您答复，请保持电话畅通。", None),
    ("结束语", "感谢您的耐心，工单 {ticket_number} 已处理完毕。如还有问题，直接回复本消息即可。", None),
    ("退款进度", "您的退款申请已提交，预计 1–3 个工作日原路退回，到账后会短信通知您。", "l1"),
    ("上门预约", "师傅将在约定时间上门，出发前会电话联系您。如需改时间，请直接回复本消息。", "l1"),
    ("故障排查", "麻烦您先断电 5 分钟后重启，再看看“{ticket_subject}”的问题是否还在，我们再安排下一步。", "tech"),
    ("投诉受理", "非常抱歉给您带来不好的体验，您的投诉（工单 {ticket_number}）已由主管跟进，24 小时内给您回复。",
     "complaints"),
]
# (name, keywords, set queue, set priority, set type, add tags). First match wins, so the catch-all comes last and
# the repair rule precedes the installation one ("空调坏了，师傅什么时候上门" is a repair).
RULES = [
    ("投诉升级到投诉专席", "订单丢失，投诉，差评", "complaints", P1, "complaint", ["投诉过"]),
    ("退款退货", "退款，退货", None, None, "return", []),
    ("故障报修转技术支持", "不制冷，漏水，坏了", "tech", None, "repair", []),
    ("安装预约", "安装，上门", None, None, "install", ["已安装"]),
    ("其他归为咨询", "", None, None, "consult", []),
]

# What customers write about, by the type the routing rules will give it: the first message (its first line is
# the subject of a ticket opened from a chat message), follow-ups of the customer, and the agent's replies.
TOPICS = {
    "consult": [
        ("订单三天未发货，什么时候能发？", "订单号{order}，付款三天了还显示待发货"),
        ("发票开具：电子发票在哪里下载？", "需要开公司抬头的增值税专用发票，税号稍后发给你们"),
        ("冰箱运行时有嗡嗡声，正常吗？", "新买的对开门冰箱，晚上声音比较明显"),
        ("会员积分怎么兑换？", "商城里积分一直显示 0，上个月买了洗衣机"),
        ("以旧换新活动还有吗？", "想把家里用了十年的老空调换掉"),
        ("空调延保服务怎么购买？", "去年买的挂机，保修快到期了"),
        ("物流一直显示在途，能帮忙查一下吗？", "订单号{order}，已经五天了"),
    ],
    "complaint": [
        ("订单丢失了，快递显示签收但我没收到", "订单号{order}，家里一直有人，快递员没有打电话"),
        ("师傅迟到三个小时还没道歉，我要投诉", "约的上午九点，十二点才到，态度也很差"),
        ("客服一直不回复，准备给差评了", "已经留言两天了，没有任何人联系我"),
        ("第三次维修还是没修好，要投诉", "同一台洗衣机修了三次，每次都说好了"),
    ],
    "repair": [
        ("空调不制冷，开了一个小时还是吹热风", "型号 KFR-35GW，去年夏天买的，遥控器显示正常"),
        ("洗衣机漏水，底下全是水", "每次脱水的时候漏得最厉害"),
        ("冰箱坏了，冷藏室一点都不凉", "冷冻室正常，冷藏室温度显示 15 度"),
        ("热水器坏了，显示 E4 故障码", "早上还能用，晚上就打不着火了"),
        ("洗碗机漏水，橱柜都泡了", "机器用了八个月，之前没出过问题"),
        ("空调外机噪音很大而且不制冷", "邻居都来敲门了，麻烦尽快处理"),
    ],
    "return": [
        ("申请退款：买错型号了，还没拆封", "订单号{order}，想换成大一匹的"),
        ("电饭煲收到外壳有划痕，要求退货", "箱子完好，打开就看到一道很深的划痕"),
        ("退款什么时候到账？", "退货已经寄回去一周了，订单号{order}"),
        ("吸尘器用了两天吸力变小，想退货", "还在七天无理由期内"),
    ],
    "install": [
        ("预约安装：新买的空调周六能装吗？", "地址在小区 5 栋 1202，周六全天有人"),
        ("热水器需要上门安装，什么时候能来？", "货已经到了，家里浴室已经留好了位置"),
        ("油烟机预约安装，需要自己准备什么？", "老房子，原来的烟道口比较小"),
        ("洗碗机安装需要改水电吗？", "嵌入式的，想装在水槽下面"),
    ],
}
FOLLOW_UPS = [
    "请问有进展了吗？",
    "好的，我把照片发给你们",
    "麻烦快一点，家里老人小孩等着用",
    "型号在机身侧面贴纸上，已经拍照了",
    "周末都有时间，上午更方便",
    "收到，谢谢",
]
FIRST_REPLIES = {
    "consult": "您好，我是星河家电客服{agent}，已经收到您的问题，正在为您查询，请稍等。",
    "complaint": "非常抱歉给您带来不好的体验，我是客服主管{agent}，这件事由我亲自跟进，今天内给您答复。",
    "repair": "您好，我是技术支持{agent}。麻烦提供一下机身型号和购买时间，方便我们判断故障。",
    "return": "您好，我是售后客服{agent}，已为您登记退换货申请，审核通过后会短信通知您。",
    "install": "您好，我是售后客服{agent}，已为您登记安装预约，师傅会提前一天电话联系您确认时间。",
}
PENDING_QUESTIONS = [
    "麻烦您拍一下机身铭牌和故障现象的照片发给我们。",
    "请提供一下订单号和收货人手机号，方便核实。",
    "请问您方便的上门时间是哪天？",
]
HOLD_NOTES = [
    "已联系仓库核实库存，等待仓库回复。",
    "已派单给当地网点，等师傅上门检测。",
    "已提交物流理赔，等快递公司回复。",
    "等财务确认退款批次。",
]
INTERNAL_NOTES = [
    "客户是老客户，语气比较急，优先处理。",
    "查到该订单在南京仓，已催发。",
    "同型号本月第二次报这个问题，抄送质检组。",
    "客户要求只在工作日晚上联系。",
]
RESOLUTIONS = {
    "consult": "已为您处理完毕，如还有其他问题随时联系我们，祝您生活愉快！",
    "complaint": "已为您补发并赠送一张 100 元服务券，再次向您致歉，感谢您的理解。",
    "repair": "师傅已上门更换配件，机器运行正常。如再有问题请随时联系我们。",
    "return": "退款已原路退回，预计 1–3 个工作日到账，请注意查收。",
    "install": "安装已完成，师傅已演示使用方法，保修卡已激活。",
}
# A repair that turns into a complaint goes to the complaints desk, escalated to P1; a question that turns out to
# be a fault goes to technical support.
TRANSFERS = {
    "repair": ("complaints", "客户多次报修未解决，情绪激动，转投诉专席处理"),
    "consult": ("tech", "客户描述疑似故障，需要技术人员判断"),
}
# Channels a customer chats on: their messages arrive through ticket_add_message; the others are logged by an
# agent (phone) or come from the web form through ticket_open.
CHAT_CHANNELS = {Channel.WECHAT_OA, Channel.WECOM, Channel.DOUYIN, Channel.YOUZAN}


def seed_tickets(*, organization):
    """Seed the demo organization's ticket configuration and, once, its tickets. Runs in its tenant scope."""
    config = _seed_configuration(organization)
    if Ticket.objects.filter(organization=organization).exists():
        return
    _DemoTickets(organization, config).run()


def _seed_configuration(organization):
    users = {u.username: u for u in User.objects.filter(
        username__in=["supervisor", "agent", "agent2", "agent3"])}
    teams = {t.code: t for t in Team.objects.all()}
    supervisor_team = getattr(getattr(users["supervisor"], "agent_profile", None), "team", None) or teams["AS"]
    profiles = {p.user.username: p for p in AgentProfile.objects.select_related("user")}

    queues = {}
    for code, name, team_code, strategy, auto_assign, members, _types in QUEUES:
        queues[code] = Queue.objects.get_or_create(organization=organization, code=code, defaults={
            "name": name, "team": teams[team_code] if team_code else supervisor_team, "strategy": strategy,
            "auto_assign": auto_assign,
        })[0]
        for username in members:
            QueueMembership.objects.get_or_create(organization=organization, queue=queues[code],
                                                  agent=profiles[username])
    types = {}
    for order, (code, name, queue_code, priority, _skill) in enumerate(TYPES):
        types[code] = TicketType.objects.get_or_create(organization=organization, code=code, defaults={
            "name": name, "default_queue": queues[queue_code], "default_priority": priority, "sort_order": order,
        })[0]
    for code, *_rest, type_codes in QUEUES:
        queues[code].ticket_types.add(*(types[c] for c in type_codes))

    tags = {t.name: t for t in Tag.objects.all()}
    for position, (name, keywords, queue_code, priority, type_code, tag_names) in enumerate(RULES, start=1):
        rule, created = RoutingRule.objects.get_or_create(organization=organization, name=name, defaults={
            "position": position * 10, "keywords": keywords, "set_queue": queues.get(queue_code),
            "set_priority": priority, "set_type": types[type_code],
        })
        if created:
            rule.add_tags.set([tags[n] for n in tag_names if n in tags])
    for title, body, queue_code in CANNED:
        CannedResponse.objects.get_or_create(organization=organization, title=title, defaults={
            "body": body, "queue": queues[queue_code] if queue_code else None})
    return {"users": users, "queues": queues, "types": types}


class _DemoTickets:
    count, days, waiting = DEMO_TICKETS, DEMO_DAYS, NEWEST_WAITING
    category_weights = [30, 8, 25, 17, 20]  # of TOPICS' categories

    def __init__(self, organization, config, *, seed=20261123, timing_seed=20261204):
        self.organization = organization
        self.users = config["users"]
        self.queues = config["queues"]
        self.rng = random.Random(seed)  # demo data, the same every time
        self.timing = random.Random(timing_seed)  # when each step of the work happened (_spread)
        self.now = timezone.now()
        self.plans = {}  # ticket id -> (start time, final status wanted), for backdating
        self.orders = 0
        self.members = {}  # queue id -> its agents
        self.accounts = demo_accounts(organization=organization)  # channel -> the demo's WeChat account

    def run(self):
        # Assignment only considers online agents; the demo agents are created online, make sure they still are.
        self._agents(AgentProfile.Status.ONLINE)
        customers = list(self._customers().select_related("region").order_by("pk"))
        if not customers:
            return
        times = self._start_times()
        for n, start in enumerate(times):
            # The latest arrivals still wait in the pool, whatever the time of day the demo is seeded at.
            wanted = Status.NEW if n >= len(times) - self.waiting else self._wanted_status(start)
            self._one(n, start, self.rng.choice(customers), wanted)
        self._backdate()

    def _customers(self):
        return Customer.objects.filter(merged_into__isnull=True)

    def _agents(self, status):
        AgentProfile.objects.filter(user__in=[self.users[u] for u in ("agent", "agent2", "agent3")]).update(
            status=status)

    def _start_times(self):
        """`count` moments of the last `days` days, during opening hours in China, oldest first."""
        local_now = timezone.localtime(self.now, NUMBER_TZ)
        times = []
        for _ in range(self.count):
            day = local_now - timedelta(days=self.rng.randint(0, self.days - 1))
            moment = day.replace(hour=self.rng.randint(8, 21), minute=self.rng.randint(0, 59),
                                 second=self.rng.randint(0, 59))
            if moment > local_now - timedelta(minutes=5):
                moment = local_now - timedelta(minutes=self.rng.randint(5, 300))
            times.append(moment)
        return sorted(times)

    def _wanted_status(self, start):
        age = (self.now - start).total_seconds() / 86400
        if age < 1:
            weights = {Status.NEW: 4, Status.OPEN: 5, Status.PENDING: 1, Status.ON_HOLD: 1, Status.RESOLVED: 1}
        elif age < 4:
            weights = {Status.OPEN: 3, Status.PENDING: 3, Status.ON_HOLD: 2, Status.RESOLVED: 4, Status.CLOSED: 1}
        elif age < 10:
            weights = {Status.PENDING: 1, Status.ON_HOLD: 1, Status.RESOLVED: 5, Status.CLOSED: 6}
        else:
            weights = {Status.RESOLVED: 1, Status.CLOSED: 12}
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _order_number(self):
        self.orders += 1
        return f"XH{202600000 + self.orders * 37:09d}"

    def _open(self, n, customer, category):
        subject, detail = self.rng.choice(TOPICS[category])
        order = self._order_number()
        detail = detail.format(order=order)
        channel = customer.source_channel
        roll = self.rng.random()
        # On WeChat the conversation is with the customer's openid on the demo account (replies go back there);
        # the shops' chats have no account to answer through. A customer whose conversation has a ticket still
        # active calls this time: a message would land on that ticket.
        account = self.accounts.get(channel)
        conversation = demo_conversation(account, customer) if account else f"demo-conv-{n}"
        if conversation and Ticket.objects.filter(customer=customer, channel=channel, source_ref=conversation,
                                                  status__in=ACTIVE_STATUSES).exists():
            conversation = ""
        if channel in CHAT_CHANNELS and conversation and roll < 0.8:
            comment = ticket_add_message(
                organization=self.organization, customer=customer, channel=channel, source_ref=conversation,
                body=f"{subject}\n{detail}", message_id=f"demo-{n}-1",
            )
            return comment.ticket, conversation
        if roll < 0.93:  # a call, logged by the agent who took it
            return ticket_open(
                organization=self.organization, customer=customer, subject=subject, description=detail,
                channel=Channel.PHONE, actor=self.rng.choice([self.users["agent"], self.users["agent2"]]),
                order_number=order if "{order}" in dict(TOPICS[category])[subject] else "",
            ), None
        return ticket_open(organization=self.organization, customer=customer, subject=subject, description=detail,
                           channel=Channel.WEB_FORM), None

    def _one(self, n, start, customer, wanted):
        rng = self.rng
        category = rng.choices(list(TOPICS), weights=self.category_weights)[0]
        if wanted == Status.NEW:
            # Nobody online: the queue's auto-assignment leaves it new in the pool.
            self._agents(AgentProfile.Status.AWAY)
            try:
                ticket, _conversation = self._open(n, customer, category)
            finally:
                self._agents(AgentProfile.Status.ONLINE)
            self.plans[ticket.pk] = (start, wanted)
            return
        ticket, conversation = self._open(n, customer, category)
        self.plans[ticket.pk] = (start, wanted)
        ticket = self._ensure_assigned(ticket)
        if ticket is None or ticket.assignee is None:
            return
        agent = ticket.assignee

        if category in TRANSFERS and rng.random() < 0.12:
            ticket = self._transfer(ticket, category)
            agent = ticket.assignee or agent
        done = wanted in (Status.RESOLVED, Status.CLOSED)
        # Many finished tickets were answered in one reply (the resolution below); fewer calls also keep the seed
        # fast enough for `make run`.
        if not done or rng.random() < 0.4:
            ticket_reply(ticket=ticket, author=agent, body=FIRST_REPLIES[category].format(agent=agent.display_name))
        if rng.random() < 0.15:
            ticket_reply(ticket=ticket, author=agent, body=rng.choice(INTERNAL_NOTES), public=False)
        if conversation and rng.random() < (0.2 if done else 0.5):
            ticket_add_message(organization=self.organization, customer=customer, channel=ticket.channel,
                               source_ref=conversation, body=rng.choice(FOLLOW_UPS), message_id=f"demo-{n}-2")
        if wanted == Status.OPEN:
            if rng.random() < 0.15:
                self._duplicate(n, ticket, customer, category, agent)
            return
        if wanted == Status.PENDING:
            ticket_reply(ticket=ticket, author=agent, body=rng.choice(PENDING_QUESTIONS))
            ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent)
            return
        if wanted == Status.ON_HOLD:
            ticket_reply(ticket=ticket, author=agent, body=rng.choice(HOLD_NOTES), public=False)
            ticket_change_status(ticket=ticket, status=Status.ON_HOLD, actor=agent)
            return
        if rng.random() < 0.15:  # asked the customer something first, who answered (which reopens the ticket)
            ticket_reply(ticket=ticket, author=agent, body=rng.choice(PENDING_QUESTIONS))
            ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent)
            if conversation:
                ticket_add_message(organization=self.organization, customer=customer, channel=ticket.channel,
                                   source_ref=conversation, body=rng.choice(FOLLOW_UPS[1:4]),
                                   message_id=f"demo-{n}-3")
            else:
                ticket_change_status(ticket=ticket, status=Status.OPEN, actor=agent)
        if rng.random() < 0.08:
            self._duplicate(n, ticket, customer, category, agent)
        ticket_reply(ticket=ticket, author=agent, body=RESOLUTIONS[category])
        ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
        if wanted == Status.CLOSED:
            ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=self.users["supervisor"])

    def _ensure_assigned(self, ticket):
        """A ticket the queue's strategy left in the pool is taken by an agent ("take next"), or the supervisor
        assigns it (complaints to themself, the rest to an agent of the queue). The services update the object
        they return, so `ticket.assignee_id` is current without reading it again."""
        if ticket.assignee_id is not None:
            return ticket
        supervisor = self.users["supervisor"]
        if ticket.queue_id == self.queues["complaints"].pk and self.rng.random() < 0.6:
            return ticket_assign(ticket=ticket, assignee=supervisor, actor=supervisor)
        members = self._members(ticket.queue_id)
        if not members:
            return ticket_assign(ticket=ticket, assignee=self.users["agent"], actor=supervisor)
        agent = self.rng.choice(members)
        if self.rng.random() < 0.6:
            try:
                taken = ticket_take_next(agent=agent)
            except TicketError:  # at their cap: the supervisor assigns it below
                taken = None
            if taken is not None and taken.pk == ticket.pk:
                return taken
            if taken is not None:  # took an older waiting ticket (one left new); ours may have been taken too
                ticket.refresh_from_db()
                if ticket.assignee_id is not None:
                    return ticket
        return ticket_assign(ticket=ticket, assignee=agent, actor=supervisor)

    def _members(self, queue_id):
        if queue_id not in self.members:
            self.members[queue_id] = [m.agent.user for m in QueueMembership.objects.filter(queue_id=queue_id)
                                      .select_related("agent__user").order_by("pk")]
        return self.members[queue_id]

    def _transfer(self, ticket, category):
        queue_code, reason = TRANSFERS[category]
        supervisor = self.users["supervisor"]
        if queue_code == "complaints":
            if ticket.priority != P1:
                ticket_set_priority(ticket=ticket, priority=P1, actor=supervisor, kind=Kind.ESCALATED)
            ticket = ticket_transfer(ticket=ticket, queue=self.queues[queue_code], reason=reason, actor=supervisor)
            return ticket_assign(ticket=ticket, assignee=supervisor, actor=supervisor)
        ticket = ticket_transfer(ticket=ticket, queue=self.queues[queue_code], reason=reason, actor=supervisor)
        if ticket.assignee_id is None:
            ticket = ticket_assign(ticket=ticket, assignee=self.users["agent3"], actor=supervisor)
        return ticket

    def _duplicate(self, n, ticket, customer, category, agent):
        """The customer also called about the same problem: a second ticket, merged into the first."""
        subject = f"客户来电催促：{ticket.subject}"[:200]
        duplicate = ticket_open(organization=self.organization, customer=customer, subject=subject,
                                description="客户来电说已经在线上反映过，希望尽快处理。", channel=Channel.PHONE,
                                actor=agent, type=ticket.type)
        start, _wanted = self.plans[ticket.pk]
        self.plans[duplicate.pk] = (start + timedelta(minutes=self.rng.randint(30, 180)), Status.CLOSED)
        ticket_merge(primary=ticket, duplicate=duplicate, actor=agent)

    # --- backdating ---------------------------------------------------------------------------------------------

    def _backdate(self):
        """The services stamp everything with the current time. So that the lists look like 30 days of work, each
        ticket's events are spread over hours or days from its planned start, its number carries that day and the
        texts naming its number of the moment follow (backdate_tickets, renumber_by_day, rename_numbers)."""
        tickets = backdate_tickets(self.plans, now=self.now, timing=self.timing)
        rename_numbers(self.organization, renumber_by_day(self.organization, tickets))
        demo_replies_delivered(self.plans)


class _IntakeTickets(_DemoTickets):
    """Tickets a web form opened (seed_intake_tickets): the same work, on the customers with a mobile (the form
    asks for it), none left waiting on the customer or on hold (a form's customer has no chat to answer in)."""

    waiting = 1
    category_weights = [5, 6, 30, 0, 12]  # mostly faults and installations, some complaints, a few questions

    def __init__(self, organization, config, *, count, submit, seed):
        super().__init__(organization, config, seed=seed, timing_seed=seed + 1)
        self.count, self.submit = count, submit

    def _customers(self):
        return super()._customers().exclude(mobile__isnull=True).exclude(mobile="")

    def _wanted_status(self, start):
        wanted = super()._wanted_status(start)
        if wanted in (Status.PENDING, Status.ON_HOLD):
            return Status.OPEN if (self.now - start) < timedelta(days=1) else Status.RESOLVED
        return wanted

    def run(self):
        # Opened today first, numbered after today's counter: far after it, so that no number of the moment is one
        # an earlier ticket had before the tickets were renumbered (a service job is named by its ticket's number).
        today = timezone.localtime(self.now, NUMBER_TZ).date()
        TicketCounter.objects.update_or_create(organization=self.organization, day=today,
                                               defaults={"last": 900000})
        super().run()

    def _open(self, n, customer, category):
        return self.submit(n, customer, category, self.rng, self._order_number()), None

    def _backdate(self):
        backdate_tickets(self.plans, now=self.now, timing=self.timing)
        # Numbered by day with the tickets already there: their days are the same 30.
        every = list(Ticket.objects.filter(organization=self.organization))
        rename_numbers(self.organization, renumber_by_day(self.organization, every))
        jobs_named_by_tickets(self.organization)
        demo_replies_delivered(self.plans)


def jobs_named_by_tickets(organization):
    """A resolved repair or installation ticket became a service job named by its number of the moment (SJ +
    number): after renumbering, each job takes its ticket's number again (in two steps, as the tickets)."""
    jobs = list(ServiceJob.objects.filter(organization=organization, ticket__isnull=False).select_related("ticket")
                .only("pk", "number", "ticket__number"))
    ServiceJob.objects.filter(pk__in=[job.pk for job in jobs]).update(
        number=Concat(Value("tmp-"), Cast("pk", CharField())))
    for job in jobs:
        job.number = f"SJ{job.ticket.number}"[:32]
    ServiceJob.objects.bulk_update(jobs, ["number"], batch_size=300)


def seed_intake_tickets(*, organization, count, submit, seed):
    """`count` tickets of the last DEMO_DAYS days opened through a web form, worked and moved back in time as the
    other demo tickets (numbered by day among them). `submit(n, customer, category, rng, order_number)` sends the
    form's answers through the forms' service and returns the ticket it opened; `category` is one of TOPICS'.
    Returns {ticket id: its opening}."""
    worker = _IntakeTickets(organization, _seed_configuration(organization), count=count, submit=submit, seed=seed)
    worker.run()
    return {ticket_id: start for ticket_id, (start, _wanted) in worker.plans.items()}


def backdate_tickets(plans, *, now, timing):
    """Move tickets worked now by the services back in time: `plans` maps a ticket id to (start, final status
    wanted). Each ticket's events are spread over hours or days from its start (in their order, `spread_events`),
    and the comments and the ticket's own timestamps follow its events. Bulk UPDATEs, after the services ran; the
    numbers are left to renumber_by_day. Returns the tickets."""
    tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=plans)}
    events = defaultdict(list)
    for event in TicketEvent.objects.filter(ticket_id__in=plans).order_by("pk"):
        events[event.ticket_id].append(event)
    comment_times = {}
    for ticket_id, (start, wanted) in plans.items():
        spread_events(tickets[ticket_id], events[ticket_id], start, wanted, comment_times, now=now, timing=timing)
    comments = list(Comment.objects.filter(pk__in=comment_times).only("pk", "created_at"))
    for comment in comments:
        comment.created_at = comment_times[comment.pk]
    TicketEvent.objects.bulk_update([e for ticket_events in events.values() for e in ticket_events],
                                    ["created_at"], batch_size=500)
    Comment.objects.bulk_update(comments, ["created_at"], batch_size=500)
    # bulk_update leaves auto_now fields alone: updated_at keeps the value set from the events.
    Ticket.objects.bulk_update(
        list(tickets.values()),
        ["created_at", "updated_at", "assigned_at", "first_response_at", "resolved_at", "closed_at"],
        batch_size=300,
    )
    return list(tickets.values())


def rename_numbers(organization, renamed):
    """The services wrote each ticket's number of the moment into its timeline ("合并了 T…"), the replies
    (canned greetings name it) and the notifications: each old number of `renamed` becomes the ticket's new one,
    in one pass (a new number may be another ticket's old one), in the texts of all the organization's tickets."""
    renamed = {old: new for old, new in renamed.items() if old != new}
    if not renamed:
        return

    def text(value):
        return NUMBER.sub(lambda match: renamed.get(match.group(0), match.group(0)), value)

    def changed(rows, fields, read, write):
        out = []
        for row in rows:
            before = [read(row, name) for name in fields]
            after = [text(value) for value in before]
            if after != before:
                for name, value in zip(fields, after, strict=True):
                    write(row, name, value)
                out.append(row)
        return out

    def read_json(row, name):
        return json.dumps(getattr(row, name), ensure_ascii=False)

    def write_json(row, name, value):
        setattr(row, name, json.loads(value))

    ticket_ids = Ticket.objects.filter(organization=organization).values("pk")
    TicketEvent.objects.bulk_update(
        changed(TicketEvent.objects.filter(ticket_id__in=ticket_ids).only("pk", "before", "after"),
                ("before", "after"), read_json, write_json), ["before", "after"], batch_size=500)
    Comment.objects.bulk_update(
        changed(Comment.objects.filter(ticket_id__in=ticket_ids).only("pk", "body"), ("body",), getattr,
                setattr), ["body"], batch_size=500)
    Notification.objects.bulk_update(
        changed(Notification.objects.filter(ticket_id__in=ticket_ids).only("pk", "title", "body"),
                ("title", "body"), getattr, setattr), ["title", "body"], batch_size=500)


def spread_events(ticket, events, start, wanted, comment_times, *, now, timing):
    """Spread a ticket's events (in their order) from `start` over a span that suits the status it ended in, the
    first public reply minutes after the opening; its comments (into `comment_times`) and timestamps follow."""
    if wanted in (Status.NEW, Status.OPEN):
        span = timedelta(hours=timing.uniform(0.5, 6))
    elif wanted in (Status.PENDING, Status.ON_HOLD):
        span = timedelta(hours=timing.uniform(2, 48))
    elif timing.random() < 0.8:  # most tickets are settled within their day, some drag on for days
        span = timedelta(hours=timing.uniform(1, 20))
    else:
        span = timedelta(hours=timing.uniform(20, 96))
    span = max(min(span, now - start - timedelta(minutes=1)), timedelta(minutes=1))
    # The first answer comes within minutes for most customers and hours for a few; the rest of the work is
    # spread over the ticket's span after it.
    first_public = next((i for i, e in enumerate(events)
                         if e.kind == Kind.COMMENT and e.after.get("public")), None)
    reply_in = timedelta(minutes=timing.uniform(2, 40) if timing.random() < 0.85 else timing.uniform(40, 300))
    reply_in = min(reply_in, span * 0.9)
    # Events written by one service call (created → assigned → opened) stay minutes apart.
    weights = [0.0] + [0.02 if e.kind in (Kind.ASSIGNED, Kind.UNASSIGNED) or
                       (e.kind == Kind.STATUS and e.after.get("reason") in ("assigned", "replied", "merged",
                                                                            "customer_replied"))
                       else timing.uniform(0.5, 1.5) for e in events[1:]]
    parts = [(events, weights, start, span)]
    if first_public is not None:
        cut = first_public + 1
        parts = [(events[:cut], weights[:cut], start, reply_in),
                 (events[cut:], weights[cut:], start + reply_in, span - reply_in)]
    for part, part_weights, begin, length in parts:
        total = sum(part_weights) or 1
        elapsed = 0.0
        for event, weight in zip(part, part_weights, strict=True):
            elapsed += weight
            event.created_at = begin + length * (elapsed / total)
            if event.comment_id:
                comment_times.setdefault(event.comment_id, event.created_at)
    ticket.created_at = start
    ticket.updated_at = events[-1].created_at if events else start

    def last(kind, **after):
        found = [e.created_at for e in events
                 if e.kind == kind and all(e.after.get(k) == v for k, v in after.items())]
        return found[-1] if found else None

    if ticket.assigned_at:
        ticket.assigned_at = last(Kind.ASSIGNED) or start
    if ticket.first_response_at:
        public = [e.created_at for e in events if e.kind == Kind.COMMENT and e.after.get("public")]
        ticket.first_response_at = public[0] if public else start
    if ticket.resolved_at:
        ticket.resolved_at = last(Kind.STATUS, status=Status.RESOLVED) or ticket.updated_at
    if ticket.closed_at:
        ticket.closed_at = last(Kind.STATUS, status=Status.CLOSED) or ticket.updated_at


def _number_day(number):
    """The day a ticket number carries (T20261204-000001), or None for another form."""
    match = re.fullmatch(r"T(\d{4})(\d{2})(\d{2})-\d{6}", number or "")
    return date(*map(int, match.groups())) if match else None


def renumber_by_day(organization, tickets):
    """Numbers carry the day the ticket was opened: renumber `tickets` by day in opening order, and leave each
    day's counter at its last number so tickets opened after the demo continue the sequence. `tickets` must hold
    every ticket of the days concerned (those their numbers and their openings name). Saves the numbers and
    returns {old number: new number}."""
    per_day = defaultdict(int)
    tickets = sorted(tickets, key=lambda t: (t.created_at, t.pk))
    numbered = {ticket.pk: ticket.number for ticket in tickets}
    days = {_number_day(number) for number in numbered.values()} - {None}
    for ticket in tickets:
        day = timezone.localtime(ticket.created_at, NUMBER_TZ).date()
        per_day[day] += 1
        ticket.number = f"T{day:%Y%m%d}-{per_day[day]:06d}"
    # Two steps: a new number may still be held by another ticket until it is renumbered itself.
    Ticket.objects.filter(pk__in=list(numbered)).update(number=Concat(Value("tmp-"), Cast("pk", CharField())))
    Ticket.objects.bulk_update(tickets, ["number"], batch_size=300)
    TicketCounter.objects.filter(organization=organization, day__in=days | set(per_day)).delete()
    TicketCounter.objects.bulk_create([TicketCounter(organization=organization, day=day, last=last)
                                       for day, last in sorted(per_day.items())])
    return {numbered[ticket.pk]: ticket.number for ticket in tickets}
