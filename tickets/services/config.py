"""The ticket settings ops change in the product (queues and their members, ticket types, canned responses,
routing rules): validated, saved and written to the settings audit trail in one transaction."""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from scrm.models import AgentProfile, SettingsChange
from scrm.platform.audit import settings_change_record, settings_object_delete
from scrm.platform.tenancy import tenant_scope
from tickets.models import CannedResponse, Queue, QueueMembership, RoutingRule, TicketType
from tickets.services.workspace import CANNED_VARIABLES

MSG_CANNED_UNKNOWN_VARIABLE = gettext_lazy("Unknown variable %(names)s: the variables are %(known)s.")
MSG_CANNED_TITLE_TAKEN = gettext_lazy("A canned response is already called “%(title)s”.")
_BRACED = re.compile(r"\{(\w+)\}")


def canned_variables_check(body):
    unknown = sorted({name for name in _BRACED.findall(body or "") if name not in CANNED_VARIABLES})
    if unknown:
        raise ValidationError({"body": MSG_CANNED_UNKNOWN_VARIABLE % {
            "names": "、".join(f"{{{name}}}" for name in unknown),
            "known": "、".join(f"{{{name}}}" for name in CANNED_VARIABLES)}})


@transaction.atomic
def canned_response_save(*, organization, by, title, body, queue=None, is_active=True, canned=None):
    """Create (no `canned`) or change a canned response. A body naming a variable the reply box cannot fill, or a
    title already used, raises ValidationError and nothing is saved."""
    with tenant_scope(organization):
        created = canned is None
        if created:
            canned = CannedResponse(organization=organization)
        canned.title, canned.body, canned.queue, canned.is_active = title.strip(), body, queue, is_active
        canned_variables_check(body)
        canned.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                canned.save()
        except IntegrityError:
            raise ValidationError({"title": MSG_CANNED_TITLE_TAKEN % {"title": canned.title}}) from None
        settings_change_record(
            instance=canned, by=by, action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED,
            detail={"title": canned.title, "body": canned.body, "queue": canned.queue_id, "is_active": is_active})
        return canned


MSG_TYPE_TAKEN = gettext_lazy("A ticket type already has this name or code (“%(name)s”, “%(code)s”).")
MSG_OTHER_ORGANIZATION = gettext_lazy("%(what)s belongs to another organization.")


def _relation_set(instance, name, objects):
    """Make a tenant many-to-many of `instance` exactly `objects` (None: leave it as it is); an object of another
    organization raises ValidationError (the caller's transaction keeps nothing). The sorted primary keys, for the
    audit row."""
    relation = getattr(instance, name)
    if objects is None:
        return sorted(relation.values_list("pk", flat=True))
    objects = list(objects)
    for obj in objects:
        if obj.organization_id != instance.organization_id:
            raise ValidationError({name: MSG_OTHER_ORGANIZATION % {"what": obj}})
    relation.set(objects)
    return sorted(obj.pk for obj in objects)


@transaction.atomic
def ticket_type_save(*, organization, by, name, code, default_queue=None, default_priority=3, is_active=True,
                     sort_order=0, required_skills=None, ticket_type=None):
    """Create (no `ticket_type`) or change a ticket type and set its required skills (only agents with all of them
    get its tickets; None leaves them as they are); a name or code already used raises ValidationError and nothing
    is saved."""
    with tenant_scope(organization):
        created = ticket_type is None
        if created:
            ticket_type = TicketType(organization=organization)
        ticket_type.name, ticket_type.code = name.strip(), code.strip()
        ticket_type.default_queue, ticket_type.default_priority = default_queue, default_priority
        ticket_type.is_active, ticket_type.sort_order = is_active, sort_order
        ticket_type.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                ticket_type.save()
        except IntegrityError:
            raise ValidationError(MSG_TYPE_TAKEN % {"name": ticket_type.name, "code": ticket_type.code}) from None
        skills = _relation_set(ticket_type, "required_skills", required_skills)
        settings_change_record(
            instance=ticket_type, by=by,
            action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED,
            detail={"name": ticket_type.name, "code": ticket_type.code, "default_queue": ticket_type.default_queue_id,
                    "default_priority": default_priority, "is_active": is_active, "sort_order": sort_order,
                    "required_skills": skills})
        return ticket_type


