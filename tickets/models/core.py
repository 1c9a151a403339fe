"""Tickets: queues and ticket types (ops configuration), tickets with their comments and events (the timeline and
audit trail), routing rules, and the two bookkeeping tables behind numbering and assignment.

Workflow lives in tickets.services; these are tables, constraints and indexes only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scrm.models import Channel, Customer
from scrm.platform.tenancy import TenantManyToManyField, TenantModel

# A ticket counts as someone's work (the "my open tickets" list, an agent's load against their cap) in these
# states; resolved and closed tickets do not. Plain strings because Meta conditions below need them too.
ACTIVE_STATUSES = ("new", "open", "pending", "on_hold")
# Unassigned tickets in these states form a queue's pool, the one "take next" draws from.
POOL_STATUSES = ("new", "open")


class Ticket(TenantModel):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")  # waiting on the customer
        ON_HOLD = "on_hold", _("On hold")  # waiting on someone else (warehouse, engineer visit ...)
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Priority(models.IntegerChoices):
        # Integers so that "highest priority first" is an ascending index scan.
        P1 = 1, _("P1 urgent")
        P2 = 2, _("P2 high")
        P3 = 3, _("P3 normal")
        P4 = 4, _("P4 low")

    # "T20261123-000123": date in Asia/Shanghai + the organization's sequence of that day (TicketCounter).
    number = models.CharField(_("number"), max_length=20, editable=False)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Empty for an internal ticket, one team asks another to fix something no customer raised (a payment the
    # orders ledger does not know): it is opened into a chosen queue and carries its subject's reference.
    customer = models.ForeignKey(
        "scrm.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets",
        verbose_name=_("customer"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.MANUAL)
    # Where the conversation lives on the channel: a WeChat conversation id, a shop order number, a form
    # submission id, a call id. Inbound messages with the same channel + reference join the same open ticket.
    source_ref = models.CharField(_("source reference"), max_length=128, blank=True, default="")
    type = models.ForeignKey(
        "tickets.TicketType", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets",
        verbose_name=_("type"),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.P3)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "scrm.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("team")
    )
    queue = models.ForeignKey(
        "tickets.Queue", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets",
        verbose_name=_("queue"),
    )
    region = models.ForeignKey(
        "scrm.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets",
        verbose_name=_("region"),
    )
    tags = models.ManyToManyField("scrm.Tag", through="TicketTag", related_name="tickets", verbose_name=_("tags"))
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TicketWatcher", related_name="watched_tickets", verbose_name=_("watchers")
    )
    # A ticket split off another points at it; `merged_into` marks a closed duplicate, like Customer.merged_into.
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_duplicates",
        verbose_name=_("merged into"),
    )
    order_number = models.CharField(_("related order number"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # SLA (sla.services keeps these): due times in UTC, shifted by the business time spent pending.
    sla_policy = models.ForeignKey(
        "sla.SLAPolicy", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("SLA policy"),
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    next_response_due_at = models.DateTimeField(_("next response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # When the nearest running target becomes "at risk" (75% of it used, in business time).
    sla_warn_at = models.DateTimeField(_("SLA at risk from"), null=True, blank=True)
    # The moment the sweep must look at this ticket (next escalation step); NULL when nothing is pending.
    next_escalation_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation steps done"), default=0)
    paused_since = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    paused_minutes = models.PositiveIntegerField(_("SLA paused (business minutes)"), default=0)
    sla_breached = models.BooleanField(_("SLA breached"), default=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        # Giving a ticket to someone else (or back to the pool when it is not yours): supervisors, and a custom role
        # that grants it. Read by tickets.permissions.may_assign_others, for pages and API alike.
        permissions = [("assign_ticket", _("Can give tickets to others"))]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="ticket_org_number_uniq")]
        indexes = [
            # "My open tickets, most urgent first, oldest first."
            models.Index(fields=["organization", "assignee", "priority", "created_at"], name="ticket_assignee_open_idx",
                         condition=Q(status__in=ACTIVE_STATUSES)),
            # A queue's unassigned pool in take-next order; only pool rows are indexed, so it stays small.
            models.Index(fields=["organization", "queue", "priority", "created_at"], name="ticket_queue_pool_idx",
                         condition=Q(assignee__isnull=True, status__in=POOL_STATUSES)),
            # A queue's active tickets in take-next order (the workspace's "team queues" page, one queue at a time);
            # with the status included, the board counts tickets per queue and status from the index alone.
            models.Index(fields=["organization", "queue", "priority", "created_at"], name="ticket_queue_active_idx",
                         condition=Q(status__in=ACTIVE_STATUSES), include=["status"]),
            # The customer's tickets (timeline, inbound message matching).
            models.Index(fields=["organization", "customer", "created_at"], name="ticket_org_customer_idx"),
            models.Index(fields=["organization", "-created_at"], name="ticket_org_created_idx"),
            models.Index(fields=["organization", "order_number"], name="ticket_org_order_idx",
                         condition=~Q(order_number="")),
            # The SLA sweep: one beat task for every organization takes the rows whose next step is due. It is
            # cross-tenant, so the index leads with the time (organization first would make it a scan per
            # organization); partial, so it holds only tickets with a step pending and an empty sweep is one
            # index probe however many tickets are open.
            models.Index(fields=["next_escalation_at"], name="ticket_sla_sweep_idx",
                         condition=Q(next_escalation_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES


class TicketType(TenantModel):
    """咨询, 投诉, 报修, 退换货, 安装 ...: where a ticket of this type goes and how urgent it is by default."""

    name = models.CharField(_("name"), max_length=50)
    code = models.SlugField(_("code"), max_length=32, db_index=False)  # unique with the organization
    default_queue = models.ForeignKey(
        "tickets.Queue", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("default queue"),
    )
    default_priority = models.PositiveSmallIntegerField(
        _("default priority"), choices=Ticket.Priority.choices, default=Ticket.Priority.P3
    )
    required_skills = TenantManyToManyField(
        "scrm.Skill", through="TicketTypeSkill", blank=True, related_name="+", verbose_name=_("required skills"),
        help_text=_("Only agents with every one of these skills are given tickets of this type."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="tickettype_org_code_uniq"),
            models.UniqueConstraint(fields=["organization", "name"], name="tickettype_org_name_uniq"),
        ]

    def __str__(self):
        return self.name


class Queue(TenantModel):
    """Where tickets wait for an agent: one team's agents, serving some regions and some ticket types."""

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=32, db_index=False)  # unique with the organization
    team = models.ForeignKey(
        "scrm.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="queues", verbose_name=_("team")
    )
    regions = TenantManyToManyField(
        "scrm.Region", through="QueueRegion", blank=True, related_name="queues", verbose_name=_("regions served"),
        help_text=_("Leave empty for a queue that serves every region."),
    )
    ticket_types = TenantManyToManyField(
        TicketType, through="QueueTicketType", blank=True, related_name="queues", verbose_name=_("ticket types")
    )
    required_skills = TenantManyToManyField(
        "scrm.Skill", through="QueueSkill", blank=True, related_name="+", verbose_name=_("required skills"),
        help_text=_("Only agents with every one of these skills are given tickets of this queue."),
    )
    strategy = models.CharField(_("assignment strategy"), max_length=16, choices=Strategy.choices,
                                default=Strategy.ROUND_ROBIN)
    auto_assign = models.BooleanField(
        _("assign automatically"), default=True,
        help_text=_("Off: tickets wait in the queue until an agent takes the next one."),
    )
    # Members are agent profiles, not bare users: assignment filters on what the profile holds (presence, cap,
    # regions, skills), so every member must have one, and the membership row keeps the round-robin position.
    members = models.ManyToManyField(
        "scrm.AgentProfile", through="QueueMembership", related_name="queues", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="queue_org_code_uniq")]

    def __str__(self):
        return self.name


