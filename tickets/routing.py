"""Routing rules, evaluated without the database: `routing_evaluate(rules, sample)` is what ticket_open applies and
what the settings page's rule tester will show ("this text would hit rule 3: 投诉 → P1").

The rules come from `tickets.selectors.routing_rules_active()` (region and tags loaded), so evaluating a sample
costs no query whatever the number of rules.
"""

import re
from dataclasses import dataclass, field

_KEYWORD_SEPARATORS = re.compile(r"[\n\r,，、;；]+")


@dataclass(frozen=True)
class RoutingSample:
    """What the rules may look at: a ticket about to be opened, or a sample typed into the rule tester."""

    subject: str = ""
    description: str = ""
    channel: str = ""
    type_id: int | None = None
    customer_level: str = ""
    region_path: str = ""  # the materialised path of the customer's region ("/EAST/JS/NJ/"), "" when unknown


@dataclass(frozen=True)
class RoutingDecision:
    rule: object  # the RoutingRule that matched
    queue: object = None
    priority: int | None = None
    type: object = None
    tags: tuple = field(default_factory=tuple)
    keyword: str = ""  # the keyword that matched, for the tester and the ticket's "created" event


def rule_keywords(rule):
    """The rule's keywords as a list: one per line, or separated by commas (, ，), 、 or semicolons."""
    return [word.strip() for word in _KEYWORD_SEPARATORS.split(rule.keywords or "") if word.strip()]


def _match(rule, sample):
    """None when the rule does not match; else the keyword that matched ("" for a rule without keywords)."""
    if rule.channel and rule.channel != sample.channel:
        return None
    if rule.ticket_type_id and rule.ticket_type_id != sample.type_id:
        return None
    if rule.customer_level and rule.customer_level != sample.customer_level:
        return None
    if rule.region_id and not (sample.region_path and sample.region_path.startswith(rule.region.path)):
        return None
    keywords = rule_keywords(rule)
    if not keywords:
        return ""
    text = f"{sample.subject}\n{sample.description}".casefold()
    return next((word for word in keywords if word.casefold() in text), None)


def routing_evaluate(rules, sample):
    """The decision of the first active rule (in the given order) that matches the sample, or None."""
    for rule in rules:
        if not rule.is_active:
            continue
        keyword = _match(rule, sample)
        if keyword is None:
            continue
        return RoutingDecision(
            rule=rule, queue=rule.set_queue, priority=rule.set_priority, type=rule.set_type,
            tags=tuple(rule.add_tags.all()), keyword=keyword,
        )
    return None
