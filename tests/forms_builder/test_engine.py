"""The engine: meta-schema, logic, and the Django form that validates every submission (no database)."""

import copy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms_builder.engine import build_form
from forms_builder.errors import FormError
from forms_builder.logic import condition_holds, group_holds, routing_for, visible_answers
from forms_builder.schema import FIELD_TYPES, OPERATORS, schema_problems, schema_validate
from tests.forms_builder.factories import repair_schema


def _validate(schema, data, files=None):
    form = build_form(schema, data=data, files=files)
    return form.is_valid(), getattr(form, "answers", None), form.errors


# --- meta-schema ---------------------------------------------------------------------------------------------------

def test_the_repair_schema_is_valid():
    assert schema_problems(repair_schema()) == []


@pytest.mark.parametrize(("change", "path"), [
    (lambda s: s["sections"][0]["fields"][2].update(type="slider"), "sections/0/fields/2/type"),
    (lambda s: s["sections"][0]["fields"][2].pop("options"), "sections/0/fields/2/options"),
    (lambda s: s["sections"][0]["fields"][1].update(key="name"), "sections/0/fields/1/key"),
    (lambda s: s["sections"][0]["fields"][0].update(key="Bad Key"), "sections/0/fields/0/key"),
    (lambda s: s["sections"][0]["fields"][3].update(regex="E(\\d"), "sections/0/fields/3/regex"),
    (lambda s: s["sections"][0]["fields"][5].update(min=10, max=1), "sections/0/fields/5/min"),
    (lambda s: s["sections"][0]["fields"][3]["visible_if"]["conditions"][0].update(field="detail"),
     "sections/0/fields/3/visible_if/conditions/0/field"),
    (lambda s: s["sections"][0]["fields"][3]["visible_if"]["conditions"][0].update(op="like"),
     "sections/0/fields/3/visible_if/conditions/0/op"),
    (lambda s: s["sections"][0]["fields"][0].update(onclick="x"), "sections/0/fields/0"),
    (lambda s: s["sections"][0]["fields"][3]["visible_if"]["conditions"][0].update(value=["fault"]),
     "sections/0/fields/3/visible_if/conditions/0/value"),
    (lambda s: s.update(sections=[]), "sections"),
    (lambda s: s["sections"][0]["fields"][6].update(max_size_mb=500), "sections/0/fields/6/max_size_mb"),
])
def test_a_bad_schema_is_refused_with_the_path_to_the_problem(change, path):
    schema = repair_schema()
    change(schema)
    with pytest.raises(FormError) as refused:
        schema_validate(schema)
    assert path in [p for p, _message in refused.value.problems]


# --- logic ---------------------------------------------------------------------------------------------------------

# (operator, the condition's value, the answer, whether it holds): also run through the browser's mirror
# (tests/e2e/test_forms_logic.py).
OPERATOR_CASES = [
    ("equals", "fault", "fault", True), ("equals", "fault", "other", False), ("equals", 5, "5.0", True),
    ("not_equals", "fault", "other", True), ("not_equals", "fault", None, True), ("not_equals", "a", ["a"], False),
    ("in", ["a", "b"], "b", True), ("in", ["a", "b"], "c", False), ("in", ["a"], ["c", "a"], True),
    ("contains", "漏水", "厨房漏水了", True), ("contains", "x", ["x", "y"], True), ("contains", "z", ["x"], False),
    ("gt", 3, "4", True), ("gt", 3, "3", False), ("lt", 3, 2, True), ("gt", "2026-01-01", "2026-02-01", True),
    ("is_empty", None, "", True), ("is_empty", None, [], True), ("is_empty", None, "a", False),
    ("not_empty", None, "a", True), ("equals", "a", None, False), ("gt", 1, None, False),
    ("equals", "1_000", "1000", False), ("gt", "９", "10", False),
]


@pytest.mark.parametrize(("op", "value", "answer", "holds"), OPERATOR_CASES)
def test_each_operator(op, value, answer, holds):
    assert condition_holds({"field": "f", "op": op, "value": value}, {"f": answer}) is holds


