"""Schema → Django form: the one validation of every answer, whoever sends it (public page, staff, API).

`build_form(schema, data=..., files=...)` returns a bound Django form whose `clean()` applies the field logic:
the answers of hidden fields are dropped (whatever the POST carried), required and required-if are enforced on the
visible fields only, choices are checked against the options, files against their types and size. Its
`cleaned_data` is then exactly what may be stored, as JSON (`answers`).
"""

import re
from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from forms_builder.logic import field_required, field_visible, is_empty
from forms_builder.schema import MAX_FILE_SIZE_MB, MOBILE_BINDING, NO_VALUE_TYPES, FieldType, schema_fields
from scrm.customers.phones import InvalidMobile, normalize_mobile
from scrm.forms import ISO_DATE

MSG_REQUIRED = _("This field is required.")
MSG_PATTERN = _("This does not have the expected format.")
MSG_FILE_TYPE = _("Files of type “%(ext)s” are not accepted here (accepted: %(allowed)s).")
MSG_FILE_SIZE = _("The file is larger than %(limit)s MB.")
MSG_AGREE = _("Please tick to agree.")
MSG_NOT_MOBILE = _("“%(label)s” takes a mobile number, such as 13812345678.")
DEFAULT_FILE_SIZE_MB = 10
DEFAULT_FILE_TYPES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".pdf")

RATINGS = [(str(n), str(n)) for n in range(1, 6)]


class FileAnswer:
    """An uploaded file that passed its checks; the service stores it and puts its description in the answers."""

    def __init__(self, upload):
        self.upload = upload


def _regex_validator(pattern):
    # The whole answer must match (ops write "E\d{2}", customers type "E12"), not just a part of it.
    return RegexValidator(re.compile(rf"(?:{pattern})\Z"), MSG_PATTERN)


def _choices(field):
    return [(option["value"], option["label"]) for option in field.get("options", ())]


def _text_kwargs(field):
    kwargs = {}
    if "min_length" in field:
        kwargs["min_length"] = field["min_length"]
    if "max_length" in field:
        kwargs["max_length"] = field["max_length"]
    validators = [_regex_validator(field["regex"])] if field.get("regex") else []
    return kwargs, validators


def _mobile_validator(label):
    # A text field bound to the customer's mobile finds the customer of an intake submission and is written to a
    # verified customer's profile: it must read as a number. The message names the field, never the value (a
    # stored answer may be shown masked to whoever is told it is wrong).
    def validate(value):
        try:
            normalize_mobile(value)
        except InvalidMobile as exc:
            raise forms.ValidationError(MSG_NOT_MOBILE % {"label": label}) from exc
    return validate


def _number_validators(field):
    validators = []
    if "min" in field:
        validators.append(MinValueValidator(Decimal(str(field["min"]))))
    if "max" in field:
        validators.append(MaxValueValidator(Decimal(str(field["max"]))))
    return validators


class MobileField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        try:
            return normalize_mobile(value)
        except InvalidMobile as exc:
            raise forms.ValidationError(str(exc)) from exc


class SchemaFileField(forms.FileField):
    def __init__(self, *, file_types, max_size_mb, **kwargs):
        self.file_types = tuple(file_types)
        self.max_bytes = int(Decimal(str(max_size_mb)) * 1024 * 1024)
        self.max_size_mb = max_size_mb
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if data in (None, "") and isinstance(initial, dict) and initial.get("file_id"):
            return initial  # an edit of a submission: the file answered before stays unless a new one is sent
        upload = super().clean(data, initial)
        if not upload or isinstance(upload, dict):
            return None
        name = upload.name or ""
        extension = name[name.rfind("."):].lower() if "." in name else ""
        if extension not in self.file_types:
            raise forms.ValidationError(MSG_FILE_TYPE % {"ext": extension or "?",
                                                         "allowed": " ".join(self.file_types)})
        if upload.size > self.max_bytes:
            raise forms.ValidationError(MSG_FILE_SIZE % {"limit": self.max_size_mb})
        return FileAnswer(upload)


