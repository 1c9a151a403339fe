"""Reads of the SLA settings pages: policies and calendars of the open organization scope, the due times a new
ticket would get, and which calendars still miss the coming year's holidays."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scrm.models import SettingsChange
from sla.calendar import add_business_minutes
from sla.models import BusinessCalendar, CalendarDay, SLAPolicy
from sla.services import calendar_value

BANNER_FROM_MONTH = 12  # from 1 December ops are reminded to enter the coming year's holidays


def sla_policy_list():
    return (SLAPolicy.objects.select_related("calendar", "queue", "ticket_type")
            .prefetch_related("targets").annotate(step_count=Count("steps")).order_by("position", "pk"))


def sla_policy_get(*, pk):
    return SLAPolicy.objects.select_related("calendar").get(pk=pk)


def business_calendar_list():
    year = timezone.localdate().year
    return (BusinessCalendar.objects.annotate(
        holiday_count=Count("days", filter=Q(days__kind=CalendarDay.Kind.HOLIDAY, days__date__year__gte=year)),
        policy_count=Count("policies", distinct=True),
    ).order_by("name"))


def business_calendar_get(*, pk):
    return BusinessCalendar.objects.get(pk=pk)


def calendar_day_get(*, calendar, pk):
    return CalendarDay.objects.get(calendar=calendar, pk=pk)


# The chinese-calendar package names the days it gives in English; the seeded days keep that name, shown translated.
CHINA_DAY_NAMES = {
    "New Year's Day": _("New Year's Day"),
    "Spring Festival": _("Spring Festival"),
    "Tomb-sweeping Day": _("Tomb-sweeping Day"),
    "Labour Day": _("Labour Day"),
    "Dragon Boat Festival": _("Dragon Boat Festival"),
    "National Day": _("National Day"),
    "Mid-autumn Festival": _("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": _("Anti-Fascist 70th Day"),
}


def calendar_day_name(day):
    """A calendar day's name in the page's language: ops' own words as typed, the seeded holidays translated."""
    if day.source == CalendarDay.Source.CHINA:
        return str(CHINA_DAY_NAMES.get(day.name, day.name))
    return day.name


def calendar_days(*, calendar, year):
    return CalendarDay.objects.filter(calendar=calendar, date__year=year).order_by("date")


def calendar_years(*, calendar):
    """The years the calendar holds days for, plus this year and the next, newest last."""
    this_year = timezone.localdate().year
    years = set(CalendarDay.objects.filter(calendar=calendar).dates("date", "year").values_list("date__year",
                                                                                                 flat=True))
    return sorted(years | {this_year, this_year + 1})


def calendars_missing_next_year(*, calendars=None, today=None):
    """From 1 December, the calendars that follow the holidays but hold none for the coming year (the
    chinese-calendar package stops at the last year the State Council published): the year and the calendars."""
    today = today or timezone.localdate()
    if today.month < BANNER_FROM_MONTH:
        return None, []
    year = today.year + 1
    calendars = BusinessCalendar.objects.all() if calendars is None else calendars
    covered = CalendarDay.objects.filter(kind=CalendarDay.Kind.HOLIDAY, date__year=year).values("calendar_id")
    missing = list(calendars.filter(follows_china_holidays=True).exclude(pk__in=covered).order_by("name"))
    return year, missing


def settings_changes(*, instance, limit=20):
    return (SettingsChange.objects.filter(subject=instance._meta.label_lower, subject_id=instance.pk)
            .select_related("by")[:limit])


@dataclass(frozen=True)
class DuePreview:
    priority: int
    first_response_due: datetime
    next_response_due: datetime | None
    resolution_due: datetime


def sla_due_preview(*, calendar, targets, now=None):
    """The due times a ticket of each target's priority opened `now` would get on `calendar` (targets: objects
    with priority and the three minutes), in priority order."""
    now = now or timezone.now()
    value = calendar_value(calendar)
    rows = []
    for target in sorted(targets, key=lambda t: t.priority):
        rows.append(DuePreview(
            priority=target.priority,
            first_response_due=add_business_minutes(value, now, target.first_response_minutes),
            next_response_due=(add_business_minutes(value, now, target.next_response_minutes)
                               if target.next_response_minutes else None),
            resolution_due=add_business_minutes(value, now, target.resolution_minutes),
        ))
    return rows
