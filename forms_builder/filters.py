"""Filters on answers (django-filter): one filter per answerable field, shaped by its type, for any list of rows that
reach the answers through a JSON path: a form's submissions (`data`), a ticket's current custom fields
(`submission__data`, in the tickets app).

| field type | filter | SQL |
|---|---|---|
| text, paragraph, code, mobile, email | contains (any case) | `data ->> key ILIKE %…%` |
| single choice, dropdown | any of the chosen options | `data @> {"key": value}` OR … (GIN index, jsonb_path_ops) |
| multiple choice | has any of the chosen options | `data @> {"key": [value]}` OR … (same index) |
| rating | any of the chosen stars | `data @> {"key": n}` OR … (same index) |
| number, money | from / to | the answer as numeric (text that is not a number never matches, never fails) |
| date, date and time | from / to (days) | the ISO text, compared byte by byte |
| agreement, file | given / not given | `data @> {"key": true}`, `data ? key` |
| region | the region or any below it | `data -> key IN (ids of the subtree)` |

Filter names are "a_<key>" (ranges add "_min"/"_max" or "_after"/"_before"), so they never meet another filter's.
A field whose key was renamed, or whose answers were converted, at a publish (forms_builder.keymap) reads its
earlier answers too: every condition is OR-ed over the field's sources (the stored key, and the stored shape of a
choice).
"""

from datetime import timedelta
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import DecimalField, Func, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Collate
from django.utils.translation import gettext_lazy as _

from forms_builder.engine import RATINGS
from forms_builder.keymap import read_sources
from forms_builder.schema import FieldType

PREFIX = "a_"
TEXT_TYPES = {FieldType.TEXT, FieldType.TEXTAREA, FieldType.CODE, FieldType.MOBILE, FieldType.EMAIL}
YES_NO = [("yes", _("Given")), ("no", _("Not given"))]


# An answer that reads as a number (the text numbers and money are stored as).
NUMBER_PATTERN = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"


class NumericAnswer(Func):
    """An answer stored as text ("12.50") as a numeric, or NULL when the text is not a number (a field retyped
    across versions may hold any text): a range never fails on old answers, it just does not match them."""

    output_field = DecimalField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return (f"(CASE WHEN {sql} ~ '{NUMBER_PATTERN}' THEN ({sql})::numeric END)",
                (*params, *params))


def answer_text(spec, path):
    """The answer of `spec` as text at `path`: its own key, or the first of its sources' keys that holds one."""
    keys = list(dict.fromkeys(key for key, _type in read_sources(spec)))
    if len(keys) == 1:
        return KeyTextTransform(keys[0], path)
    return Coalesce(*(KeyTextTransform(key, path) for key in keys))


class AnswerFilter(django_filters.Filter):
    """A filter on one answer: `path` is the JSON column ("data" or "submission__data"), `spec` the field."""

    def __init__(self, *, path, spec, **kwargs):
        self.path, self.spec, self.key = path, spec, spec["key"]
        self.sources = read_sources(spec)
        kwargs.setdefault("label", spec["label"])
        super().__init__(field_name=f"{path}__{spec['key']}", **kwargs)

    def contains(self, value, key=None):
        return Q(**{f"{self.path}__contains": {key or self.key: value}})

    def any_source(self, condition):
        """`condition(key, type)` OR-ed over the stored keys (and types) the field's answers live under."""
        query = Q()
        for key, kind in self.sources:
            query |= condition(key, kind)
        return query

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        return qs.filter(self.condition(value))


class TextAnswerFilter(AnswerFilter):
    field_class = forms.CharField

    def condition(self, value):
        return self.any_source(lambda key, _kind: Q(**{f"{self.path}__{key}__icontains": value.strip()}))


CHOICES_SHOWN = 5


