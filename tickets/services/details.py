"""Editing a ticket's details: subject, type, tags and priority (priority through `ticket_set_priority`, whose
event and side effects stay its own)."""

from django.db import transaction

from scrm.platform.tenancy import tenant_scope
from tickets.errors import MSG_CLOSED, MSG_NOTHING_CHANGED, MSG_SUBJECT_EMPTY, TicketError
from tickets.models import Ticket, TicketEvent, TicketTag
from tickets.services._core import event_write, ref, ticket_lock
from tickets.services.lifecycle import _same_organization, ticket_set_priority

_UNSET = object()


@transaction.atomic
def ticket_update_details(*, ticket, actor, subject=_UNSET, type=_UNSET, tags=_UNSET, priority=_UNSET):
    """Change any of subject, type (None clears it) and tags (the full new set) with one `updated` event holding
    what changed, and the priority with its own event. All or nothing: refused on a closed ticket, and a change
    that changes nothing raises and writes nothing."""
    if type is not _UNSET:
        _same_organization(ticket.organization_id, type)
    if tags is not _UNSET:
        tags = list(tags)
        _same_organization(ticket.organization_id, *tags)
    if subject is not _UNSET:
        subject = (subject or "").strip()[:200]
        if not subject:
            raise TicketError(MSG_SUBJECT_EMPTY)
    with tenant_scope(ticket.organization_id):
        ticket = ticket_lock(ticket)
        if ticket.status == Ticket.Status.CLOSED:
            raise TicketError(MSG_CLOSED % {"number": ticket.number})
        before, after, fields = {}, {}, []
        if subject is not _UNSET and subject != ticket.subject:
            before["subject"], after["subject"] = ticket.subject, subject
            ticket.subject = subject
            fields.append("subject")
        if type is not _UNSET and (type.pk if type else None) != ticket.type_id:
            before["type"], after["type"] = ref(ticket.type), ref(type)
            ticket.type = type
            fields.append("type")
        if tags is not _UNSET:
            current = {tag.pk: tag for tag in ticket.tags.all()}
            wanted = {tag.pk: tag for tag in tags}
            if set(current) != set(wanted):
                before["tags"] = sorted(tag.name for tag in current.values())
                after["tags"] = sorted(tag.name for tag in wanted.values())
                TicketTag.objects.filter(ticket=ticket).exclude(tag_id__in=wanted).delete()
                TicketTag.objects.bulk_create(
                    [TicketTag(organization_id=ticket.organization_id, ticket=ticket, tag=tag)
                     for pk, tag in wanted.items() if pk not in current], ignore_conflicts=True)
        priority_changed = priority is not _UNSET and int(priority) != ticket.priority
        if not after and not priority_changed:
            raise TicketError(MSG_NOTHING_CHANGED)
        if after:
            ticket.save(update_fields=[*fields, "updated_at"])
            event_write(ticket, TicketEvent.Kind.UPDATED, actor=actor, before=before, after=after)
        if priority_changed:
            ticket = ticket_set_priority(ticket=ticket, priority=int(priority), actor=actor)
        return ticket
