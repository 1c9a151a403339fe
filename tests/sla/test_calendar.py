"""Business-time arithmetic (sla.calendar): worked examples, the 2026 Spring Festival and its make-up
working days, other zones, and properties checked by hypothesis on random moments and durations."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import (
    Calendar,
    CalendarError,
    add_business_minutes,
    business_minutes_between,
    calendar_7x12,
    calendar_24x7,
    is_working_time,
    parse_hhmm,
    subtract_business_minutes,
)

SH = ZoneInfo("Asia/Shanghai")
OFFICE = ((9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60))  # 09:00-12:00, 13:30-18:00: 7.5 hours

# The State Council's 2026 arrangement: Spring Festival off 15-23 February, Saturdays 14 and 28 February worked.
SPRING_2026 = frozenset(date(2026, 2, d) for d in range(15, 24))
MAKEUP_2026 = ((date(2026, 2, 14), ()), (date(2026, 2, 28), ()))


def office(tz="Asia/Shanghai", **kwargs):
    return Calendar(weekly=(OFFICE,) * 5 + ((), ()), tz=tz, **kwargs)


def sh(*args):
    return datetime(*args, tzinfo=SH)


def test_adds_within_one_span():
    assert add_business_minutes(office(), sh(2026, 11, 23, 9, 0), 60) == sh(2026, 11, 23, 10, 0)


def test_skips_lunch_and_night():
    cal = office()
    # Monday 11:30 + 60 min: 30 before lunch, 30 after 13:30.
    assert add_business_minutes(cal, sh(2026, 11, 23, 11, 30), 60) == sh(2026, 11, 23, 14, 0)
    # Monday 17:00 + 120 min: 60 on Monday, 60 on Tuesday morning.
    assert add_business_minutes(cal, sh(2026, 11, 23, 17, 0), 120) == sh(2026, 11, 24, 10, 0)


def test_a_target_due_at_the_end_of_the_day_is_due_then():
    assert add_business_minutes(office(), sh(2026, 11, 23, 17, 0), 60) == sh(2026, 11, 23, 18, 0)


def test_skips_the_weekend():
    # Friday 17:30 + 60: 30 on Friday, 30 on Monday.
    assert add_business_minutes(office(), sh(2026, 11, 27, 17, 30), 60) == sh(2026, 11, 30, 9, 30)


def test_start_outside_working_time_starts_at_the_next_span():
    assert add_business_minutes(office(), sh(2026, 11, 28, 3, 0), 1) == sh(2026, 11, 30, 9, 1)


def test_spring_festival_2026_is_skipped():
    cal = office(holidays=SPRING_2026, makeup=MAKEUP_2026)
    # Friday 13 February 17:00, 120 minutes: 60 that day, 60 on the make-up Saturday the 14th.
    assert add_business_minutes(cal, sh(2026, 2, 13, 17, 0), 120) == sh(2026, 2, 14, 10, 0)
    # Saturday 14th (worked) at 17:00 + 120: 60 that day, then nine days off, then Tuesday the 24th.
    assert add_business_minutes(cal, sh(2026, 2, 14, 17, 0), 120) == sh(2026, 2, 24, 10, 0)
    # The whole holiday has no business time; the 28th (a Saturday) is worked a standard day.
    assert business_minutes_between(cal, sh(2026, 2, 14, 18, 0), sh(2026, 2, 24, 9, 0)) == 0
    assert business_minutes_between(cal, sh(2026, 2, 28, 0, 0), sh(2026, 3, 1, 0, 0)) == 450
    # Without the make-up day, Saturday the 14th is a weekend day.
    plain = office(holidays=SPRING_2026)
    assert add_business_minutes(plain, sh(2026, 2, 13, 17, 0), 120) == sh(2026, 2, 24, 10, 0)


def test_spring_festival_week_counts_from_the_seeded_package():
    import chinese_calendar

    holidays = frozenset(d for d in chinese_calendar.holidays if d.year == 2026)
    makeup = tuple((d, ()) for d in chinese_calendar.workdays if d.year == 2026)
    cal = office(holidays=holidays, makeup=makeup)
    # February 2026: 20 weekdays, 6 of them in the holiday (16-20, 23), plus 2 worked Saturdays = 16 days.
    assert business_minutes_between(cal, sh(2026, 2, 1), sh(2026, 3, 1)) == 16 * 450


def test_make_up_day_with_its_own_spans():
    cal = office(makeup=((date(2026, 2, 14), ((10 * 60, 12 * 60),)),))
    assert business_minutes_between(cal, sh(2026, 2, 14), sh(2026, 2, 15)) == 120


def test_24x7_and_7x12_presets():
    assert add_business_minutes(calendar_24x7(), sh(2026, 2, 15, 23, 0), 120) == sh(2026, 2, 16, 1, 0)
    assert add_business_minutes(calendar_7x12(), sh(2026, 2, 15, 19, 0), 120) == sh(2026, 2, 16, 9, 0)


def test_other_zone_with_daylight_saving():
    # New York springs forward on 8 March 2026 at 02:00: a 00:00-04:00 span that night lasts 3 real hours.
    ny = ZoneInfo("America/New_York")
    cal = Calendar(weekly=(((0, 240),),) * 7, tz="America/New_York")
    assert business_minutes_between(cal, datetime(2026, 3, 8, tzinfo=ny), datetime(2026, 3, 9, tzinfo=ny)) == 180
    assert business_minutes_between(cal, datetime(2026, 3, 7, tzinfo=ny), datetime(2026, 3, 8, tzinfo=ny)) == 240
    start = datetime(2026, 3, 7, 3, 0, tzinfo=ny)
    assert add_business_minutes(cal, start, 120) == datetime(2026, 3, 8, 1, 0, tzinfo=ny)


def test_between_is_antisymmetric_and_zero_on_equal():
    a, b = sh(2026, 11, 23, 10, 0), sh(2026, 11, 24, 10, 0)
    assert business_minutes_between(office(), a, b) == 450
    assert business_minutes_between(office(), b, a) == -450
    assert business_minutes_between(office(), a, a) == 0


def test_bad_calendars_are_refused():
    with pytest.raises(CalendarError):
        Calendar(weekly=((),) * 7)
    with pytest.raises(CalendarError, match="overlap"):
        Calendar(weekly=(((540, 720), (700, 800)),) * 7)
    with pytest.raises(CalendarError):
        Calendar(weekly=(((720, 540),),) * 7)
    with pytest.raises(CalendarError):
        parse_hhmm("25:00")
    assert parse_hhmm("24:00") == 1440


def test_naive_and_negative_are_refused():
    with pytest.raises(CalendarError):
        add_business_minutes(office(), datetime(2026, 1, 5, 9, 0), 5)  # noqa: DTZ001 - the case under test
    with pytest.raises(CalendarError):
        add_business_minutes(office(), sh(2026, 1, 5, 9, 0), -5)


# --- properties -------------------------------------------------------------------------------------------------

CALENDARS = [
    office(),
    office(holidays=SPRING_2026, makeup=MAKEUP_2026),
    calendar_24x7(),
    calendar_7x12(),
    office(tz="America/New_York"),
    Calendar(weekly=(((0, 240), (1200, 1440)),) * 6 + ((),), tz="Europe/London"),
    Calendar(weekly=((), (), (), (), (), ((600, 660),), ()), tz="Australia/Lord_Howe"),  # half-hour DST shift
]

moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),  # noqa: DTZ001
                       timezones=st.just(UTC))
calendars = st.sampled_from(CALENDARS)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=moments, minutes=st.integers(min_value=0, max_value=60_000))
def test_add_then_measure_returns_n(cal, start, minutes):
    end = add_business_minutes(cal, start, minutes)
    assert business_minutes_between(cal, start, end) == minutes


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=moments, minutes=st.integers(min_value=1, max_value=60_000))
def test_result_is_in_working_time(cal, start, minutes):
    end = add_business_minutes(cal, start, minutes)
    assert end > start
    assert is_working_time(cal, end, include_end=True)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=moments, n=st.integers(min_value=0, max_value=30_000),
       more=st.integers(min_value=1, max_value=30_000))
def test_monotonic_in_n(cal, start, n, more):
    assert add_business_minutes(cal, start, n) < add_business_minutes(cal, start, n + more)


@settings(max_examples=200, deadline=None)
@given(cal=calendars, a=moments, b=moments, c=moments)
def test_between_is_additive(cal, a, b, c):
    a, b, c = sorted((a, b, c))
    total = business_minutes_between(cal, a, c)
    assert abs(business_minutes_between(cal, a, b) + business_minutes_between(cal, b, c) - total) < 1e-6
    assert total <= (c - a) / timedelta(minutes=1) + 1e-6


@settings(max_examples=200, deadline=None)
@given(cal=calendars, end=moments, minutes=st.integers(min_value=0, max_value=60_000))
def test_subtract_then_measure_returns_n(cal, end, minutes):
    start = subtract_business_minutes(cal, end, minutes)
    assert business_minutes_between(cal, start, end) == minutes


def test_subtract_across_the_spring_festival():
    cal = office(holidays=SPRING_2026, makeup=MAKEUP_2026)
    assert subtract_business_minutes(cal, sh(2026, 2, 24, 10, 0), 120) == sh(2026, 2, 14, 17, 0)
