"""SLA configuration: business calendars (weekly hours, holidays, make-up working days), policies with their
per-priority targets, and the escalation ladder. Validation lives in `clean()` so the admin shows it on the
field; the services call the same checks (`full_clean`) before saving. The arithmetic is in sla.calendar.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from scrm.models import Channel, Customer
from scrm.platform.tenancy import TenantModel
from sla.calendar import CalendarError, format_hhmm, parse_hhmm, spans_check

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

MSG_NO_WORKING_TIME = _("A calendar needs some working time: give at least one weekday a working span.")
MSG_SPANS_OVERLAP = _("Working spans overlap on %(day)s: %(spans)s.")
MSG_SPAN_BAD = _("Each working span is “HH:MM-HH:MM” and starts before it ends (%(day)s: “%(span)s”).")
MSG_BAD_ZONE = _("Unknown time zone “%(zone)s”.")
MSG_TARGET_POSITIVE = _("SLA targets are whole minutes above zero (%(field)s: %(value)s).")
MSG_LADDER_ORDER = _("Escalation step %(position)s (%(trigger)s) fires before the step above it: order the ladder "
                     "from the earliest trigger to the latest.")
MSG_STEP_NO_ACTION = _("An escalation step needs at least one action.")
MSG_STEP_VALUE = _("A percentage trigger needs a percentage between 1 and 100; an “after breach” trigger a number of "
                   "minutes above zero.")
MSG_TARGET_DUPLICATE = _("Give each priority one set of targets.")
MSG_HOLIDAY_SPANS = _("Only a make-up working day has working spans; a holiday has none.")


def spans_from_text(value, *, day="", field="weekly_hours"):
    """["09:00-12:00", "13:30-18:00"] -> ((540, 720), (810, 1080)), or a ValidationError saying what is wrong."""
    spans = []
    for text in value or ():
        start, sep, end = str(text).partition("-")
        try:
            if not sep:
                raise CalendarError(text)
            spans.append((parse_hhmm(start), parse_hhmm(end)))
        except CalendarError:
            raise ValidationError({field: MSG_SPAN_BAD % {"day": day, "span": text}}) from None
    try:
        return spans_check(spans)
    except CalendarError:
        if any(start >= end for start, end in spans):
            bad = next(f"{format_hhmm(s)}-{format_hhmm(e)}" for s, e in spans if s >= e)
            raise ValidationError({field: MSG_SPAN_BAD % {"day": day, "span": bad}}) from None
        raise ValidationError({field: MSG_SPANS_OVERLAP % {"day": day, "spans": ", ".join(value)}}) from None


def weekly_hours_preset(start="08:00", end="20:00", days=WEEKDAYS):
    return {day: ([f"{start}-{end}"] if day in days else []) for day in WEEKDAYS}


PRESET_24X7 = weekly_hours_preset("00:00", "24:00")
PRESET_7X12 = weekly_hours_preset("08:00", "20:00")
PRESET_OFFICE = {day: (["09:00-12:00", "13:30-18:00"] if day in WEEKDAYS[:5] else []) for day in WEEKDAYS}


class BusinessCalendar(TenantModel):
    """When a team works: weekly spans per weekday in one time zone, minus holidays, plus make-up working days.

    `weekly_hours` is {"mon": ["09:00-12:00", "13:30-18:00"], ..., "sun": []}: validated JSON rather than a row
    per span, because ops edit a week as one thing and the arithmetic reads it whole.
    """

    class Preset(models.TextChoices):
        H24X7 = "24x7", _("7×24")
        H7X12 = "7x12", _("7×12 (08:00–20:00)")
        OFFICE = "office", _("Office hours (Mon–Fri 09:00–12:00, 13:30–18:00)")
        CUSTOM = "custom", _("Custom")

    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    preset = models.CharField(_("preset"), max_length=8, choices=Preset.choices, default=Preset.CUSTOM)
    weekly_hours = models.JSONField(
        _("weekly hours"), default=dict,
        help_text=_('Per weekday a list of spans, e.g. {"mon": ["09:00-12:00", "13:30-18:00"], "sat": []}.'),
    )
    follows_china_holidays = models.BooleanField(
        _("follows the mainland China holidays"), default=True,
        help_text=_("Public holidays and 调休 make-up working days are seeded into this calendar."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="bizcalendar_org_name_uniq")]

    def __str__(self):
        return self.name

    def weekly_spans(self):
        """The 7 weekdays' spans in minutes (Monday first), validated."""
        hours = self.weekly_hours or {}
        if not isinstance(hours, dict) or set(hours) - set(WEEKDAYS):
            raise ValidationError({"weekly_hours": MSG_SPAN_BAD % {"day": "?", "span": str(hours)[:60]}})
        return tuple(spans_from_text(hours.get(day, []), day=day) for day in WEEKDAYS)

    def clean(self):
        super().clean()
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": MSG_BAD_ZONE % {"zone": self.time_zone}}) from None
        if not any(self.weekly_spans()):
            raise ValidationError({"weekly_hours": MSG_NO_WORKING_TIME})


