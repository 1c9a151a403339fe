"""Demo SLA data of the demo organization: the two preset calendars (7×24, and 7×12 following the China
holidays), two policies with escalation ladders, the SLA applied to the demo tickets, and a few fresh tickets so
that every SLA state shows (on track, at risk, breached, paused, met).

`seed_demo` runs it after the tickets seeder; idempotent (the policies are looked up by name, and the
tickets are only touched the first time the policies are created).
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from demo.channels import demo_accounts, demo_conversation, demo_replies_delivered
from notifications.models import Notification
from scrm.models import Channel, Customer, User
from sla.calendar import subtract_business_minutes
from sla.models import EscalationStep, SLAPolicy, SLATarget
from sla.services import calendar_value, calendars_ensure_defaults, sla_policy_save, sla_sweep, ticket_sla_apply
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_change_status, ticket_open, ticket_reply

VIP_POLICY, STANDARD_POLICY = "VIP 客户 7×24", "标准服务 7×12"
# (priority, first response, next response, resolution) in business minutes
VIP_TARGETS = [(1, 15, 15, 240), (2, 30, 30, 480), (3, 60, 60, 960), (4, 120, 120, 1440)]
STANDARD_TARGETS = [(1, 30, 60, 480), (2, 60, 120, 960), (3, 120, 240, 1440), (4, 240, None, 2880)]
LADDER = [
    {"metric": "first_response", "trigger": "percent", "trigger_value": 75, "notify_assignee": True},
    {"metric": "first_response", "trigger": "breach", "notify_supervisor": True},
    {"metric": "resolution", "trigger": "percent", "trigger_value": 75, "notify_assignee": True},
    {"metric": "resolution", "trigger": "breach", "notify_supervisor": True, "raise_priority": True},
    {"metric": "resolution", "trigger": "after_breach", "trigger_value": 120, "reassign_to_supervisor": True},
]


def _policy(organization, name, calendar, targets, position, **conditions):
    existing = SLAPolicy.objects.filter(name=name).first()
    if existing is not None:
        return existing, False
    policy = SLAPolicy(organization=organization, name=name, calendar=calendar, position=position, **conditions)
    sla_policy_save(
        policy=policy,
        targets=[SLATarget(priority=p, first_response_minutes=fr, next_response_minutes=nr, resolution_minutes=res)
                 for p, fr, nr, res in targets],
        steps=[EscalationStep(**step) for step in LADDER],
    )
    return policy, True


@transaction.atomic
def seed_sla(*, organization):
    h24, h12 = calendars_ensure_defaults(organization=organization)
    _vip, created_vip = _policy(organization, VIP_POLICY, h24, VIP_TARGETS, 10, customer_level="vip")
    standard, created = _policy(organization, STANDARD_POLICY, h12, STANDARD_TARGETS, 20)
    if not (created or created_vip):
        return
    # Applied now, to tickets of the last 30 days: each reads it where the product writes it, at the opening, and
    # keeps its last change at the last step of its work.
    for ticket in Ticket.objects.order_by("pk"):
        sla_from_opening(ticket)
    _pause_pending()
    _fresh_tickets(organization, standard, h12)


def _pause_pending():
    """The demo tickets were worked before their policies existed: the ones left waiting on the customer got their
    policy paused from that moment (sla_recompute). Move each pause back to the moment the ticket went pending, as
    demo/tickets.py backdates every event: a due time that passed before that moment stays a breach, one after it
    is none."""
    waiting = Ticket.objects.filter(status=Ticket.Status.PENDING, paused_since__isnull=False, sla_policy__isnull=False)
    for ticket in waiting.order_by("pk"):
        went = (TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.STATUS,
                                           after__status=Ticket.Status.PENDING).order_by("-created_at", "-pk").first())
        if went is None:
            continue
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.SLA_PAUSED).update(
            created_at=went.created_at, after={"since": went.created_at.isoformat()})
        Ticket.objects.filter(pk=ticket.pk).update(paused_since=went.created_at)
        last_change_at_last_event([ticket.pk])


def _backdate_opening(ticket, opened):
    """A fresh demo ticket was opened now, then moved back to `opened`: its opening events move back with it, its last
    change too, and its SLA reads as applied once, when it was opened (the due times computed from "now" were
    replaced at once)."""
    _applied_once(ticket)
    TicketEvent.objects.filter(ticket=ticket).update(created_at=opened)
    last_change_at_last_event([ticket.pk])


def _applied_once(ticket):
    """The ticket's SLA was applied when it was opened (now), then again by the demo from its backdated opening:
    one `sla_applied` event, from no policy to the demo's due times, with the reason of the first. Returns it.
    A ticket worked while its policy existed (a web form's, demo/forms.py) had it applied again on the way (a
    transfer, a priority): the demo's application replaces the last of those, with its reason, at its time."""
    applied = list(TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.SLA_APPLIED).order_by("pk"))
    if len(applied) >= 2:
        *_earlier, previous, moved = applied
        moved.before, moved.after = previous.before, {**moved.after, "reason": previous.after.get("reason", "opened")}
        moved.created_at = previous.created_at
        moved.save(update_fields=["before", "after", "created_at"])
        previous.delete()
        return moved
    return applied[0] if applied else None