class QueueMembership(TenantModel):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("queue"))
    agent = models.ForeignKey("scrm.AgentProfile", on_delete=models.CASCADE, related_name="queue_memberships",
                              verbose_name=_("agent"))
    # Round robin hands the next ticket to the eligible member who got one from this queue longest ago.
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")
        constraints = [
            models.UniqueConstraint(fields=["organization", "queue", "agent"], name="queuemember_org_queue_uniq"),
        ]
        indexes = [models.Index(fields=["organization", "agent"], name="queuemember_org_agent_idx")]

    def __str__(self):
        return f"{self.queue} · {self.agent}"


class AgentLoad(TenantModel):
    """How many active tickets an agent holds: a counter kept with F() by every service that changes an assignee
    or a status, so the cap is enforced by one conditional UPDATE (`open_tickets < cap`) that also locks the row.
    `agent_load_recount` rebuilds it from the tickets."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("agent"))
    open_tickets = models.IntegerField(_("open tickets"), default=0)
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent load")
        verbose_name_plural = _("agent loads")
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="agentload_org_user_uniq")]


class TicketCounter(TenantModel):
    """The last ticket number handed out per organization and day; incremented by one upsert whose row lock lasts
    until the opening transaction commits, so numbers are unique and gapless under concurrency."""

    day = models.DateField(_("day"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("ticket counter")
        verbose_name_plural = _("ticket counters")
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="ticketcounter_org_day_uniq")]


class TicketTag(TenantModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ticket_tags")
    tag = models.ForeignKey("scrm.Tag", on_delete=models.CASCADE, related_name="ticket_tags")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ticket tag")
        verbose_name_plural = _("ticket tags")
        constraints = [models.UniqueConstraint(fields=["organization", "ticket", "tag"], name="tickettag_uniq")]
        indexes = [models.Index(fields=["organization", "tag", "ticket"], name="tickettag_org_tag_idx")]


class TicketWatcher(TenantModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ticket_watchers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ticket watcher")
        verbose_name_plural = _("ticket watchers")
        constraints = [models.UniqueConstraint(fields=["organization", "ticket", "user"], name="ticketwatcher_uniq")]
        indexes = [models.Index(fields=["organization", "user"], name="ticketwatcher_org_user_idx")]


class Comment(TenantModel):
    """One message on a ticket: a public reply (sent to the customer), an internal note, or an inbound message
    from the customer. Attachments and @mentions come later (a CommentAttachment table with size/type checks)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="comments", verbose_name=_("ticket"))
    is_public = models.BooleanField(_("public"), default=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("author"))
    customer = models.ForeignKey("scrm.Customer", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="ticket_comments", verbose_name=_("customer"))
    # What an agent may send in one reply, on the web form and the API alike (a TextField has no length of its own).
    BODY_MAX_LENGTH = 10_000

    body = models.TextField(_("body"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True, default="")
    # The platform's id of an inbound message: a redelivered message is recognised by it (unique when present).
    message_id = models.CharField(_("channel message id"), max_length=128, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "channel", "message_id"], name="comment_org_message_uniq",
                                    condition=~Q(message_id="")),
            models.CheckConstraint(condition=Q(author__isnull=True) | Q(customer__isnull=True),
                                   name="comment_one_author"),
        ]
        indexes = [models.Index(fields=["organization", "ticket", "created_at"], name="comment_org_ticket_idx")]

    def __str__(self):
        return self.body[:50]


