"""Durations read as people say them: 4小时46分 and 1天5小时 in Chinese, 4 h 46 min in English (its spaces no-break:
a line never breaks inside a duration)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import translation

from scrm.durations import duration_text


@pytest.mark.parametrize(("seconds", "chinese", "english"), [
    (0, "0分钟", "0 min"),
    (59, "0分钟", "0 min"),
    (12 * 60 + 30, "12分钟", "12 min"),
    ((4 * 60 + 46) * 60, "4小时46分", "4 h 46 min"),
    ((4 * 60 + 5) * 60, "4小时05分", "4 h 05 min"),
    (-(4 * 60 + 46) * 60, "4小时46分", "4 h 46 min"),
    ((29 * 60 + 59) * 60, "1天5小时", "1 d 5 h"),
])
def test_a_duration_reads_in_the_language_of_the_page(seconds, chinese, english):
    with translation.override("zh-hans"):
        assert duration_text(seconds) == chinese
    with translation.override("en"):
        assert duration_text(seconds) == english.replace(" ", "\u00a0")


def test_the_sla_badge_counts_down_in_chinese_and_hands_the_same_patterns_to_the_browser():
    now = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)

    class Ticket:  # answered already; its resolution is due in 4 h 46 min
        sla_state = "on_track"
        status = "open"
        sla_policy_id = 1
        first_response_at = first_response_due_at = now - timedelta(hours=1)
        next_response_due_at = resolved_at = paused_since = sla_warn_at = None
        resolution_due_at = now + timedelta(hours=4, minutes=46)
        sla_breached = False

    with translation.override("zh-hans"):
        html = Template("{% load sla %}{% sla_badge ticket now %}").render(Context({"ticket": Ticket(), "now": now}))
    assert "解决剩余 4小时46分" in html
    assert 'data-fmt-hours="{h}小时{m}分"' in html
    assert 'data-fmt-days="{d}天{h}小时"' in html
    assert "4h" not in html
