"""The browser's mirror of the field logic (static/js/forms_public.js) against the server's (forms_builder/logic.py):
the same operator cases, and random conditions, give the same answer in Chromium as in Python."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms_builder.logic import condition_holds
from forms_builder.schema import OPERATORS
from tests.forms_builder.test_engine import OPERATOR_CASES

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "forms_public.js"


@pytest.fixture(scope="module")
def logic_page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(path=str(SCRIPT))
    yield page
    context.close()


def _browser_holds(page, condition, answers):
    return page.evaluate("([c, a]) => window.scrmFormLogicHolds(c, a)", [condition, answers])


@pytest.mark.parametrize(("op", "value", "answer", "holds"), OPERATOR_CASES)
def test_each_operator_case_holds_the_same_in_the_browser(logic_page, op, value, answer, holds):
    condition = {"field": "f", "op": op, "value": value}
    assert _browser_holds(logic_page, condition, {"f": answer}) is holds


_text = st.text(alphabet="abc 015.-E漏水", max_size=6)
_scalar = st.one_of(_text, st.integers(-100, 100))
_answer = st.one_of(st.none(), _scalar, st.lists(_text, max_size=3))


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(op=st.sampled_from(list(OPERATORS)), value=_scalar, values=st.lists(_scalar, max_size=3), answer=_answer)
def test_random_conditions_hold_the_same_in_the_browser_as_on_the_server(logic_page, op, value, values, answer):
    # As the meta-schema allows: a list of values for "in" only.
    condition = {"field": "f", "op": op, "value": values if op == "in" else value}
    expected = condition_holds(condition, {"f": answer})
    assert _browser_holds(logic_page, condition, {"f": answer}) is expected, json.dumps([condition, answer])
