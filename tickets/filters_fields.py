"""The queue filters on a ticket type's custom fields: once a type is chosen, one filter per field of its fields form
(forms_builder.filters: by field type, "a_<key>" names), over the tickets' current answers.

Kept out of tickets.filters, which the SLA app imports: sla may not reach forms_builder, even through tickets."""

from forms_builder.filters import answer_filterset, answers_filtered
from forms_builder.selectors import answer_fields, region_choices_for
from tickets.models import TicketFieldAnswers
from tickets.services.forms import ticket_type_fields_form


def custom_field_filters(data):
    """A FilterSet over the current answers of the tickets of the type chosen in `data` ("type"), or None when that
    type has no fields form (a constant number of queries: the form, its versions, the regions if it has such a
    field)."""
    chosen = str((data or {}).get("type") or "")
    form = ticket_type_fields_form(int(chosen)) if chosen.isdigit() else None
    if form is None:
        return None
    specs = answer_fields(form)
    filterset = answer_filterset(specs, path="submission__data",
                                 regions=region_choices_for({"sections": [{"fields": specs}]}))
    return filterset(data, queryset=TicketFieldAnswers.objects.filter(is_current=True, ticket__type_id=int(chosen)))


def tickets_with_answers(tickets, answers):
    """`tickets` narrowed to those whose current answers pass the custom-field filters given (unchanged when none is):
    `id IN (SELECT ticket_id ...)`, one semi-join; the choice filters are `data @> ...`, served by the GIN index."""
    if answers is None or not answers_filtered(answers.data):
        return tickets
    return tickets.filter(pk__in=answers.qs.values("ticket_id"))
