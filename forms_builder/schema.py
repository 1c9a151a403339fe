"""The form schema: what a form version holds, the JSON-Schema meta-schema every schema is checked against before it
is saved, and the checks JSON Schema cannot express (unique keys, conditions that name an earlier field, options of
choice fields, regexes that compile).

A schema is ordered sections (pages) of fields::

    {"sections": [{"key": "s1", "title": "报修信息", "fields": [
        {"key": "problem", "type": "dropdown", "label": "问题类型", "required": true,
         "options": [{"value": "fault", "label": "设备故障"}, {"value": "install", "label": "安装"}]},
        {"key": "fault_code", "type": "code", "label": "故障代码", "regex": "^E\\\\d{2}$",
         "visible_if": {"mode": "all", "conditions": [{"field": "problem", "op": "equals", "value": "fault"}]}}
     ]}],
     "intake": {"ticket_type": "repair", "priority": 2, "rules": [...]}}

A field's key is its identity: it survives label edits, and submissions store their answers by key.
"""

import math
import re

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from jsonschema import Draft202012Validator

from forms_builder.errors import FormError


class FieldType:
    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    DROPDOWN = "dropdown"
    REGION = "region"
    MOBILE = "mobile"
    EMAIL = "email"
    CODE = "code"
    RATING = "rating"
    FILE = "file"
    AGREEMENT = "agreement"
    INFO = "info"


# The palette of the editor, in its order, with the label ops see.
FIELD_TYPES = {
    FieldType.TEXT: _("Single-line text"),
    FieldType.TEXTAREA: _("Paragraph"),
    FieldType.NUMBER: pgettext_lazy("form field type", "Number"),  # a quantity, not a ticket's 编号
    FieldType.MONEY: _("Money"),
    FieldType.DATE: _("Date"),
    FieldType.DATETIME: _("Date and time"),
    FieldType.SINGLE_CHOICE: _("Single choice"),
    FieldType.MULTI_CHOICE: _("Multiple choice"),
    FieldType.DROPDOWN: _("Dropdown"),
    FieldType.REGION: _("Region"),
    FieldType.MOBILE: _("Mobile"),
    FieldType.EMAIL: _("Email"),
    FieldType.CODE: _("Code (pattern)"),
    FieldType.RATING: _("Rating 1–5"),
    FieldType.FILE: _("File or image"),
    FieldType.AGREEMENT: _("Agreement checkbox"),
    FieldType.INFO: _("Info block (read-only)"),
}
CHOICE_TYPES = {FieldType.SINGLE_CHOICE, FieldType.MULTI_CHOICE, FieldType.DROPDOWN}
NUMERIC_TYPES = {FieldType.NUMBER, FieldType.MONEY, FieldType.RATING}
# Types that hold no answer.
NO_VALUE_TYPES = {FieldType.INFO}

OPERATORS = {
    "equals": _("equals"),
    "not_equals": _("does not equal"),
    "in": _("is one of"),
    "contains": _("contains"),
    "gt": _("is greater than"),
    "lt": _("is less than"),
    "is_empty": _("is empty"),
    "not_empty": _("is not empty"),
}

# What a field may bind to in the CRM: it is prefilled from the customer's profile when the form knows the customer
# (a signed WeChat link), name and mobile find or make the customer of an intake submission, and mobile, region and
# tags write back to the profile of a verified customer (forms_builder.crm).
BINDINGS = ("customer.name", "customer.mobile", "customer.region", "customer.tags")
MOBILE_BINDING = "customer.mobile"
# The field types each binding accepts.
BINDING_TYPES = {
    "customer.name": {FieldType.TEXT},
    "customer.mobile": {FieldType.MOBILE, FieldType.TEXT},
    "customer.region": {FieldType.REGION},
    "customer.tags": {FieldType.MULTI_CHOICE, FieldType.SINGLE_CHOICE, FieldType.DROPDOWN},
}

MAX_FIELDS = 200
MAX_FILE_SIZE_MB = 20

