"""Helpers of the statement tests: entries of a realistic day and the channel objects to parse them with."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from demo.statement_files import Entry

CHINA = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 30)


def at(hour, minute=0, second=0, day=DAY):
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=CHINA)


def day_entries():
    """Three payments (one a minute before midnight) and one refund, as a channel would report a quiet day."""
    return [
        Entry("NO1001", "4200002026113012345678901", Decimal("2999.00"), at(9, 15, 2), product="星河 1.5 匹变频空调"),
        Entry("NO1002", "4200002026113012345678902", Decimal("199.00"), at(14, 3, 55), product="星河滤芯（一年装）"),
        Entry("NO1003", "4200002026113012345678903", Decimal("1299.00"), at(23, 59, 41), product="星河 60 升电热水器"),
        Entry("NO1001", "4200002026113012345678901", Decimal("300.00"), at(16, 20), kind="refund",
              refund_number="RF1001", refund_id="50300002026113012345678901"),
    ]


class FakeChannel:
    """What a parser reads of a channel (tests of the parsers alone need no database)."""

    def __init__(self, mapping=None, currency="CNY"):
        self.mapping, self.currency = mapping or {}, currency
