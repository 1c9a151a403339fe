"""Business-time arithmetic on a working calendar, as pure functions (no database, no Django models).

A `Calendar` says when a team works: spans of minutes per weekday (several per day, e.g. 09:00-12:00 and
13:30-18:00), in one time zone, minus public holidays, plus make-up working days (调休: a Saturday or Sunday worked
in exchange for a longer holiday), which work the spans given for them or else the calendar's standard day.

Business time is *elapsed* time inside working spans: each local span is turned into an interval of real (UTC)
time through zoneinfo, so a zone with daylight saving counts the hour it really worked, and adding N minutes then
measuring from the same start gives back exactly N.

    add_business_minutes(calendar, start, minutes)  -> the moment N business minutes after `start`
    subtract_business_minutes(calendar, end, minutes) -> the moment N business minutes before `end`
    business_minutes_between(calendar, a, b)        -> business minutes from a to b (negative when b < a)

A result of adding N > 0 minutes always lies inside a working span, its end included (a target due "at 18:00"
is due at 18:00, not at 09:00 the next morning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# A calendar whose next working minute is further away than this is treated as having none (a holiday list can
# close a week or two; nobody closes for three years).
SEARCH_DAYS = 3 * 366

Span = tuple[int, int]  # (start minute, end minute) of a local day, 0 <= start < end <= 1440


class CalendarError(ValueError):
    """The calendar cannot be used for arithmetic (no working time at all, a bad span)."""


def parse_hhmm(text):
    """"09:30" -> 570; "24:00" -> 1440 (the end of a day)."""
    hours, _, minutes = str(text).strip().partition(":")
    if not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise CalendarError(f"Not a time of day: {text!r} (expected HH:MM).")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or not 0 <= value <= MINUTES_PER_DAY:
        raise CalendarError(f"Not a time of day: {text!r} (expected HH:MM).")
    return value


def format_hhmm(minute):
    return f"{minute // 60:02d}:{minute % 60:02d}"


def spans_check(spans):
    """Spans sorted and validated: each starts before it ends, within the day, none overlapping another."""
    ordered = sorted((int(start), int(end)) for start, end in spans)
    previous_end = None
    for start, end in ordered:
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise CalendarError(f"A working span must start before it ends: {format_hhmm(start)}-{format_hhmm(end)}.")
        if previous_end is not None and start < previous_end:
            raise CalendarError(f"Working spans overlap at {format_hhmm(start)}.")
        previous_end = end
    return tuple(ordered)


@dataclass(frozen=True)
class Calendar:
    """When a team works. `weekly[0]` is Monday's spans ... `weekly[6]` Sunday's.

    `makeup` maps a make-up working day to its spans; an empty tuple means "the standard day" (the first weekday
    with working time, usually Monday). A date that is both a holiday and a make-up day is a make-up day.
    """

    weekly: tuple[tuple[Span, ...], ...]
    tz: str = "Asia/Shanghai"
    holidays: frozenset[date] = frozenset()
    makeup: tuple[tuple[date, tuple[Span, ...]], ...] = ()
    _makeup: dict = field(default=None, compare=False, hash=False, repr=False)
    _zone: ZoneInfo = field(default=None, compare=False, hash=False, repr=False)
    _hash: int = field(default=None, compare=False, hash=False, repr=False)

    def __post_init__(self):
        if len(self.weekly) != 7:
            raise CalendarError("A calendar needs the spans of each of the 7 weekdays.")
        weekly = tuple(spans_check(day) for day in self.weekly)
        makeup = tuple(sorted((day, spans_check(spans)) for day, spans in self.makeup))
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "makeup", makeup)
        object.__setattr__(self, "_makeup", dict(makeup))
        object.__setattr__(self, "_zone", ZoneInfo(self.tz))
        # Hashed on every lookup of a day's intervals (their cache is keyed by the calendar): worked out once.
        object.__setattr__(self, "_hash", hash((self.weekly, self.tz, self.holidays, self.makeup)))
        if not any(weekly) and not any(spans or self.standard_day for _, spans in makeup):
            raise CalendarError("A calendar needs some working time.")

    def __hash__(self):
        return self._hash

    @property
    def zone(self):
        return self._zone

    @property
    def standard_day(self):
        return next((spans for spans in self.weekly if spans), ())

    def spans_on(self, day):
        """The local working spans of one date, holidays and make-up days applied."""
        if day in self._makeup:
            return self._makeup[day] or self.standard_day
        if day in self.holidays:
            return ()
        return self.weekly[day.weekday()]


def calendar_24x7(tz="Asia/Shanghai", **kwargs):
    return Calendar(weekly=(((0, MINUTES_PER_DAY),),) * 7, tz=tz, **kwargs)


def calendar_7x12(tz="Asia/Shanghai", **kwargs):
    return Calendar(weekly=(((8 * 60, 20 * 60),),) * 7, tz=tz, **kwargs)


def _local_moment(day, minute, zone):
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone).astimezone(UTC)


@lru_cache(maxsize=65536)
def _intervals(calendar, day):
    """The working intervals of one local date, in UTC, in order. A span that a clock change makes empty
    (it fell in the skipped hour) is dropped."""
    result = []
    for start, end in calendar.spans_on(day):
        begin, finish = _local_moment(day, start, calendar.zone), _local_moment(day, end, calendar.zone)
        if finish > begin:
            result.append((begin, finish))
    return tuple(result)


def _aware(moment):
    if moment.tzinfo is UTC:
        return moment  # what the database gives: nothing to check or convert
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError("Business-time arithmetic needs aware datetimes.")
    return moment.astimezone(UTC)


def _local_date(moment, calendar):
    return moment.astimezone(calendar.zone).date()


def add_business_minutes(calendar, start, minutes):
    """The moment `minutes` business minutes after `start` (returned in UTC). Zero returns `start` itself;
    negative minutes are refused (a deadline never moves back in time)."""
    start = _aware(start)
    if minutes < 0:
        raise CalendarError("Cannot add a negative number of business minutes.")
    if minutes == 0:
        return start
    remaining = timedelta(minutes=minutes)
    # The day before too: its last span may end after `start` when the zone's offset moved.
    day = _local_date(start, calendar) - timedelta(days=1)
    idle = 0
    while True:
        intervals = _intervals(calendar, day)
        worked = False
        for begin, finish in intervals:
            if finish <= start:
                continue
            worked = True
            begin = max(begin, start)
            available = finish - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        idle = 0 if worked or intervals else idle + 1
        if idle > SEARCH_DAYS:
            raise CalendarError("The calendar has no working time in the coming years.")
        day += timedelta(days=1)


def subtract_business_minutes(calendar, end, minutes):
    """The moment `minutes` business minutes before `end`: the inverse of `add_business_minutes` (an at-risk
    moment is "a quarter of the target before the due time")."""
    end = _aware(end)
    if minutes < 0:
        raise CalendarError("Cannot subtract a negative number of business minutes.")
    if minutes == 0:
        return end
    remaining = timedelta(minutes=minutes)
    day = _local_date(end, calendar) + timedelta(days=1)
    idle = 0
    while True:
        intervals = _intervals(calendar, day)
        worked = False
        for begin, finish in reversed(intervals):
            if begin >= end:
                continue
            worked = True
            finish = min(finish, end)
            available = finish - begin
            if remaining <= available:
                return finish - remaining
            remaining -= available
        idle = 0 if worked or intervals else idle + 1
        if idle > SEARCH_DAYS:
            raise CalendarError("The calendar has no working time in the past years.")
        day -= timedelta(days=1)


def business_minutes_between(calendar, a, b):
    """Business minutes from `a` to `b` (a float, exact for whole minutes); negative when `b` is before `a`."""
    a, b = _aware(a), _aware(b)
    if b < a:
        return -business_minutes_between(calendar, b, a)
    total = timedelta()
    day, last = _local_date(a, calendar) - timedelta(days=1), _local_date(b, calendar) + timedelta(days=1)
    while day <= last:
        for begin, finish in _intervals(calendar, day):
            overlap = min(finish, b) - max(begin, a)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total / timedelta(minutes=1)


def is_working_time(calendar, moment, *, include_end=False):
    """Whether `moment` lies inside a working span ([start, end), or [start, end] with include_end)."""
    moment = _aware(moment)
    day = _local_date(moment, calendar)
    for candidate in (day - timedelta(days=1), day, day + timedelta(days=1)):
        for begin, finish in _intervals(calendar, candidate):
            if begin <= moment < finish or (include_end and moment == finish):
                return True
    return False
