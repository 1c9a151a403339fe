"""What the outside world says about the matter a ticket is about: a shop platform moved the refund, return or
exchange that opened the ticket (settlement tells; tickets never imports it).

The reporter passes plain data: the case's kind and number, its status before and after as codes, what the change
means for the ticket (`Outcome`), and `words`, the namespace of scrm.platform.coded under which it registered the
names of its cases (`<words>.<case>`) and statuses (`<words>.<case>.<status>`). The event keeps the codes; pages
word them in the reader's language.

The rule (docs/shop-feed.md, "The ticket follows its case"): every status change the platform reports is a
timeline event by the system and moves the ticket's updated time; a finished case never resolves the ticket (the
agent may still owe the customer a word: the event says so); a case reopened on the platform reopens a resolved
ticket, and a closed one stays closed (closed is final) with the event written; the assignee hears of a finished
or reopened case.
"""

import logging

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification
from notifications.services import notify
from scrm.platform.coded import coded, coded_messages_register
from scrm.platform.tenancy import tenant_scope
from tickets.hooks import sla_on_status
from tickets.models import Ticket, TicketEvent
from tickets.services._core import event_write, status_apply, ticket_qs_select_for_update

logger = logging.getLogger(__name__)

Status = Ticket.Status

# How far a chain of merges is followed to the ticket still worked (a merge of a merge is rare; a loop impossible).
MERGE_HOPS = 10


class Outcome(models.TextChoices):
    """What a change of the case means for the ticket (the reporter decides: it knows its statuses)."""

    PROGRESS = "progress", _("in progress")  # e.g. requested → approved
    FINISHED = "finished", _("finished")  # refunded, completed, refused, withdrawn
    REOPENED = "reopened", _("reopened")  # a finished case asked for again


class Effect(models.TextChoices):
    """What the change did to the ticket, recorded on the event (its text says it)."""

    NONE = "", _("none")
    STAYS_OPEN = "stays_open", _("stays open")  # finished on the platform, the ticket still to resolve
    REOPENED = "reopened", _("reopened")  # the resolved ticket reopened
    CLOSED = "closed", _("stays closed")  # reopened on the platform, the ticket closed for good


# The event's line (tickets.views.event_summary), then what it did to the ticket.
MSG_PLATFORM_CHANGE = _("Platform update on %(case)s %(number)s: %(before)s → %(after)s")
MSG_PLATFORM_EFFECTS = {
    Effect.STAYS_OPEN: _("the ticket stays open: tell the customer, then resolve it"),
    Effect.REOPENED: _("the ticket was reopened"),
    Effect.CLOSED: _("the ticket is closed: open a new one if the customer needs more help"),
}
# The assignee's notification, worded in the reader's language (notifications store codes).
MSG_FINISHED_TITLE = _("Ticket %(number)s: %(case)s %(ref)s is %(status)s on the platform")
MSG_REOPENED_TITLE = _("Ticket %(number)s: %(case)s %(ref)s was reopened on the platform (%(status)s)")
coded_messages_register({"tickets.platform_finished_title": MSG_FINISHED_TITLE,
                         "tickets.platform_reopened_title": MSG_REOPENED_TITLE})


def _word(words, code):
    """A product word the reporter registered, as a coded text; its code as it is if it registered none."""
    try:
        return coded(f"{words}.{code}")
    except ValueError:
        return code


def _live(ticket):
    """The ticket still worked: a merged duplicate's survivor."""
    for _hop in range(MERGE_HOPS):
        if ticket.merged_into_id is None:
            break
        survivor = ticket_qs_select_for_update().filter(pk=ticket.merged_into_id).first()
        if survivor is None:
            break
        ticket = survivor
    return ticket


@transaction.atomic
def ticket_external_change(*, organization, ticket, case, number, before, after, outcome, words):
    """Record on the ticket that the platform moved its case `case` `number` from status `before` to `after`
    (codes), with what it means (`outcome`, an Outcome). `ticket`: a Ticket or its id, looked for in
    `organization` only (another organization's ticket is never touched). Returns the event written, or None when
    there is no such ticket or nothing changed."""
    outcome = Outcome(outcome)
    if before == after:
        return None
    ticket_id = ticket.pk if isinstance(ticket, Ticket) else ticket
    with tenant_scope(organization):
        ticket = ticket_qs_select_for_update().filter(pk=ticket_id).select_related("assignee").first()
        if ticket is None:
            logger.warning("platform update for a ticket not in the organization", extra={"ticket_id": ticket_id})
            return None
        ticket = _live(ticket)
        effect = Effect.NONE
        if outcome == Outcome.FINISHED and ticket.status not in (Status.RESOLVED, Status.CLOSED):
            effect = Effect.STAYS_OPEN
        elif outcome == Outcome.REOPENED and ticket.status == Status.RESOLVED:
            effect = Effect.REOPENED
            status_apply(ticket, Status.OPEN, actor=None, reason="platform_reopened")
            sla_on_status(ticket, before=Status.RESOLVED)
        elif outcome == Outcome.REOPENED and ticket.status == Status.CLOSED:
            effect = Effect.CLOSED
        if effect != Effect.REOPENED:
            ticket.save(update_fields=["updated_at"])  # status_apply moved it already
        event = event_write(ticket, TicketEvent.Kind.PLATFORM, before={"status": before}, after={
            "status": after, "case": case, "number": number, "outcome": outcome.value, "effect": effect.value,
            "words": words})
        if outcome != Outcome.PROGRESS and ticket.assignee_id is not None:
            template = ("tickets.platform_finished_title" if outcome == Outcome.FINISHED
                        else "tickets.platform_reopened_title")
            title = coded(template, number=ticket.number, case=_word(words, case), ref=number,
                          status=_word(words, f"{case}.{after}"))
            notify(recipient=ticket.assignee, kind=Notification.Kind.PLATFORM_UPDATE, ticket=ticket, title=title)
        return event
