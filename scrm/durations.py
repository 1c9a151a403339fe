"""A length of time as people read it on a page: "4小时46分", "1天5小时", "12分钟" (and "4 h 46 min" in English).

One format for the server and the browser: `duration_text` renders it here, and `duration_patterns` hands the same
translated patterns to the pages whose countdowns tick in JavaScript (static/js/sla.js), so the two never differ.
"""

from django.utils.translation import gettext

__all__ = ["duration_parts", "duration_patterns", "duration_text"]

NO_BREAK_SPACE = "\u00a0"


def duration_patterns():
    """The three translated patterns, with {d}, {h}, {m} where the numbers go (minutes always two digits after
    hours). Their spaces are no-break spaces: a duration is read as one word, so a line never breaks inside it
    ("4 h / 46 min") however narrow the badge or cell that wraps around it."""
    patterns = {
        # Translators: a duration of days and hours, such as 1天5小时. Keep {d} and {h}.
        "days": gettext("{d} d {h} h"),
        # Translators: a duration of hours and minutes, such as 4小时46分. Keep {h} and {m}.
        "hours": gettext("{h} h {m} min"),
        # Translators: a duration in minutes, such as 12分钟. Keep {m}.
        "minutes": gettext("{m} min"),
    }
    return {key: pattern.replace(" ", NO_BREAK_SPACE) for key, pattern in patterns.items()}


def duration_parts(seconds):
    """(days, hours, minutes) of abs(seconds), whole minutes."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return days, hours, minutes


def duration_text(seconds):
    """The largest two units of a duration (the sign is the caller's: "overdue 3 h" or "3 h left")."""
    if seconds is None:
        return ""
    days, hours, minutes = duration_parts(seconds)
    patterns = duration_patterns()
    if days:
        return patterns["days"].format(d=days, h=hours)
    if hours:
        return patterns["hours"].format(h=hours, m=f"{minutes:02d}")
    return patterns["minutes"].format(m=minutes)