_KEY = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}
_SCALAR = {"type": ["string", "number", "boolean"]}
_CONDITION_GROUP = {
    "type": "object",
    "additionalProperties": False,
    "required": ["conditions"],
    "properties": {
        "mode": {"enum": ["all", "any"]},
        "conditions": {
            "type": "array", "maxItems": 20,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["field", "op"],
                "properties": {
                    "field": _KEY,
                    "op": {"enum": list(OPERATORS)},
                    "value": {"anyOf": [_SCALAR, {"type": "array", "maxItems": 100, "items": _SCALAR}]},
                },
                # Only "is one of" takes a list of values; every other operator compares with one value.
                "if": {"properties": {"op": {"not": {"const": "in"}}}},
                "then": {"properties": {"value": _SCALAR}},
            },
        },
    },
}
_TEXT = {"type": "string", "maxLength": 2000}
_FIELD = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "type", "label"],
    "properties": {
        "key": _KEY,
        "type": {"enum": list(FIELD_TYPES)},
        "label": {"type": "string", "minLength": 1, "maxLength": 200},
        "help": _TEXT,
        "placeholder": {"type": "string", "maxLength": 200},
        "required": {"type": "boolean"},
        "default": {"anyOf": [_SCALAR, {"type": "null"}, {"type": "array", "items": _SCALAR, "maxItems": 100}]},
        "options": {
            "type": "array", "maxItems": 200,
            "items": {
                "type": "object", "additionalProperties": False, "required": ["value", "label"],
                "properties": {"value": {"type": "string", "minLength": 1, "maxLength": 100},
                               "label": {"type": "string", "minLength": 1, "maxLength": 200}},
            },
        },
        "min": {"type": "number"},
        "max": {"type": "number"},
        "min_length": {"type": "integer", "minimum": 0, "maximum": 10000},
        "max_length": {"type": "integer", "minimum": 1, "maximum": 10000},
        "regex": {"type": "string", "maxLength": 200},
        "file_types": {"type": "array", "maxItems": 20,
                       "items": {"type": "string", "pattern": "^\\.[a-z0-9]{1,8}$"}},
        "max_size_mb": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_FILE_SIZE_MB},
        "bind": {"enum": list(BINDINGS)},
        # Region fields: the level of the organization's region tree the answer must reach (1 = the top level); a
        # region with nothing below it is accepted above that level. Without it: a region with nothing below it.
        "depth": {"type": "integer", "minimum": 1, "maximum": 6},
        "visible_if": _CONDITION_GROUP,
        "required_if": _CONDITION_GROUP,
    },
}
_ROUTING_RULE = {
    "type": "object", "additionalProperties": False, "required": ["when"],
    "properties": {
        "when": _CONDITION_GROUP,
        "ticket_type": {"type": "string", "maxLength": 32},
        "queue": {"type": "string", "maxLength": 32},
        "priority": {"type": "integer", "minimum": 1, "maximum": 4},
        "tags": {"type": "array", "maxItems": 10, "items": {"type": "string", "minLength": 1, "maxLength": 50}},
    },
}
META_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "SCRM form schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["sections"],
    "properties": {
        "sections": {
            "type": "array", "minItems": 1, "maxItems": 20,
            "items": {
                "type": "object", "additionalProperties": False, "required": ["key", "fields"],
                "properties": {"key": _KEY, "title": {"type": "string", "maxLength": 200},
                               "fields": {"type": "array", "maxItems": MAX_FIELDS, "items": _FIELD}},
            },
        },
        "submit_label": {"type": "string", "maxLength": 50},
        "thank_you": {"type": "string", "maxLength": 2000},
        # Intake forms: how a submission becomes a ticket (codes of the organization's ticket types, queues, tags;
        # the tickets app resolves them). The first rule whose conditions hold wins over the defaults.
        "intake": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "subject_field": _KEY,
                "ticket_type": {"type": "string", "maxLength": 32},
                "queue": {"type": "string", "maxLength": 32},
                "priority": {"type": "integer", "minimum": 1, "maximum": 4},
                "tags": {"type": "array", "maxItems": 10, "items": {"type": "string", "minLength": 1,
                                                                   "maxLength": 50}},
                "rules": {"type": "array", "maxItems": 50, "items": _ROUTING_RULE},
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(META_SCHEMA)

MSG_DUPLICATE_KEY = _("The key “%(key)s” is used twice.")
MSG_UNKNOWN_FIELD = _("The condition names “%(key)s”, which is not a field before this one.")
MSG_NEEDS_OPTIONS = _("A choice field needs at least one option.")
MSG_DUPLICATE_OPTION = _("The option value “%(value)s” is used twice.")
MSG_BAD_REGEX = _("The pattern does not compile: %(error)s")
MSG_MIN_OVER_MAX = _("The minimum is greater than the maximum.")
MSG_BAD_DEFAULT = _("The default is not one of the options.")
MSG_BAD_BINDING = _("A field of this type cannot be bound to “%(bind)s”.")
MSG_BINDING_TWICE = _("Only one field may be bound to “%(bind)s”.")
MSG_NUL_CHARACTER = _("This text holds an invisible NUL character, which cannot be stored: remove it.")
MSG_NUMBER_TOO_LARGE = _("This number is too large.")


def _path(parts):
    return "/".join(str(part) for part in parts) or "/"


def schema_problems(schema):
    """Every problem of `schema` as (path, message), first the meta-schema's, then the rules JSON Schema cannot say.
    An empty list: the schema may be saved."""
    problems = [(_path(error.absolute_path), error.message)
                for error in sorted(_VALIDATOR.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path)))]
    problems.extend(_unstorable(schema, []))
    if problems:
        return problems
    seen = {}
    keys_before = set()
    bound = set()
    for s, section in enumerate(schema["sections"]):
        if section["key"] in seen:
            problems.append((_path(["sections", s, "key"]), MSG_DUPLICATE_KEY % {"key": section["key"]}))
        seen[section["key"]] = True
        for f, field in enumerate(section["fields"]):
            at = ["sections", s, "fields", f]
            problems.extend(_field_problems(field, at, keys_before, seen))
            if field.get("bind"):
                if field["type"] not in BINDING_TYPES[field["bind"]]:
                    problems.append((_path([*at, "bind"]), MSG_BAD_BINDING % {"bind": field["bind"]}))
                if field["bind"] in bound:
                    problems.append((_path([*at, "bind"]), MSG_BINDING_TWICE % {"bind": field["bind"]}))
                bound.add(field["bind"])
            seen[field["key"]] = True
            if field["type"] not in NO_VALUE_TYPES:
                keys_before.add(field["key"])
    intake = schema.get("intake") or {}
    if intake.get("subject_field") and intake["subject_field"] not in keys_before:
        problems.append(("intake/subject_field", MSG_UNKNOWN_FIELD % {"key": intake["subject_field"]}))
    for r, rule in enumerate(intake.get("rules", ())):
        problems.extend(_condition_problems(rule["when"], ["intake", "rules", r, "when"], keys_before))
    return problems