class CalendarDay(TenantModel):
    """A date that breaks the weekly pattern: a holiday (no work) or a make-up working day (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by ops")
        CHINA = "china", _("Mainland China calendar")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days",
                                 verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)
    spans = models.JSONField(
        _("working spans"), default=list, blank=True,
        help_text=_('A make-up day\'s spans, e.g. ["09:00-18:00"]; empty: the calendar\'s standard day.'),
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "calendar", "date"], name="calendarday_org_date_uniq"),
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"

    def clean(self):
        super().clean()
        if self.kind == self.Kind.HOLIDAY and self.spans:
            raise ValidationError({"spans": MSG_HOLIDAY_SPANS})
        spans_from_text(self.spans, day=str(self.date), field="spans")


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SLAPolicy(TenantModel):
    """Which tickets a set of targets applies to. Policies are tried in `position` order, the first whose every
    set condition matches wins (an empty condition matches anything), like the routing rules."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="policies",
                                 verbose_name=_("calendar"))
    queue = models.ForeignKey("tickets.Queue", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                              verbose_name=_("queue"))
    ticket_type = models.ForeignKey("tickets.TicketType", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="+", verbose_name=_("ticket type"))
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True,
                                                choices=[(1, "P1"), (2, "P2"), (3, "P3"), (4, "P4")])
    customer_level = models.CharField(_("customer level"), max_length=8, blank=True, default="",
                                      choices=Customer.Level.choices)
    channel = models.CharField(_("channel"), max_length=16, blank=True, default="", choices=Channel.choices)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        # Reading the SLA compliance report (sla.report.user_reads_sla_reports): supervisors, ops admins, viewers,
        # and a custom role that grants it.
        permissions = [("view_sla_report", _("Can read the SLA compliance report"))]
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="slapolicy_org_name_uniq")]
        indexes = [models.Index(fields=["organization", "position"], name="slapolicy_org_position_idx")]

    def __str__(self):
        return self.name