class TicketEvent(TenantModel):
    """One change of a ticket, written in the transaction of the change: the ticket's timeline and audit trail."""

    class Kind(models.TextChoices):
        # An action: "Created" alone is the column title of creation times (创建时间).
        CREATED = "created", pgettext_lazy("ticket event", "Created")
        ASSIGNED = "assigned", _("Assigned")
        UNASSIGNED = "unassigned", _("Unassigned")
        TRANSFERRED = "transferred", _("Transferred")
        STATUS = "status", _("Status changed")
        PRIORITY = "priority", _("Priority changed")
        COMMENT = "comment", _("Comment")
        MERGED = "merged", _("Merged")
        SPLIT = "split", _("Split")
        ESCALATED = "escalated", _("Escalated")
        UPDATED = "updated", _("Details changed")  # subject, type, tags
        RATED = "rated", _("Rated by the customer")
        TAGGED = "tagged", _("Tagged")
        SLA_APPLIED = "sla_applied", _("SLA applied")
        SLA_PAUSED = "sla_paused", _("SLA clock paused")
        SLA_RESUMED = "sla_resumed", _("SLA clock resumed")
        # The shop platform moved the refund, return or exchange the ticket is about (tickets.services.external).
        PLATFORM = "platform", _("Platform update")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events", verbose_name=_("ticket"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"), help_text=_("Empty for the system."))
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("comment"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["organization", "ticket", "created_at"], name="ticketevent_org_ticket_idx"),
            models.Index(fields=["organization", "kind", "created_at"], name="ticketevent_org_kind_idx"),
        ]

    def __str__(self):
        if self.created_at is None:  # not saved yet
            return str(self.get_kind_display())
        # Stored in UTC; shown, like every time in the product, in Asia/Shanghai.
        return f"{self.get_kind_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