def _unstorable(value, at):
    """What PostgreSQL's JSON refuses though Python's json reads it: a NUL character in a text (or a key), a number
    beyond a float (1e400 reads as infinity). Found here, they are problems with a path, never a server error."""
    if isinstance(value, str):
        return [(_path(at), MSG_NUL_CHARACTER)] if "\x00" in value else []
    if isinstance(value, float):
        return [] if math.isfinite(value) else [(_path(at), MSG_NUMBER_TOO_LARGE)]
    if isinstance(value, dict):
        return [problem for key, item in value.items()
                for problem in (_unstorable(key, at) + _unstorable(item, [*at, key]))]
    if isinstance(value, list):
        return [problem for n, item in enumerate(value) for problem in _unstorable(item, [*at, n])]
    return []


def _field_problems(field, at, keys_before, seen):
    problems = []
    if field["key"] in seen:
        problems.append((_path([*at, "key"]), MSG_DUPLICATE_KEY % {"key": field["key"]}))
    kind = field["type"]
    if kind in CHOICE_TYPES:
        options = field.get("options") or []
        if not options:
            problems.append((_path([*at, "options"]), MSG_NEEDS_OPTIONS))
        values = set()
        for o, option in enumerate(options):
            if option["value"] in values:
                problems.append((_path([*at, "options", o, "value"]),
                                 MSG_DUPLICATE_OPTION % {"value": option["value"]}))
            values.add(option["value"])
        default = field.get("default")
        if default not in (None, "", []):
            defaults = default if isinstance(default, list) else [default]
            if any(str(d) not in values for d in defaults):
                problems.append((_path([*at, "default"]), MSG_BAD_DEFAULT))
    if field.get("regex"):
        try:
            re.compile(field["regex"])
        except re.error as exc:
            problems.append((_path([*at, "regex"]), MSG_BAD_REGEX % {"error": exc}))
    if "min" in field and "max" in field and field["min"] > field["max"]:
        problems.append((_path([*at, "min"]), MSG_MIN_OVER_MAX))
    if "min_length" in field and "max_length" in field and field["min_length"] > field["max_length"]:
        problems.append((_path([*at, "min_length"]), MSG_MIN_OVER_MAX))
    for name in ("visible_if", "required_if"):
        if name in field:
            problems.extend(_condition_problems(field[name], [*at, name], keys_before))
    return problems


def _condition_problems(group, at, keys_before):
    # A condition may only name a field placed before it: logic then evaluates in one pass, and can never loop.
    return [(_path([*at, "conditions", c, "field"]), MSG_UNKNOWN_FIELD % {"key": condition["field"]})
            for c, condition in enumerate(group["conditions"]) if condition["field"] not in keys_before]


def schema_validate(schema):
    """Raise FormError listing every problem (each with its path) when `schema` may not be saved."""
    problems = schema_problems(schema)
    if problems:
        raise FormError(_("The form schema is invalid."), problems=problems)
    return schema


def schema_fields(schema):
    """The fields of a schema in order, across its sections."""
    return [field for section in schema.get("sections", ()) for field in section.get("fields", ())]


def empty_schema():
    return {"sections": [{"key": "s1", "title": "", "fields": []}]}