class SLATarget(TenantModel):
    """A policy's targets for one priority, in business minutes of the policy's calendar. Next response is
    optional (empty: not measured)."""

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="targets", verbose_name=_("policy"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=[(1, "P1"), (2, "P2"), (3, "P3"), (4, "P4")])
    first_response_minutes = models.IntegerField(_("first response (business minutes)"))
    next_response_minutes = models.IntegerField(_("next response (business minutes)"), null=True, blank=True)
    resolution_minutes = models.IntegerField(_("resolution (business minutes)"))

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["priority"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "policy", "priority"], name="slatarget_org_policy_uniq"),
        ]

    def __str__(self):
        return f"P{self.priority}"

    def minutes(self, metric):
        return {
            Metric.FIRST_RESPONSE: self.first_response_minutes,
            Metric.NEXT_RESPONSE: self.next_response_minutes,
            Metric.RESOLUTION: self.resolution_minutes,
        }[metric]

    def clean(self):
        super().clean()
        for name in ("first_response_minutes", "next_response_minutes", "resolution_minutes"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                label = self._meta.get_field(name).verbose_name
                raise ValidationError({name: MSG_TARGET_POSITIVE % {"field": label, "value": value}})


class EscalationStep(TenantModel):
    """One rung of a policy's ladder: when a metric's clock reaches the trigger, the actions run once.

    Steps run in `position` order; within one metric each step must fire no earlier than the one above it
    (75% → breach → 30 minutes after breach), which `escalation_ladder_check` enforces when the ladder is saved.
    """

    class Trigger(models.TextChoices):
        PERCENT = "percent", _("At a percentage of the target")
        BREACH = "breach", _("At breach")
        AFTER_BREACH = "after_breach", _("Minutes after breach")

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="steps", verbose_name=_("policy"))
    position = models.PositiveIntegerField(_("position"), default=0)
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices, default=Metric.RESOLUTION)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices, default=Trigger.BREACH)
    trigger_value = models.PositiveIntegerField(
        _("percent / minutes"), default=0,
        help_text=_("The percentage of the target (1–100), or the business minutes after breach."),
    )
    notify_assignee = models.BooleanField(_("notify the assignee"), default=False)
    notify_supervisor = models.BooleanField(_("notify the supervisor"), default=False)
    notify_team = models.ForeignKey("scrm.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("notify a team"))
    reassign_queue = models.ForeignKey("tickets.Queue", on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("reassign to queue"))
    reassign_to_supervisor = models.BooleanField(_("reassign to the supervisor"), default=False)
    raise_priority = models.BooleanField(_("raise the priority one level"), default=False)
    via_wecom = models.BooleanField(_("also send a WeCom message"), default=False)
    via_sms = models.BooleanField(_("also send an SMS"), default=False)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["organization", "policy", "position"], name="escstep_org_policy_idx")]

    def __str__(self):
        return f"{self.get_metric_display()} · {self.trigger_label()}"

    def trigger_label(self):
        if self.trigger == self.Trigger.PERCENT:
            return f"{self.trigger_value}%"
        if self.trigger == self.Trigger.AFTER_BREACH:
            return _("breach + %(minutes)s min") % {"minutes": self.trigger_value}
        return str(_("breach"))

    def sort_key(self):
        """Comparable moment of the trigger within its metric: percent < breach < after breach by minutes."""
        if self.trigger == self.Trigger.PERCENT:
            return (0, self.trigger_value)
        if self.trigger == self.Trigger.BREACH:
            return (1, 0)
        return (2, self.trigger_value)

    def has_action(self):
        return any((self.notify_assignee, self.notify_supervisor, self.notify_team_id, self.reassign_queue_id,
                    self.reassign_to_supervisor, self.raise_priority, self.via_wecom, self.via_sms))

    def clean(self):
        super().clean()
        if self.trigger == self.Trigger.PERCENT and not 1 <= self.trigger_value <= 100:
            raise ValidationError({"trigger_value": MSG_STEP_VALUE})
        if self.trigger == self.Trigger.AFTER_BREACH and self.trigger_value <= 0:
            raise ValidationError({"trigger_value": MSG_STEP_VALUE})
        if not self.has_action():
            raise ValidationError(MSG_STEP_NO_ACTION)


def escalation_ladder_check(steps):
    """Refuse a ladder (steps in position order) where a step of a metric fires before an earlier step of it."""
    last = {}
    for step in steps:
        key = step.sort_key()
        if step.metric in last and key < last[step.metric]:
            raise ValidationError(MSG_LADDER_ORDER % {"position": step.position, "trigger": step.trigger_label()})
        last[step.metric] = key