def test_all_and_any():
    conditions = [{"field": "a", "op": "equals", "value": "1"}, {"field": "b", "op": "equals", "value": "1"}]
    answers = {"a": "1", "b": "2"}
    assert group_holds({"mode": "all", "conditions": conditions}, answers) is False
    assert group_holds({"mode": "any", "conditions": conditions}, answers) is True
    assert group_holds({"conditions": []}, answers) is True


def test_a_field_hidden_by_its_condition_hides_the_fields_that_depend_on_it():
    fields = [
        {"key": "a", "type": "text", "label": "A"},
        {"key": "b", "type": "text", "label": "B",
         "visible_if": {"conditions": [{"field": "a", "op": "equals", "value": "x"}]}},
        {"key": "c", "type": "text", "label": "C",
         "visible_if": {"conditions": [{"field": "b", "op": "not_empty"}]}},
    ]
    assert visible_answers(fields, {"a": "y", "b": "kept?", "c": "kept?"}) == {"a": "y"}
    assert visible_answers(fields, {"a": "x", "b": "1", "c": "2"}) == {"a": "x", "b": "1", "c": "2"}


def test_routing_takes_the_first_rule_that_holds_over_the_defaults():
    intake = {"ticket_type": "repair", "priority": 3, "rules": [
        {"when": {"conditions": [{"field": "problem", "op": "equals", "value": "install"}]}, "ticket_type": "install"},
        {"when": {"conditions": [{"field": "problem", "op": "in", "value": ["fault", "install"]}]}, "priority": 1},
    ]}
    assert routing_for(intake, {"problem": "install"}) == {"ticket_type": "install", "priority": 3}
    assert routing_for(intake, {"problem": "fault"}) == {"ticket_type": "repair", "priority": 1}
    assert routing_for(intake, {"problem": "other"}) == {"ticket_type": "repair", "priority": 3}


# --- the Django form -----------------------------------------------------------------------------------------------

GOOD = {"name": "张三", "mobile": "138 1234 5678", "problem": "fault", "fault_code": "E12", "amount": "199.5"}


def test_a_good_submission_is_cleaned_to_json():
    valid, answers, _errors = _validate(repair_schema(), GOOD)
    assert valid
    assert answers == {"name": "张三", "mobile": "+8613812345678", "problem": "fault", "fault_code": "E12",
                       "amount": "199.50"}


def test_hidden_fields_are_dropped_whatever_the_post_says():
    data = {**GOOD, "problem": "install", "fault_code": "not even valid"}
    valid, answers, _errors = _validate(repair_schema(), data)
    assert valid
    assert "fault_code" not in answers


def test_a_visible_required_field_and_required_if_are_enforced():
    valid, _answers, errors = _validate(repair_schema(), {**GOOD, "fault_code": ""})
    assert not valid and list(errors) == ["fault_code"]
    valid, _answers, errors = _validate(repair_schema(), {**GOOD, "problem": "other"})
    assert not valid and list(errors) == ["detail"]
    assert _validate(repair_schema(), {**GOOD, "problem": "other", "detail": "坏了"})[0]


@pytest.mark.parametrize(("key", "value"), [
    ("problem", "hacked"), ("fault_code", "X99"), ("fault_code", "E123"), ("mobile", "12345"), ("amount", "-1"),
    ("amount", "1.234"), ("amount", "abc"),
])
def test_values_the_form_does_not_allow_are_refused(key, value):
    valid, _answers, errors = _validate(repair_schema(), {**GOOD, key: value})
    assert not valid and key in errors