MSG_QUEUE_CODE_TAKEN = gettext_lazy("A queue already has the code “%(code)s”.")
MSG_QUEUE_MEMBER_INACTIVE = gettext_lazy("%(name)s can no longer sign in, so cannot join a queue.")


@transaction.atomic
def queue_save(*, organization, by, name, code, team=None, strategy, auto_assign, members, regions=None,
               ticket_types=None, required_skills=None, queue=None):
    """Create (no `queue`) or change a queue and set its members (agent profiles): members kept keep their
    round-robin position, members removed stop getting its tickets. Also sets the regions it serves and the ticket
    types it takes (where tickets no rule routed go) and the skills its agents need (None leaves one as it is). A
    taken code, or an object of another organization, raises ValidationError and nothing is saved."""
    with tenant_scope(organization):
        created = queue is None
        if created:
            queue = Queue(organization=organization)
        queue.name, queue.code, queue.team = name.strip(), code.strip(), team
        queue.strategy, queue.auto_assign = strategy, auto_assign
        queue.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                queue.save()
        except IntegrityError:
            raise ValidationError({"code": MSG_QUEUE_CODE_TAKEN % {"code": queue.code}}) from None
        served = {name: _relation_set(queue, name, objects) for name, objects in (
            ("regions", regions), ("ticket_types", ticket_types), ("required_skills", required_skills))}
        wanted = {agent.pk for agent in members}
        current = set(QueueMembership.objects.filter(queue=queue).values_list("agent_id", flat=True))
        # A deactivated agent stays a member until removed, but joins no queue (whoever calls: the form, a script).
        inactive = (AgentProfile.objects.filter(pk__in=wanted - current, user__is_active=False)
                    .select_related("user").order_by("pk").first())
        if inactive is not None:
            raise ValidationError({"members": MSG_QUEUE_MEMBER_INACTIVE % {"name": inactive.user}})
        QueueMembership.objects.filter(queue=queue, agent_id__in=current - wanted).delete()
        QueueMembership.objects.bulk_create([QueueMembership(organization=organization, queue=queue, agent_id=pk)
                                             for pk in sorted(wanted - current)])
        settings_change_record(
            instance=queue, by=by, action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED,
            detail={"name": queue.name, "code": queue.code, "team": queue.team_id, "strategy": strategy,
                    "auto_assign": auto_assign, "members_added": sorted(wanted - current),
                    "members_removed": sorted(current - wanted), **served})
        return queue


# --- routing rules ------------------------------------------------------------------------------------------------

MSG_RULE_NEEDS_ACTION = gettext_lazy("A rule must set something: a queue, a priority, a ticket type or tags.")


def _rule_detail(rule, tags):
    return {"name": rule.name, "position": rule.position, "is_active": rule.is_active, "channel": rule.channel,
            "ticket_type": rule.ticket_type_id, "keywords": rule.keywords, "customer_level": rule.customer_level,
            "region": rule.region_id, "set_queue": rule.set_queue_id, "set_priority": rule.set_priority,
            "set_type": rule.set_type_id, "add_tags": sorted(tag.pk for tag in tags)}


def _rules_renumber(organization):
    """Lock the organization's rules (in their order) and number them 1, 2, 3...; returns them in order."""
    rules = list(RoutingRule.objects.select_for_update().filter(organization=organization).order_by("position", "pk"))
    changed = []
    for number, item in enumerate(rules, start=1):
        if item.position != number:
            item.position = number
            changed.append(item)
    RoutingRule.objects.bulk_update(changed, ["position"])
    return rules


