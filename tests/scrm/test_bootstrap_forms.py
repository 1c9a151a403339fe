"""`scrm.forms.bootstrap`: the one way a form's controls get their Bootstrap look, read from the HTML they render."""

import re

import django_filters
from django import forms

from scrm.forms import bootstrap
from scrm.models import Region


class EveryKind(forms.Form):
    name = forms.CharField()
    count = forms.IntegerField()
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(widget=forms.Textarea)
    upload = forms.FileField()
    secret = forms.CharField(widget=forms.PasswordInput)
    active = forms.BooleanField(required=False)
    level = forms.ChoiceField(choices=[("a", "A"), ("b", "B")])
    levels = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")])
    answer = forms.NullBooleanField()
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    tags = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple)
    token = forms.CharField(widget=forms.HiddenInput)
    when = forms.SplitDateTimeField()


def classes(html):
    """The class attribute of each control in `html`, in order ('' for a control without one)."""
    return [(re.search(r'class="([^"]*)"', tag) or [None, ""])[1]
            for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)]


def test_each_kind_of_control_gets_its_bootstrap_class():
    form = bootstrap(EveryKind())
    assert classes(str(form["name"])) == ["form-control"]
    assert classes(str(form["count"])) == ["form-control"]
    assert classes(str(form["day"])) == ["form-control"]
    assert classes(str(form["notes"])) == ["form-control"]
    assert classes(str(form["upload"])) == ["form-control"]
    assert classes(str(form["secret"])) == ["form-control"]
    assert classes(str(form["active"])) == ["form-check-input"]
    assert classes(str(form["level"])) == ["form-select"]
    assert classes(str(form["levels"])) == ["form-select"]
    assert classes(str(form["answer"])) == ["form-select"]
    assert classes(str(form["when"])) == ["form-control", "form-control"]  # the date box and the time box


def test_each_option_of_radio_buttons_and_checkbox_lists_is_a_check_and_hidden_inputs_are_left_alone():
    """The templates lay the options out (`{{ box.tag }}` in a .form-check); each option's box left without
    `form-check-input` sat indented and touching its label (新建工单's 来源, a role's modules and data scope)."""
    form = bootstrap(EveryKind())
    assert classes(str(form["kind"])) == ["form-check-input", "form-check-input"]
    assert classes(str(form["tags"])) == ["form-check-input", "form-check-input"]
    assert [classes(option.tag()) for option in form["kind"]] == [["form-check-input"], ["form-check-input"]]
    assert classes(str(form["token"])) == [""]


def test_small_sizes_text_boxes_and_drop_downs_but_not_checkboxes():
    form = bootstrap(EveryKind(), small=True)
    assert classes(str(form["name"])) == ["form-control form-control-sm"]
    assert classes(str(form["level"])) == ["form-select form-select-sm"]
    assert classes(str(form["levels"])) == ["form-select form-select-sm"]
    assert classes(str(form["when"])) == ["form-control form-control-sm"] * 2
    assert classes(str(form["active"])) == ["form-check-input"]


class Chosen(forms.Form):
    wide = forms.CharField(widget=forms.TextInput(attrs={"class": "form-control form-control-lg"}))
    big_select = forms.ChoiceField(choices=[("a", "A")], widget=forms.Select(attrs={"class": "form-select"}))
    hooked = forms.CharField(widget=forms.TextInput(attrs={"class": "js-autocomplete"}))
    hooked_select = forms.ChoiceField(choices=[("a", "A")], widget=forms.Select(attrs={"class": "scrm-cascade"}))


def test_a_class_the_form_chose_is_kept_and_an_unrelated_one_gets_bootstrap_beside_it():
    form = bootstrap(Chosen(), small=True)
    assert classes(str(form["wide"])) == ["form-control form-control-lg"]
    assert classes(str(form["big_select"])) == ["form-select"]  # declared full size: not made small
    assert classes(str(form["hooked"])) == ["js-autocomplete form-control form-control-sm"]
    assert classes(str(form["hooked_select"])) == ["scrm-cascade form-select form-select-sm"]


class Ranges(django_filters.FilterSet):
    amount = django_filters.RangeFilter(field_name="amount")
    placed = django_filters.DateFromToRangeFilter(field_name="placed")
    marked = django_filters.RangeFilter(field_name="marked", widget=django_filters.widgets.RangeWidget(
        attrs={"class": "scrm-range"}))
    status = django_filters.ChoiceFilter(choices=[("a", "A")])


def test_a_range_filter_styles_both_of_its_boxes():
    form = bootstrap(Ranges(queryset=Region.objects.none()).form, small=True)
    assert classes(str(form["amount"])) == ["form-control form-control-sm"] * 2
    assert classes(str(form["placed"])) == ["form-control form-control-sm"] * 2
    assert classes(str(form["marked"])) == ["scrm-range form-control form-control-sm"] * 2
    assert classes(str(form["status"])) == ["form-select form-select-sm"]


def test_styling_one_form_leaves_the_next_one_of_its_class_as_declared():
    bootstrap(EveryKind(), small=True)
    assert classes(str(EveryKind()["name"])) == [""]
    assert classes(str(Ranges(queryset=Region.objects.none()).form["amount"])) == ["", ""]