class RoutingRule(TenantModel):
    """An ops-editable rule: when a new ticket matches every condition set, the actions apply.

    Rules are tried in `position` order and the first match wins: one rule decides, so ops can read the list
    top-down like a switch and the rule tester can name the one rule that applied.
    """

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Conditions: an empty one matches anything.
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True, default="")
    ticket_type = models.ForeignKey(TicketType, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                    verbose_name=_("ticket type"))
    keywords = models.TextField(
        _("keywords"), blank=True,
        help_text=_("Any of these words in the subject or description matches; one per line or separated by commas."),
    )
    customer_level = models.CharField(_("customer level"), max_length=8, blank=True, default="",
                                      choices=Customer.Level.choices)
    region = models.ForeignKey("scrm.Region", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                               verbose_name=_("region"), help_text=_("Matches this region and every region below it."))
    # Actions.
    set_queue = models.ForeignKey(Queue, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                  verbose_name=_("set queue"))
    set_priority = models.PositiveSmallIntegerField(_("set priority"), choices=Ticket.Priority.choices, null=True,
                                                    blank=True)
    set_type = models.ForeignKey(TicketType, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                 verbose_name=_("set type"))
    add_tags = TenantManyToManyField("scrm.Tag", through="RoutingRuleTag", blank=True, related_name="+",
                                     verbose_name=_("add tags"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["organization", "position"], name="routingrule_org_position_idx")]

    def __str__(self):
        return self.name


# The through rows of the many-to-manys between tenant models: tenant rows, organization first. They keep the
# tables (and column names) Django created for the plain many-to-manys they replace.


class TicketTypeSkill(TenantModel):
    tickettype = models.ForeignKey(TicketType, on_delete=models.CASCADE, related_name="+")
    skill = models.ForeignKey("scrm.Skill", on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "tickets_tickettype_required_skills"
        constraints = [models.UniqueConstraint(fields=["organization", "tickettype", "skill"],
                                               name="tickettypeskill_org_uniq")]


class QueueRegion(TenantModel):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("scrm.Region", on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "tickets_queue_regions"
        constraints = [models.UniqueConstraint(fields=["organization", "queue", "region"],
                                               name="queueregion_org_uniq")]


class QueueTicketType(TenantModel):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    tickettype = models.ForeignKey(TicketType, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "tickets_queue_ticket_types"
        constraints = [models.UniqueConstraint(fields=["organization", "queue", "tickettype"],
                                               name="queuetickettype_org_uniq")]


class QueueSkill(TenantModel):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    skill = models.ForeignKey("scrm.Skill", on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "tickets_queue_required_skills"
        constraints = [models.UniqueConstraint(fields=["organization", "queue", "skill"],
                                               name="queueskill_org_uniq")]


class RoutingRuleTag(TenantModel):
    routingrule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey("scrm.Tag", on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "tickets_routingrule_add_tags"
        constraints = [models.UniqueConstraint(fields=["organization", "routingrule", "tag"],
                                               name="routingruletag_org_uniq")]
