"""The date ranges of finance's lists (partner statements' period, orders placed, statement imports' and
discrepancies' statement day) are date pickers, not text boxes where one guessed the format: each box is an
<input type="date"> holding an ISO date, and the ISO dates a browser sends filter the list in Chinese as in English."""

import re

import pytest

from scrm.models import Role
from settlement.partner_services import statement_generate
from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-dates")


def date_boxes(page, name):
    """The `type` of the inputs named `<name>_after` and `<name>_before`, and their values."""
    boxes = {}
    for tag in re.findall(r"<input [^>]*>", page):
        named = re.search(r'name="(\w+)"', tag)
        if named and named.group(1) in (f"{name}_after", f"{name}_before"):
            value = re.search(r'value="([^"]*)"', tag)
            boxes[named.group(1)] = (re.search(r'type="(\w+)"', tag).group(1), value.group(1) if value else None)
    return boxes


@pytest.mark.parametrize(("path", "name"), [
    ("/settlement/settlements/", "period"),
    ("/settlement/orders/", "placed"),
    ("/settlement/statements/", "day"),
    ("/settlement/discrepancies/", "day"),
])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_each_date_range_filter_is_two_date_pickers_keeping_the_iso_dates_typed(client, finance, path, name,
                                                                                 language):
    client.force_login(finance)
    client.cookies["django_language"] = language
    response = client.get(f"{path}?{name}_after=2026-10-01&{name}_before=2026-10-31")
    assert response.status_code == 200
    assert date_boxes(response.content.decode(), name) == {f"{name}_after": ("date", "2026-10-01"),
                                                           f"{name}_before": ("date", "2026-10-31")}
    assert date_boxes(client.get(path).content.decode(), name) == {f"{name}_after": ("date", None),
                                                                   f"{name}_before": ("date", None)}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_partner_statements_period_filter_filters_by_the_iso_dates_a_date_picker_sends(client, finance,
                                                                                          organization, language):
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east, code="P1")
    paid_order(organization, store, "A1", "1500.00", paid_at=oct_(3), fee="9.00")
    statement, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    client.force_login(finance)
    client.cookies["django_language"] = language

    def listed(query):
        response = client.get(f"/settlement/settlements/?{query}")
        assert response.status_code == 200 and not response.context["filter"].form.errors
        return [row.record.pk for row in response.context["table"].page.object_list]

    start = PERIOD[0].isoformat()
    assert listed(f"period_after={start}&period_before={start}") == [statement.pk]
    assert listed(f"period_after={PERIOD[1].isoformat()}") == []
    assert listed(f"period_before={start}") == [statement.pk]
