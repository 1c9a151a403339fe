"""Counting a request's queries, for the tests that hold every list page and API list to a bounded number whatever
its length (DESIGN.md: "a bounded number of queries whatever its length"): the same list is fetched with a few rows
and with many, and both must cost the same."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_of(call):
    """(what `call()` returned, the SQL it ran)."""
    with CaptureQueriesContext(connection) as context:
        result = call()
    return result, [q["sql"] for q in context.captured_queries]


def assert_same_cost(few, many, *, what):
    """`few` and `many` are the SQL lists of one list with few and with many rows: their counts must be equal (a
    query per row would show here as the difference)."""
    assert len(many) == len(few), (
        f"{what}: {len(few)} queries for the short page, {len(many)} for the long one:\n" + "\n".join(many))