def test_every_field_type_validates():
    fields = [
        {"key": "t", "type": "text", "label": "t", "min_length": 2, "max_length": 4},
        {"key": "n", "type": "number", "label": "n", "min": 1, "max": 10},
        {"key": "d", "type": "date", "label": "d"},
        {"key": "dt", "type": "datetime", "label": "dt"},
        {"key": "sc", "type": "single_choice", "label": "sc", "options": [{"value": "a", "label": "A"}]},
        {"key": "mc", "type": "multi_choice", "label": "mc",
         "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
        {"key": "e", "type": "email", "label": "e"},
        {"key": "r", "type": "rating", "label": "r"},
        {"key": "ag", "type": "agreement", "label": "ag", "required": True},
        {"key": "i", "type": "info", "label": "说明"},
    ]
    schema = {"sections": [{"key": "s", "fields": fields}]}
    schema_validate(schema)
    data = QueryDict(mutable=True)
    data.update({"t": "abc", "n": "3", "d": "2026-12-03", "dt": "2026-12-03T10:30", "sc": "a", "e": "a@b.cn",
                 "r": "5", "ag": "on"})
    data.setlist("mc", ["a", "b"])
    valid, answers, errors = _validate(schema, data)
    assert valid, errors
    assert answers == {"t": "abc", "n": "3", "d": "2026-12-03", "dt": answers["dt"], "sc": "a", "mc": ["a", "b"],
                       "e": "a@b.cn", "r": 5, "ag": True}
    assert answers["dt"].startswith("2026-12-03T10:30")
    bad = {"t": "a", "n": "11", "d": "2026-13-01", "dt": "x", "sc": "z", "e": "no", "r": "6", "mc": "c"}
    valid, _answers, errors = _validate(schema, bad)
    assert set(errors) == {*bad, "ag"}


def test_files_of_a_forbidden_type_or_too_big_are_refused():
    schema = repair_schema()
    ok = SimpleUploadedFile("a.jpg", b"x" * 100, content_type="image/jpeg")
    assert _validate(schema, GOOD, {"photo": ok})[0]
    exe = SimpleUploadedFile("a.exe", b"MZ", content_type="application/octet-stream")
    assert "photo" in _validate(schema, GOOD, {"photo": exe})[2]
    big = SimpleUploadedFile("a.png", b"x" * (1024 * 1024 + 1), content_type="image/png")
    assert "photo" in _validate(schema, GOOD, {"photo": big})[2]


# --- fuzz: never a server error ------------------------------------------------------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                     max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json)
def test_random_json_is_a_list_of_problems_never_a_crash(value):
    problems = schema_problems(value)
    assert isinstance(problems, list)


_field = st.fixed_dictionaries(
    {"key": st.sampled_from(["a", "b", "c", "d"]), "type": st.sampled_from(list(FIELD_TYPES)),
     "label": st.text(min_size=1, max_size=5)},
    optional={"required": st.booleans(), "options": st.lists(st.fixed_dictionaries(
        {"value": st.sampled_from(["x", "y", "z"]), "label": st.just("L")}), max_size=3),
        "min": st.integers(-5, 5), "max": st.integers(-5, 5), "regex": st.sampled_from(["\\d+", "(", "[a-z]{2}"]),
        "visible_if": st.fixed_dictionaries({"conditions": st.lists(st.fixed_dictionaries(
            {"field": st.sampled_from(["a", "b", "c"]), "op": st.sampled_from(list(OPERATORS)),
             "value": st.one_of(st.text(max_size=3), st.integers())}), max_size=2)})},
)
_schema = st.builds(lambda fields: {"sections": [{"key": "s", "fields": fields}]}, st.lists(_field, max_size=5))
_payload = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]),
                           st.one_of(st.text(max_size=10), st.sampled_from(["x", "1", "2026-01-01", "on", "E12"])),
                           max_size=5)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_schema, _payload)
def test_random_schemas_and_payloads_validate_or_refuse_never_crash(schema, payload):
    if schema_problems(schema):
        return
    form = build_form(copy.deepcopy(schema), data=payload)
    if form.is_valid():
        # What is stored holds only keys of visible, value-holding fields.
        assert set(form.answers) <= {f["key"] for f in schema["sections"][0]["fields"] if f["type"] != "info"}
