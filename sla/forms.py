"""Forms of the SLA settings pages: a policy with its targets per priority and its escalation ladder, a business
calendar's week, one holiday or make-up day, and a pasted year of days. They parse; the services validate and save
(the same model checks the admin shows)."""

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from scrm.forms import ISO_DATE, bootstrap
from sla.models import WEEKDAYS, CalendarDay, EscalationStep, SLAPolicy, SLATarget

WEEKDAY_LABELS = dict(zip(WEEKDAYS, (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
                                     _("Saturday"), _("Sunday")), strict=True))
ANY = _("Any")


def _empty_choice_is_any(form):
    """"Any" as the empty choice of an optional drop-down (a policy with no queue applies to every queue); none in a
    required one."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.empty_label = ANY if not field.required else None
        elif isinstance(field, forms.TypedChoiceField | forms.ChoiceField) and not field.required:
            field.choices = [("", ANY), *[c for c in field.choices if c[0] not in ("", None)]]


class SLAPolicyForm(forms.ModelForm):
    class Meta:
        model = SLAPolicy
        fields = ["name", "position", "is_active", "calendar", "queue", "ticket_type", "priority", "customer_level",
                  "channel"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self, small=True)
        _empty_choice_is_any(self)


class SLATargetForm(forms.ModelForm):
    class Meta:
        model = SLATarget
        fields = ["priority", "first_response_minutes", "next_response_minutes", "resolution_minutes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self, small=True)
        _empty_choice_is_any(self)


class EscalationStepForm(forms.ModelForm):
    class Meta:
        model = EscalationStep
        fields = ["metric", "trigger", "trigger_value", "notify_assignee", "notify_supervisor", "notify_team",
                  "reassign_queue", "reassign_to_supervisor", "raise_priority", "via_wecom", "via_sms"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self, small=True)
        _empty_choice_is_any(self)


TargetFormSet = inlineformset_factory(SLAPolicy, SLATarget, form=SLATargetForm, extra=0, can_delete=True)
StepFormSet = inlineformset_factory(SLAPolicy, EscalationStep, form=EscalationStepForm, extra=0, can_delete=True)

NEW_POLICY_TARGETS = [  # (priority, first response, next response, resolution) a new policy starts from
    {"priority": 1, "first_response_minutes": 30, "next_response_minutes": 60, "resolution_minutes": 480},
    {"priority": 2, "first_response_minutes": 60, "next_response_minutes": 120, "resolution_minutes": 960},
    {"priority": 3, "first_response_minutes": 240, "next_response_minutes": 480, "resolution_minutes": 2880},
    {"priority": 4, "first_response_minutes": 480, "next_response_minutes": None, "resolution_minutes": 4800},
]


def kept_instances(formset):
    """The formset's rows as unsaved-or-saved model instances (deleted and untouched blank rows left out), in the
    order shown: what the service saves."""
    kept = []
    for form in formset.forms:
        if not form.has_changed() and form.instance.pk is None:
            continue
        if formset.can_delete and form.cleaned_data.get("DELETE"):
            continue
        kept.append(form.instance)
    return kept


class BusinessCalendarForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="Asia/Shanghai")
    follows_china_holidays = forms.BooleanField(
        label=_("Follows the mainland China holidays"), required=False,
        help_text=_("Public holidays and 调休 make-up working days are seeded for the years the calendar package "
                    "covers; later years are entered or imported here."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day in WEEKDAYS:
            self.fields[day] = forms.CharField(
                label=WEEKDAY_LABELS[day], required=False,
                help_text=_("Spans separated by commas, e.g. 09:00-12:00, 13:30-18:00; empty: not a working day."))
        bootstrap(self, small=True)

    @staticmethod
    def initial_of(calendar):
        hours = calendar.weekly_hours or {}
        return {"name": calendar.name, "time_zone": calendar.time_zone,
                "follows_china_holidays": calendar.follows_china_holidays,
                **{day: ", ".join(hours.get(day, [])) for day in WEEKDAYS}}

    def weekly_hours(self):
        return {day: [span.strip() for span in self.cleaned_data[day].replace("，", ",").split(",") if span.strip()]
                for day in WEEKDAYS}

    def weekdays(self):
        return [self[day] for day in WEEKDAYS]


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE))
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarDay.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    spans = forms.CharField(label=_("Working spans"), required=False,
                            help_text=_("Make-up days only, e.g. 09:00-18:00; empty: the calendar's standard day."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self, small=True)

    def clean_spans(self):
        return [span.strip() for span in self.cleaned_data["spans"].replace("，", ",").split(",") if span.strip()]


class CalendarImportForm(forms.Form):
    text = forms.CharField(
        label=_("Days, one per line"), widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Date, kind (休 holiday or 班 make-up working day), name — separated by commas or tabs, as "
                    "copied from the State Council's notice or a spreadsheet."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self, small=True)


