"""Tickets from the form builder: an intake form's submission opens a routed ticket, and a ticket type's custom
fields are filled through the same engine (forms_builder validates; tickets links the answers to the ticket).

`intake_ticket_open` is registered as the intake handler from TicketsConfig.ready(); it runs inside form_submit's
transaction, so a submission and its ticket are stored together or not at all.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from forms_builder.errors import FormError
from forms_builder.models import Form, FormSubmission
from forms_builder.selectors import answer_display, change_shown, mobile_keys, submission_text
from forms_builder.services import answers_unmasked, form_submit
from scrm.models import Channel, SettingsChange, Tag
from scrm.platform.audit import settings_change_record
from scrm.platform.tenancy import tenant_scope
from tickets.errors import TicketError
from tickets.models import Queue, Ticket, TicketEvent, TicketFieldAnswers, TicketType, TicketTypeForm
from tickets.services._core import event_write
from tickets.services.intake import ticket_log
from tickets.services.lifecycle import ticket_open

SOURCE_REF = "form:%s"
MSG_FIELDS_FORM_PURPOSE = _("Only a published form of purpose “Ticket-type fields” can give a type its fields.")


def _subject(submission):
    schema = submission.version.schema
    key = (schema.get("intake") or {}).get("subject_field")
    field = next((f for s in schema["sections"] for f in s["fields"] if f["key"] == key), None) if key else None
    shown = answer_display(field, submission.data.get(key), masked=True) if field else ""
    return f"{submission.form.name}：{shown}" if shown else submission.form.name


def intake_ticket_open(*, submission, routing, actor=None):
    """Open the ticket of an intake submission: type, queue, priority and tags as the form's intake rules chose
    (codes of this organization; an unknown code is ignored and the ticket routing rules decide), the answers as
    its description.

    The subject and description are text every reader of the ticket sees, whatever their role, so the answers to
    mobile fields are written masked (139****0001); the number stays on the submission and on the customer, where
    the roles that may see it read it."""
    with tenant_scope(submission.organization_id):
        type_ = (TicketType.objects.filter(code=routing["ticket_type"], is_active=True).first()
                 if routing.get("ticket_type") else None)
        queue = Queue.objects.filter(code=routing["queue"]).first() if routing.get("queue") else None
        tags = list(Tag.objects.filter(name__in=routing.get("tags", ())))
        ticket = ticket_open(
            organization=submission.organization, customer=submission.customer, subject=_subject(submission),
            description=submission_text(submission, masked=True), channel=Channel.WEB_FORM,
            source_ref=SOURCE_REF % submission.pk, type=type_, priority=routing.get("priority"), queue=queue,
            tags=tags, actor=actor,
        )
        return {"ticket_id": ticket.pk, "number": ticket.number}


def ticket_submission_edited(*, submission, change):
    """A form submission linked to a ticket (its intake form, or its custom fields) was changed after it was sent:
    an `updated` event on the ticket's timeline says who changed which answers, old → new (registered as the forms
    app's edit listener; runs in submission_edit's transaction). Every reader of the ticket reads its timeline, so
    a mobile answer is written there masked, as in the description (the submission keeps the number)."""
    ticket_id = (submission.outcome or {}).get("ticket_id")
    if not ticket_id:
        return None
    with tenant_scope(submission.organization_id):
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is None:
            return None
        ticket.save(update_fields=["updated_at"])  # the open ticket pages poll on it
        keys = mobile_keys(submission.version.schema)
        shown = [change_shown(c, keys) for c in change.changes]
        return event_write(ticket, TicketEvent.Kind.UPDATED, actor=change.by, after={"form_answers": {
            "form": submission.form.name, "submission": submission.pk, "by_customer": change.by_customer,
            "changes": [{"label": c["label"], "before": c["before"], "after": c["after"]} for c in shown]}})


@transaction.atomic
def ticket_type_set_form(*, ticket_type, form, by=None):
    """Give a ticket type its custom fields (`form`), or take them away (None); written to the settings audit
    trail. Submissions already made keep their answers either way."""
    with tenant_scope(ticket_type.organization_id):
        if form is None:
            TicketTypeForm.objects.filter(ticket_type=ticket_type).delete()
            link = None
        else:
            if form.organization_id != ticket_type.organization_id or form.purpose != Form.Purpose.TICKET_FIELDS \
                    or form.current_version_id is None:
                raise TicketError(MSG_FIELDS_FORM_PURPOSE)
            link, _created = TicketTypeForm.objects.update_or_create(
                ticket_type=ticket_type, defaults={"form": form, "organization_id": ticket_type.organization_id})
        if by is not None:
            settings_change_record(instance=ticket_type, by=by, action=SettingsChange.Action.CHANGED,
                                   detail={"fields_form": form.slug if form else None})
        return link


def ticket_type_fields_form(ticket_type_id):
    """The published fields form of a ticket type, or None (in the open scope)."""
    if ticket_type_id is None or not 0 < int(ticket_type_id) < 2**63:  # a number from a query string: any size
        return None
    link = TicketTypeForm.objects.select_related("form__current_version").filter(
        ticket_type_id=ticket_type_id).first()
    return link.form if link is not None and link.form.current_version_id is not None else None


def _new_ticket_fields(ticket, *, ticket_type, data, files, actor):
    """The custom fields of a ticket being opened for `ticket_type` (the type its creator chose), when that type has
    a fields form: validated by the engine like any later save, so a required field left empty refuses the ticket."""
    if ticket_type is None:
        return None
    with tenant_scope(ticket.organization_id):
        if ticket_type_fields_form(ticket_type.pk) is None:
            return None
    return ticket_fields_save(ticket=ticket, data=data if data is not None else {}, files=files, actor=actor)


@transaction.atomic
def ticket_log_with_fields(*, fields_data=None, fields_files=None, **kwargs):
    """新建工单 and POST /api/v1/tickets/: the ticket (`ticket_log`) and, for a type with custom fields, its fields,
    in one transaction, so fields the engine refuses leave no ticket behind (FormError lists them)."""
    ticket = ticket_log(**kwargs)
    _new_ticket_fields(ticket, ticket_type=kwargs.get("type"), data=fields_data, files=fields_files,
                       actor=kwargs.get("actor"))
    return ticket


@transaction.atomic
def ticket_fields_save(*, ticket, data, files=None, actor=None):
    """Validate and store the ticket's custom fields against its type's form (FormError listing the problems
    when the engine refuses them; nothing is written then). Each save is a new submission: the history. A mobile
    answer sent back as the ticket page showed it masked keeps the number stored before (answers_unmasked)."""
    with tenant_scope(ticket.organization_id):
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        link = TicketTypeForm.objects.select_related("form__current_version").filter(
            ticket_type_id=ticket.type_id).first()
        if link is None or link.form.current_version_id is None:
            raise TicketError(MSG_FIELDS_FORM_PURPOSE)
        current = TicketFieldAnswers.objects.select_related("submission").filter(ticket=ticket, is_current=True).first()
        data = answers_unmasked(schema=link.form.current_version.schema, data=data,
                                stored=current.submission.data if current else None)
        submission = form_submit(form=link.form, data=data, files=files, source=FormSubmission.Source.STAFF,
                                 customer=ticket.customer, actor=actor)
        submission.outcome = {"ticket_id": ticket.pk, "number": ticket.number}
        submission.save(update_fields=["outcome"])
        # Under the ticket's row lock: the previous answers become history, these the current ones.
        TicketFieldAnswers.objects.filter(ticket=ticket, is_current=True).update(is_current=False)
        return TicketFieldAnswers.objects.create(organization_id=ticket.organization_id, ticket=ticket,
                                                 submission=submission, by=actor, is_current=True)


__all__ = ["FormError", "intake_ticket_open", "ticket_fields_save", "ticket_log_with_fields",
           "ticket_submission_edited", "ticket_type_fields_form", "ticket_type_set_form"]
