"""Field logic: visible-if and required-if conditions, evaluated on the answers given so far.

The same rules run in the browser (static/js/forms_public.js mirrors this module operator for operator), but only
this evaluation decides what is stored. A condition names a field placed before its own (the schema check enforces
it), so one pass in field order evaluates every condition, and a field hidden by its own condition counts as empty
for the fields after it.
"""

import re
from decimal import Decimal, InvalidOperation


def is_empty(value):
    return value is None or value == "" or value == [] or value is False


# What reads as a number, exactly as the browser's mirror reads it (no "1_000", no full-width digits, no "Infinity").
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def _number(value):
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if not _NUMBER.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _same(left, right):
    """Equal as numbers when both read as numbers ("5" and 5.0), else as text."""
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a == b
    return str(left) == str(right)


def _values(value):
    return value if isinstance(value, list) else [value]


def condition_holds(condition, answers):
    """One condition ({"field", "op", "value"}) against `answers` ({key: value}; a missing key is empty)."""
    value = answers.get(condition["field"])
    op, expected = condition["op"], condition.get("value")
    if op == "is_empty":
        return is_empty(value)
    if op == "not_empty":
        return not is_empty(value)
    if is_empty(value):
        # Only "is not" can hold of an empty answer: nothing equals, contains or exceeds it.
        return op == "not_equals" and not is_empty(expected)
    if op == "equals":
        if isinstance(value, list):  # a multiple choice equals a value when that is its only choice
            return len(value) == 1 and _same(value[0], expected)
        return _same(value, expected)
    if op == "not_equals":
        if isinstance(value, list):
            return not (len(value) == 1 and _same(value[0], expected))
        return not _same(value, expected)
    if op == "in":
        options = _values(expected)
        return any(_same(v, option) for v in _values(value) for option in options)
    if op == "contains":
        if isinstance(value, list):
            return any(_same(v, expected) for v in value)
        return str(expected) in str(value)
    if op in ("gt", "lt"):
        return any(_compare(op, v, expected) for v in _values(value))  # a list: any of its values
    return False


def _compare(op, value, expected):
    a, b = _number(value), _number(expected)
    if a is None or b is None:
        a, b = str(value), str(expected)  # dates and times compare as ISO text
    return a > b if op == "gt" else a < b


def group_holds(group, answers):
    """A condition group: all of its conditions (mode "all", the default) or any of them. No conditions: holds."""
    conditions = group.get("conditions") or []
    if not conditions:
        return True
    results = (condition_holds(condition, answers) for condition in conditions)
    return any(results) if group.get("mode") == "any" else all(results)


def field_visible(field, answers):
    return "visible_if" not in field or group_holds(field["visible_if"], answers)


def field_required(field, answers):
    """Required always, or when its required-if conditions hold (a hidden field is never required)."""
    if field.get("required"):
        return True
    return "required_if" in field and group_holds(field["required_if"], answers)


def visible_answers(fields, answers):
    """The answers of the fields visible given the answers themselves, in one pass in field order; the answers of
    hidden fields are dropped (and count as empty for the conditions after them)."""
    kept = {}
    for field in fields:
        if field_visible(field, kept) and field["key"] in answers:
            kept[field["key"]] = answers[field["key"]]
    return kept


def routing_for(intake, answers):
    """Where an intake submission goes: the intake defaults, overridden by the first rule whose conditions hold.
    Codes only; the tickets app resolves them."""
    result = {key: intake[key] for key in ("ticket_type", "queue", "priority", "tags") if intake.get(key)}
    for rule in intake.get("rules", ()):
        if group_holds(rule["when"], answers):
            result.update({key: rule[key] for key in ("ticket_type", "queue", "priority", "tags") if rule.get(key)})
            break
    return result