class ChoiceAnswerFilter(AnswerFilter, django_filters.MultipleChoiceFilter):
    """Any of the chosen options (a multiple-choice answer: any of them among its choices)."""

    def __init__(self, *, path, spec, choices, as_list=False, coerce=str, **kwargs):
        self.as_list, self.coerce = as_list, coerce
        # Every option in sight up to CHOICES_SHOWN (with three rows the demo's 问题类型 hid its fourth, 其他).
        choices = list(choices)
        size = max(2, min(len(choices), CHOICES_SHOWN))
        super().__init__(path=path, spec=spec, choices=choices,
                         widget=forms.SelectMultiple(attrs={"class": "form-select form-select-sm", "size": size}),
                         **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        query = Q()
        for chosen in value:
            chosen = self.coerce(chosen)
            # An answer converted from a single choice is stored as one value, not a list.
            query |= self.any_source(lambda key, kind, chosen=chosen: self.contains(
                [chosen] if self.as_list and kind == FieldType.MULTI_CHOICE else chosen, key))
        return qs.filter(query)


class NumberRangeAnswerFilter(AnswerFilter):
    field_class = django_filters.fields.RangeField

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.extra.setdefault("fields", (forms.DecimalField(max_digits=20, decimal_places=6),
                                         forms.DecimalField(max_digits=20, decimal_places=6)))

    def filter(self, qs, value):
        if not value or (value.start is None and value.stop is None):
            return qs
        alias = f"_num_{self.key}"
        qs = qs.alias(**{alias: NumericAnswer(answer_text(self.spec, self.path))})
        if value.start is not None:
            qs = qs.filter(**{f"{alias}__gte": Decimal(value.start)})
        if value.stop is not None:
            qs = qs.filter(**{f"{alias}__lte": Decimal(value.stop)})
        return qs


class DateRangeAnswerFilter(AnswerFilter):
    """From / to, whole days. Answers are ISO text (a date, or a moment in Asia/Shanghai with its offset), so a day
    bound compares as text in the "C" collation (byte order: no locale reordering of digits and dashes)."""

    field_class = django_filters.fields.DateRangeField

    def filter(self, qs, value):
        if not value or (value.start is None and value.stop is None):
            return qs
        alias = f"_day_{self.key}"
        qs = qs.alias(**{alias: Collate(answer_text(self.spec, self.path), "C")})
        if value.start is not None:
            qs = qs.filter(**{f"{alias}__gte": value.start.date().isoformat()})
        if value.stop is not None:  # anything on the last day, whatever its time
            qs = qs.filter(**{f"{alias}__lt": (value.stop.date() + timedelta(days=1)).isoformat()})
        return qs


class GivenAnswerFilter(AnswerFilter, django_filters.ChoiceFilter):
    def __init__(self, **kwargs):
        super().__init__(choices=YES_NO, empty_label=_("Any"),
                         widget=forms.Select(attrs={"class": "form-select form-select-sm"}), **kwargs)

    def condition(self, value):
        given = self.any_source(lambda key, _kind: self.contains(True, key) if self.spec["type"] == FieldType.AGREEMENT
                                else Q(**{f"{self.path}__has_key": key}))
        return given if value == "yes" else ~given


class RegionAnswerFilter(AnswerFilter, django_filters.ChoiceFilter):
    """The region or any region below it (`regions`: [(id, "华东 / 江苏 / 南京")], `subtree(id)`: ids below)."""

    def __init__(self, *, regions, subtree, **kwargs):
        self.subtree = subtree
        super().__init__(choices=[(str(pk), label) for pk, label in regions], empty_label=_("Any"),
                         widget=forms.Select(attrs={"class": "form-select form-select-sm"}), **kwargs)

    def condition(self, value):
        regions = self.subtree(int(value))
        return self.any_source(lambda key, _kind: Q(**{f"{self.path}__{key}__in": regions}))


def answers_filtered(data):
    """Whether `data` (a GET) gives any answer filter a value (a range counts by either bound)."""
    values = data.lists() if hasattr(data, "lists") else (data or {}).items()
    return any(name.startswith(PREFIX) and any(v not in ("", None) for v in (value if isinstance(value, list)
                                                                          else [value]))
               for name, value in values)


def answer_filters(specs, *, path="data", regions=()):
    """{filter name: filter} for `specs` (fields by key, merged across versions): what a FilterSet declares."""
    nodes = getattr(regions, "nodes", {})

    def subtree(pk):
        """The region and every region below it (by materialised path), among the organization's."""
        prefix = nodes[pk]["path"] if pk in nodes else None
        return [other for other, node in nodes.items() if node["path"].startswith(prefix)] if prefix else [pk]

    declared = {}
    for spec in specs:
        kind, name = spec["type"], f"{PREFIX}{spec['key']}"
        common = {"path": path, "spec": spec}
        if kind in TEXT_TYPES:
            declared[name] = TextAnswerFilter(
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                              "placeholder": _("contains")}), **common)
        elif kind in (FieldType.SINGLE_CHOICE, FieldType.DROPDOWN, FieldType.MULTI_CHOICE):
            choices = [(option["value"], option["label"]) for option in spec.get("options", ())]
            declared[name] = ChoiceAnswerFilter(choices=choices, as_list=kind == FieldType.MULTI_CHOICE, **common)
        elif kind == FieldType.RATING:
            declared[name] = ChoiceAnswerFilter(choices=[(v, "★" * int(v)) for v, _l in RATINGS], coerce=int,
                                                **common)
        elif kind in (FieldType.NUMBER, FieldType.MONEY):
            declared[name] = NumberRangeAnswerFilter(
                widget=django_filters.widgets.RangeWidget(attrs={"class": "form-control form-control-sm",
                                                                 "inputmode": "decimal"}), **common)
        elif kind in (FieldType.DATE, FieldType.DATETIME):
            declared[name] = DateRangeAnswerFilter(
                widget=django_filters.widgets.DateRangeWidget(attrs={"class": "form-control form-control-sm",
                                                                     "type": "date"}), **common)
        elif kind in (FieldType.AGREEMENT, FieldType.FILE):
            declared[name] = GivenAnswerFilter(**common)
        elif kind == FieldType.REGION:
            declared[name] = RegionAnswerFilter(regions=regions, subtree=subtree, **common)
    return declared


def answer_filterset(specs, *, path="data", regions=()):
    """A FilterSet class (no model: give it the queryset) filtering rows by the answers of `specs`."""
    return type("AnswerFilterSet", (django_filters.FilterSet,), answer_filters(specs, path=path, regions=regions))
