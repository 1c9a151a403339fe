"""The ticket settings ops change in the product (queues and their members, ticket types, canned
responses): validated, saved and written to the settings audit trail in one transaction."""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from scrm.models import SettingsChange
from scrm.platform.audit import settings_change_record
from scrm.platform.tenancy import tenant_scope
from tickets.models import CannedResponse, Queue, QueueMembership, TicketType
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


@transaction.atomic
def ticket_type_save(*, organization, by, name, code, default_queue=None, default_priority=3, is_active=True,
                     sort_order=0, ticket_type=None):
    """Create (no `ticket_type`) or change a ticket type; a name or code already used raises ValidationError and
    nothing is saved. Its required skills stay as they are (set in the admin)."""
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
        settings_change_record(
            instance=ticket_type, by=by,
            action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED,
            detail={"name": ticket_type.name, "code": ticket_type.code, "default_queue": ticket_type.default_queue_id,
                    "default_priority": default_priority, "is_active": is_active})
        return ticket_type


MSG_QUEUE_CODE_TAKEN = gettext_lazy("A queue already has the code “%(code)s”.")


@transaction.atomic
def queue_save(*, organization, by, name, code, team=None, strategy, auto_assign, members, queue=None):
    """Create (no `queue`) or change a queue and set its members (agent profiles): members kept keep their
    round-robin position, members removed stop getting its tickets. A taken code raises ValidationError and nothing
    is saved. Regions, ticket types and required skills stay as they are (set in the admin)."""
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
        wanted = {agent.pk for agent in members}
        current = set(QueueMembership.objects.filter(queue=queue).values_list("agent_id", flat=True))
        QueueMembership.objects.filter(queue=queue, agent_id__in=current - wanted).delete()
        QueueMembership.objects.bulk_create([QueueMembership(organization=organization, queue=queue, agent_id=pk)
                                             for pk in sorted(wanted - current)])
        settings_change_record(
            instance=queue, by=by, action=SettingsChange.Action.CREATED if created else SettingsChange.Action.CHANGED,
            detail={"name": queue.name, "code": queue.code, "team": queue.team_id, "strategy": strategy,
                    "auto_assign": auto_assign, "members_added": sorted(wanted - current),
                    "members_removed": sorted(current - wanted)})
        return queue