def django_field(field, *, regions=()):
    """The Django form field of one schema field (never required at this level: `SchemaForm.clean` decides that
    with the logic)."""
    kind = field["type"]
    common = {"label": field["label"], "help_text": field.get("help", ""), "required": False}
    attrs = {"placeholder": field["placeholder"]} if field.get("placeholder") else {}
    if kind in (FieldType.TEXT, FieldType.CODE):
        kwargs, validators = _text_kwargs(field)
        kwargs.setdefault("max_length", 500)
        if field.get("bind") == MOBILE_BINDING:
            validators.append(_mobile_validator(field["label"]))  # kept as typed; the profile stores it normalised
            attrs.update({"inputmode": "tel", "autocomplete": "tel"})  # a phone opens its number pad, as for mobile
        return forms.CharField(widget=forms.TextInput(attrs=attrs), validators=validators, **kwargs, **common)
    if kind == FieldType.TEXTAREA:
        kwargs, validators = _text_kwargs(field)
        kwargs.setdefault("max_length", 5000)
        return forms.CharField(widget=forms.Textarea(attrs={**attrs, "rows": 4}), validators=validators, **kwargs,
                               **common)
    if kind == FieldType.NUMBER:
        return forms.DecimalField(max_digits=20, decimal_places=6, validators=_number_validators(field),
                                  widget=forms.NumberInput(attrs={**attrs, "inputmode": "decimal", "step": "any"}),
                                  **common)
    if kind == FieldType.MONEY:
        return forms.DecimalField(max_digits=18, decimal_places=2, validators=_number_validators(field),
                                  widget=forms.NumberInput(attrs={**attrs, "inputmode": "decimal", "step": "0.01"}),
                                  **common)
    if kind == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE), **common)
    if kind == FieldType.DATETIME:
        return forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                              format="%Y-%m-%dT%H:%M"), **common)
    if kind == FieldType.SINGLE_CHOICE:
        return forms.ChoiceField(choices=_choices(field), widget=forms.RadioSelect, **common)
    if kind == FieldType.DROPDOWN:
        return forms.ChoiceField(choices=[("", "—"), *_choices(field)], **common)
    if kind == FieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(choices=_choices(field), widget=forms.CheckboxSelectMultiple, **common)
    if kind == FieldType.REGION:
        return forms.TypedChoiceField(choices=[("", "—"), *region_answers(field, regions)], coerce=int,
                                      empty_value=None, widget=forms.Select(attrs={"data-region-cascade": "1"}),
                                      **common)
    if kind == FieldType.MOBILE:
        return MobileField(max_length=30, widget=forms.TextInput(attrs={**attrs, "inputmode": "tel",
                                                                         "autocomplete": "tel"}), **common)
    if kind == FieldType.EMAIL:
        return forms.EmailField(widget=forms.EmailInput(attrs=attrs), **common)
    if kind == FieldType.RATING:
        return forms.TypedChoiceField(choices=RATINGS, coerce=int, empty_value=None, widget=forms.RadioSelect,
                                      **common)
    if kind == FieldType.AGREEMENT:
        return forms.BooleanField(**common)
    if kind == FieldType.FILE:
        types = field.get("file_types") or DEFAULT_FILE_TYPES
        file_field = SchemaFileField(file_types=types, max_size_mb=field.get("max_size_mb") or DEFAULT_FILE_SIZE_MB,
                                     widget=forms.ClearableFileInput(attrs={"accept": ",".join(types)}), **common)
        # The browser checks the size too, before a phone spends minutes uploading what will be refused.
        file_field.widget.attrs.update({"data-max-bytes": file_field.max_bytes,
                                        "data-too-large": MSG_FILE_SIZE % {"limit": file_field.max_size_mb}})
        return file_field
    raise ValueError(f"no form field for type {kind!r}")


def region_answers(field, regions):
    """The regions a region field accepts, among `regions` (the organization's, selectors.region_choices()): those
    at its `depth`, and those with nothing below them above it; without a depth, those with nothing below them.
    Anything else (another organization's region, a province when a city is asked for) is not a valid choice."""
    nodes = getattr(regions, "nodes", None)
    if not nodes:
        return list(regions)
    depth = field.get("depth")

    def accepted(node):
        return node["depth"] == depth or (node["leaf"] and node["depth"] < depth) if depth else node["leaf"]

    return [(pk, label) for pk, label in regions if pk in nodes and accepted(nodes[pk])]