def sla_from_opening(ticket):
    """A demo ticket opened and worked now, then moved back in time with its work spread after its opening
    (demo/tickets.py's backdate_tickets): its SLA is computed again from that opening and its work's real times
    (a reply late against them is a breach), and reads as applied once, when it was opened. Its last change stays
    the last step of its work (its last event)."""
    ticket = ticket_sla_apply(ticket=ticket, reason="demo")
    applied = _applied_once(ticket)
    if applied is not None and applied.after.get("reason") in ("opened", "demo"):
        TicketEvent.objects.filter(pk=applied.pk).update(created_at=ticket.created_at)
    # ticket_sla_apply stamped it now; the demo's last change is its last event (the SLA's moved to the opening).
    last_change_at_last_event([ticket.pk])
    ticket.refresh_from_db(fields=["updated_at"])
    return ticket


def last_change_at_last_event(ticket_ids):
    """The tickets' last change (`updated_at`, what the lists show as 最后更新) at their last event: the services
    stamp it with the time they ran, the demo moves the events back in time."""
    last = (TicketEvent.objects.filter(ticket_id=OuterRef("pk")).order_by().values("ticket_id")
            .annotate(last=Max("created_at")).values("last"))
    Ticket.objects.filter(pk__in=list(ticket_ids)).update(updated_at=Coalesce(Subquery(last), F("updated_at")))


# Unread notifications each demo user starts with: the newest few, as after a day's work, not the 30 days of
# history the demo replays at once (a bell at 99+ from the first sign-in teaches people to ignore it).
DEMO_UNREAD = 5


def settle_notifications():
    """Run the ladder steps the backlog is due now (what beat would do in its first minutes), then mark read all
    but each user's newest DEMO_UNREAD notifications. `seed_demo` calls it once, after every seeder of its first
    run."""
    sla_sweep()
    now = timezone.now()
    keep = []
    for recipient_id in Notification.objects.order_by().values_list("recipient_id", flat=True).distinct():
        keep.extend(Notification.objects.filter(recipient_id=recipient_id).order_by("-created_at", "-pk")
                    .values_list("pk", flat=True)[:DEMO_UNREAD])
    Notification.objects.filter(read_at__isnull=True).exclude(pk__in=keep).update(read_at=now)


def _fresh_tickets(organization, policy, calendar):
    """One ticket per live SLA state, opened now and moved back in business time where the state needs it."""
    agent = User.objects.filter(username="agent").first()
    # A follower of the demo's Official Account who has not written before (WeChat's 48 hours would count from
    # their last message): the tickets are conversations with them, replies and all.
    account = demo_accounts(organization=organization).get(Channel.WECHAT_OA)
    normal = Customer.objects.filter(level=Customer.Level.NORMAL).order_by("pk")
    customer = ((normal.filter(identities__channel=account.channel, identities__app_id=account.app_id,
                               tickets__isnull=True).first() if account else None) or normal.first())
    if agent is None or customer is None:
        return
    conversation = demo_conversation(account, customer) if account else ""
    opened_tickets = []
    cal = calendar_value(calendar)
    target = policy.targets.get(priority=Ticket.Priority.P3).first_response_minutes
    now = timezone.now()
    plans = [  # subject, business minutes ago it was opened, what the agent does
        ("【SLA 演示】刚提交的咨询：发票什么时候开？", 0, None),
        ("【SLA 演示】快到时限：洗衣机异响", int(target * 0.85), None),
        ("【SLA 演示】已超时：空调安装师傅未上门", target * 3, None),
        ("【SLA 演示】等待客户回复：请提供购买凭证", 10, "pending"),
        ("【SLA 演示】已按时解决：退货地址查询", 5, "resolved"),
    ]
    for subject, minutes_ago, action in plans:
        ticket = ticket_open(organization=organization, customer=customer, subject=subject, description=subject,
                             channel=Channel.WECHAT_OA, source_ref=conversation, priority=Ticket.Priority.P3)
        opened_tickets.append(ticket.pk)
        opened = subtract_business_minutes(cal, now, minutes_ago) if minutes_ago else now
        opened = min(opened, now - timedelta(seconds=1))
        Ticket.objects.filter(pk=ticket.pk).update(created_at=opened)
        ticket = ticket_sla_apply(ticket=ticket, reason="demo")
        _backdate_opening(ticket, opened)
        if action is not None:
            ticket_reply(ticket=ticket, author=agent, body="您好，已收到，我们马上处理。")
            ticket_change_status(ticket=ticket, status=action, actor=agent)
    demo_replies_delivered(opened_tickets)
