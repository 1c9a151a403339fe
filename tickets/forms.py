"""Forms of the agent workspace: they parse and validate input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from scrm.customers.phones import InvalidMobile, normalize_mobile
from scrm.forms import bootstrap
from scrm.models import Channel, Customer, Region, Tag, User
from scrm.text import CleanCharField
from tickets.errors import MSG_CUSTOMER_NEEDED, MSG_CUSTOMER_NOT_VISIBLE, MSG_SUBJECT_EMPTY
from tickets.models import Comment, Queue, Ticket, TicketType
from tickets.services.lifecycle import TRANSFER_REASON_MAX_LENGTH

# A bulk action touches at most this many tickets at once (one service call each).
BULK_LIMIT = 100


class _IdsField(forms.TypedMultipleChoiceField):
    """Ids posted by checkboxes; which of them exist and may be used is the selector's and service's call."""

    def valid_value(self, value):
        return True


class BulkActionForm(forms.Form):
    ACTIONS = [
        ("assign", _("Assign to")),
        ("tag", _("Add tag")),
        ("priority", _("Set priority")),
        ("close", _("Close")),
    ]

    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    ids = _IdsField(label=_("Tickets"), coerce=int,
                    error_messages={"required": _("Select at least one ticket."),
                                    "invalid_choice": _("Select at least one ticket.")})
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Assignee"))
    tag = forms.ModelChoiceField(queryset=Tag.objects.none(), required=False, label=_("Tag"))
    priority = forms.TypedChoiceField(choices=Ticket.Priority.choices, coerce=int, required=False,
                                      empty_value=None, label=_("Priority"))

    def __init__(self, *args, assignees, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees
        self.fields["tag"].queryset = tags

    def clean_ids(self):
        ids = self.cleaned_data["ids"]
        if len(ids) > BULK_LIMIT:
            raise forms.ValidationError(
                _("Select at most %(limit)s tickets at once."), params={"limit": BULK_LIMIT})
        return ids

    def clean(self):
        data = super().clean()
        needs = {"assign": ("assignee", _("Choose the assignee.")), "tag": ("tag", _("Choose the tag.")),
                 "priority": ("priority", _("Choose the priority."))}
        action = data.get("action")
        if action in needs and not data.get(needs[action][0]):
            self.add_error(needs[action][0], needs[action][1])
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each one's size and type (by its bytes)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class ReplyForm(forms.Form):
    body = CleanCharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}),
                          max_length=Comment.BODY_MAX_LENGTH, strip=True, required=False)
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    public = forms.TypedChoiceField(
        label=_("Send as"), coerce=lambda v: v == "1", choices=[("1", _("Public reply")), ("0", _("Internal note"))],
        initial="1",
    )


    def clean(self):
        data = super().clean()
        if not data.get("body") and not data.get("attachments"):
            raise forms.ValidationError(_("A reply needs some text or a file."))
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Ticket.Priority.choices, coerce=int)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Assignee"),
                                      empty_label=_("Nobody (back to the queue)"))

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


class TransferForm(forms.Form):
    queue = forms.ModelChoiceField(queryset=Queue.objects.none(), label=_("Queue"))
    reason = CleanCharField(label=_("Reason"), max_length=TRANSFER_REASON_MAX_LENGTH,
                             error_messages={"required": _("Say why the ticket is transferred.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.order_by("name")


class MergeForm(forms.Form):
    primary = CleanCharField(label=_("Merge into ticket number"), max_length=20,
                              error_messages={"required": _("Give the number of the ticket to merge into.")})


class SplitForm(forms.Form):
    subject = CleanCharField(label=_("Subject of the new ticket"), max_length=200,
                              error_messages={"required": _("The new ticket needs a subject.")})
    comments = forms.ModelMultipleChoiceField(
        queryset=Comment.objects.none(), label=_("Messages"),
        error_messages={"required": _("Select the messages to split off."),
                        "invalid_choice": _("Only messages of this ticket can be split off it."),
                        "invalid_pk_value": _("Select the messages to split off.")},
    )

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comments"].queryset = Comment.objects.filter(ticket=ticket)


class RuleTesterForm(forms.Form):
    """A sample ticket typed by ops: which routing rule would it hit?"""

    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any"))] + list(Channel.choices), required=False)
    type = forms.ModelChoiceField(queryset=TicketType.objects.none(), required=False, label=_("Ticket type"),
                                  empty_label=_("None yet"))
    subject = CleanCharField(label=_("Subject"), max_length=200, required=False)
    description = CleanCharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  max_length=5_000)
    customer_level = forms.ChoiceField(label=_("Customer level"),
                                       choices=[("", _("Any"))] + list(Customer.Level.choices), required=False)
    region = forms.ModelChoiceField(queryset=Region.objects.none(), required=False, label=_("Region"),
                                    empty_label=_("Unknown"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = TicketType.objects.order_by("sort_order", "name")
        self.fields["region"].queryset = Region.objects.order_by("path")
        bootstrap(self)


class TicketLogForm(forms.Form):
    """新建工单: a ticket an agent logs by hand. The customer is one the user may see, or a new one."""

    CHANNELS = [Channel.PHONE, Channel.WALK_IN, Channel.EMAIL, Channel.MANUAL]

    channel = forms.ChoiceField(label=_("Came in by"), choices=[(c.value, c.label) for c in CHANNELS],
                                initial=Channel.PHONE, widget=forms.RadioSelect)
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), required=False, label=_("Customer"),
                                      widget=forms.RadioSelect,
                                      error_messages={"invalid_choice": MSG_CUSTOMER_NOT_VISIBLE})
    new_customer_name = CleanCharField(label=_("New customer's name"), max_length=100, required=False)
    new_customer_mobile = CleanCharField(label=_("New customer's mobile"), max_length=32, required=False)
    subject = CleanCharField(label=_("Subject"), max_length=200,
                             error_messages={"required": MSG_SUBJECT_EMPTY})
    description = CleanCharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}),
                                 max_length=Comment.BODY_MAX_LENGTH, required=False)
    type = forms.ModelChoiceField(queryset=TicketType.objects.none(), required=False, label=_("Ticket type"),
                                  empty_label=_("Decided by the routing rules"))
    queue = forms.ModelChoiceField(queryset=Queue.objects.none(), required=False, label=_("Queue"),
                                   empty_label=_("Decided by the routing rules"))
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int, empty_value=None, required=False,
                                      choices=[("", _("Decided by the routing rules")), *Ticket.Priority.choices])
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    assign_to_me = forms.BooleanField(label=_("Assign to me"), required=False,
                                      help_text=_("The ticket is yours at once, instead of going to whoever the "
                                                  "queue picks."))

    def __init__(self, *args, customers, my_queue_ids=(), **kwargs):
        """`my_queue_ids`: the queues the user works tickets in as an agent; none, no "Assign to me"."""
        super().__init__(*args, **kwargs)
        self.my_queue_ids = list(my_queue_ids)
        if not self.my_queue_ids:
            del self.fields["assign_to_me"]
        self.fields["customer"].queryset = customers
        self.fields["type"].queryset = TicketType.objects.order_by("sort_order", "name")
        self.fields["queue"].queryset = Queue.objects.order_by("name")
        bootstrap(self)

    def clean_new_customer_mobile(self):
        try:
            return normalize_mobile(self.cleaned_data["new_customer_mobile"])
        except InvalidMobile as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        if not data.get("customer") and not data.get("new_customer_name") and "customer" not in self.errors:
            raise forms.ValidationError(MSG_CUSTOMER_NEEDED)
        return data