def region_tree(schema, regions):
    """What the cascading selects of a form need: [[id, parent id, name]] of the organization's regions in tree
    order, or None when the form has no region field. Embedded in the page (no request per level); which regions a
    field accepts the browser reads from the field's own select, which only offers those."""
    nodes = getattr(regions, "nodes", None)
    if not nodes or not any(f["type"] == FieldType.REGION for f in schema_fields(schema)):
        return None
    return [[pk, nodes[pk]["parent"], nodes[pk]["name"]] for pk, _label in regions]


def _json_value(value):
    """A cleaned value as the answers store it (JSON): numbers and money as text (no float ever), dates in ISO."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


class SchemaForm(forms.Form):
    """A form built from a schema (`build_form`); `answers` holds the stored shape after `is_valid()`."""

    schema_fields = ()

    def clean(self):
        cleaned = super().clean()
        answers, files = {}, {}
        for field in self.schema_fields:
            key = field["key"]
            if field["type"] in NO_VALUE_TYPES:
                continue
            if not field_visible(field, answers):
                # Hidden: whatever was sent for it is dropped, errors and all.
                self._errors.pop(key, None)
                cleaned.pop(key, None)
                continue
            if key in self._errors:
                continue
            value = cleaned.get(key)
            if isinstance(value, FileAnswer):
                files[key] = value
                value = {"name": value.upload.name}  # conditions see a file as given; the service stores it
            if is_empty(value) and field_required(field, answers):
                self.add_error(key, MSG_AGREE if field["type"] == FieldType.AGREEMENT else MSG_REQUIRED)
                continue
            if field["type"] == FieldType.MONEY and isinstance(value, Decimal):
                value = value.quantize(Decimal("0.01"))  # money to the fen, always two places
            if not is_empty(value):
                answers[key] = _json_value(value)
        self.answers = answers
        self.files_to_store = files
        return cleaned


def raw_answers(data):
    """Answers as a QueryDict, whatever they came as: a POST as is; a dict (the API's JSON, a service's caller) with
    text for every scalar (true as "on"), lists as several values, and nested objects dropped, so no field ever
    sees a type its widget does not expect."""
    if data is None or hasattr(data, "getlist"):
        return data
    answers = QueryDict(mutable=True)
    for key, value in data.items() if isinstance(data, dict) else ():
        values = value if isinstance(value, (list, tuple)) else [value]
        text = []
        for item in values:
            if isinstance(item, bool):
                text.append("on" if item else "")
            elif isinstance(item, (str, int, float, Decimal)):
                text.append(str(item))
        answers.setlist(str(key), text)
    return answers


def build_form(schema, *, data=None, files=None, initial=None, regions=(), prefix=None):
    """A Django form for `schema` (bound when `data` is given). `regions`: [(id, label)] the region fields offer."""
    data = raw_answers(data)
    fields = [field for field in schema_fields(schema)]
    declared = {field["key"]: django_field(field, regions=regions)
                for field in fields if field["type"] not in NO_VALUE_TYPES}
    form_class = type("SchemaForm", (SchemaForm,), {**declared, "schema_fields": fields})
    return form_class(data=data, files=files, initial=initial, prefix=prefix)


def initial_values(schema, params=None):
    """Each field's default, overridden by a query parameter of its key (prefill: `?order=...`); files never."""
    params = params or {}
    initial = {}
    for field in schema_fields(schema):
        key, kind = field["key"], field["type"]
        if kind in NO_VALUE_TYPES or kind == FieldType.FILE:
            continue
        if key in params:
            initial[key] = params.getlist(key) if kind == FieldType.MULTI_CHOICE and hasattr(params, "getlist") \
                else params[key]
        elif field.get("default") not in (None, ""):
            initial[key] = field["default"]
    return initial


def logic_rules(schema):
    """What the browser needs to mirror the logic: per field its type and its conditions (nothing else)."""
    return [{"key": f["key"], "type": f["type"], "required": bool(f.get("required")),
             **{name: f[name] for name in ("visible_if", "required_if") if name in f}}
            for f in schema_fields(schema)]


__all__ = ["MAX_FILE_SIZE_MB", "FileAnswer", "SchemaForm", "build_form", "initial_values", "logic_rules",
           "region_answers", "region_tree"]