@transaction.atomic
def routing_rule_save(*, organization, by, name, is_active=True, channel="", ticket_type=None, keywords="",
                      customer_level="", region=None, set_queue=None, set_priority=None, set_type=None, add_tags=(),
                      rule=None):
    """Create (no `rule`: it goes last) or change a routing rule. The first active rule a new ticket matches
    decides, so a rule that sets nothing would swallow every ticket it matches: it is refused, nothing saved."""
    with tenant_scope(organization):
        add_tags = list(add_tags)
        if set_queue is None and set_priority is None and set_type is None and not add_tags:
            raise ValidationError(MSG_RULE_NEEDS_ACTION)
        created = rule is None
        if created:
            rules = _rules_renumber(organization)
            rule = RoutingRule(organization=organization, position=len(rules) + 1)
        rule.name, rule.is_active, rule.channel = name.strip(), is_active, channel or ""
        rule.ticket_type, rule.keywords = ticket_type, (keywords or "").strip()
        rule.customer_level = customer_level or ""
        rule.region, rule.set_queue, rule.set_priority, rule.set_type = region, set_queue, set_priority, set_type
        rule.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
        rule.save()
        rule.add_tags.set(add_tags)
        settings_change_record(
            instance=rule, by=by, action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED,
            detail=_rule_detail(rule, add_tags))
        return rule


@transaction.atomic
def routing_rule_move(*, organization, by, rule, offset):
    """Move a rule `offset` places up (negative) or down in the order the rules are tried; the rules are numbered
    1, 2, 3... afterwards. Moving past either end keeps it there."""
    with tenant_scope(organization):
        rules = _rules_renumber(organization)
        index = next(i for i, item in enumerate(rules) if item.pk == rule.pk)
        target = max(0, min(len(rules) - 1, index + offset))
        if target == index:
            return rule
        rules.insert(target, rules.pop(index))
        for number, item in enumerate(rules, start=1):
            item.position = number
        RoutingRule.objects.bulk_update(rules, ["position"])
        moved = rules[target]
        settings_change_record(instance=moved, by=by, action=SettingsChange.Action.CHANGED,
                               detail={"position": moved.position, "moved_from": index + 1})
        return moved


@transaction.atomic
def routing_rule_set_active(*, organization, by, rule, is_active):
    """Switch a rule on or off (a switched-off rule keeps its place and is skipped)."""
    with tenant_scope(organization):
        rule.is_active = is_active
        rule.save(update_fields=["is_active"])
        settings_change_record(instance=rule, by=by, action=SettingsChange.Action.CHANGED,
                               detail={"is_active": is_active})
        return rule


# --- deletes: refused while anything uses the object ----------------------------------------------------------------

# Through rows deleted with their queue (the admin sets them).
_QUEUE_PARTS = ("tickets.QueueRegion", "tickets.QueueTicketType", "tickets.QueueSkill")


@transaction.atomic
def queue_delete(*, organization, by, queue):
    """Delete a queue nothing uses any more (no ticket, open or closed, no rule, type, policy or canned response
    points at it): its members, regions and skills go with it. Else ValidationError names what uses it."""
    with tenant_scope(organization):
        settings_object_delete(instance=queue, by=by, parts=(QueueMembership, *_QUEUE_PARTS),
                               detail={"name": queue.name, "code": queue.code})


@transaction.atomic
def ticket_type_delete(*, organization, by, ticket_type):
    """Delete a ticket type no ticket, rule or policy uses; else ValidationError (switch it off instead)."""
    with tenant_scope(organization):
        settings_object_delete(instance=ticket_type, by=by, switch_off=True,
                               parts=("tickets.TicketTypeSkill", "tickets.QueueTicketType"),
                               detail={"name": ticket_type.name, "code": ticket_type.code})


@transaction.atomic
def canned_response_delete(*, organization, by, canned):
    with tenant_scope(organization):
        settings_object_delete(instance=canned, by=by, detail={"title": canned.title, "body": canned.body})


@transaction.atomic
def routing_rule_delete(*, organization, by, rule):
    """Delete a rule; the rules after it move up one place."""
    with tenant_scope(organization):
        tags = list(rule.add_tags.all())
        settings_object_delete(instance=rule, by=by, parts=("tickets.RoutingRuleTag",), detail=_rule_detail(rule, tags))
        _rules_renumber(organization)
