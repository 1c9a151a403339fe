"""A form's submissions on a laptop screen (1366 and 1280 wide), in Chinese and English: on the form's page and on
its list of all answers, every heading keeps one line, and a submission's number, time, source and ticket number
are never broken; long answers wrap instead."""

import pytest
from playwright.sync_api import expect

from forms_builder.models import FormSubmission
from forms_builder.services import form_submit
from scrm.platform.tenancy import tenant_scope
from tests.e2e.test_leftover_headings import WIDTHS, _open
from tests.e2e.test_list_layout import LINES, _assert_fits
from tests.forms_builder.factories import published_form, repair_schema

pytestmark = pytest.mark.e2e

# The texts of the table that break over lines: its headings, and the cells that must keep one line.
BROKEN = """table => {
    const lines = """ + LINES + """;
    return Array.from(table.querySelectorAll("th, td.text-nowrap"))
        .filter(el => el.innerText.trim() && lines(el) > 1).map(el => el.innerText.trim());
}"""
# Each answer cell's text broken inside a word of digits (a mobile number cut as +8613951 / 000001).
NUMBERS_BROKEN = """table => {
    const lines = """ + LINES + """;
    return Array.from(table.querySelectorAll("td.forms-answer"))
        .filter(el => /^\\+?\\d{8,}$/.test(el.innerText.trim()) && lines(el) > 1).map(el => el.innerText.trim());
}"""


def _submitted_form(organization):
    schema = repair_schema(subject_field="problem")
    schema["sections"][0]["fields"].append(
        {"key": "agree", "type": "agreement", "label": "我同意工程师上门服务时联系我", "required": True})
    with tenant_scope(organization):
        form = published_form(organization, schema=schema, name="报修登记")
        for n in range(3):
            form_submit(form=form, data={
                "name": f"安静的美男子{n}", "mobile": f"1395100000{n}", "problem": "other", "agree": "on",
                "detail": "洗衣机不脱水，显示屏上的代码是 E21，师傅上次来看过以后还是一样，麻烦尽快安排上门"})
    return form


@pytest.mark.parametrize(("language", "width"), WIDTHS)
def test_the_forms_submissions_keep_headings_and_numbers_on_one_line(page, live_server, organization, ops_admin,
                                                                     language, width):
    """On the form's page 版本 stood 版 / 本, the ticket number broke at its hyphen and 公开页面 two characters a
    line; on the answers list each question's heading stood a character or two a line (5 lines for the agreement)."""
    form = _submitted_form(organization)
    _open(page, live_server, ops_admin, f"/forms/{form.pk}/", language, width)
    table = page.locator("[data-testid=submission-table]")
    expect(table.locator("tbody tr")).to_have_count(3)
    assert table.evaluate(BROKEN) == []
    _assert_fits(page, "submission-table", width)
    # Each ticket number opens its ticket.
    with tenant_scope(organization):
        ticket_ids = {s.outcome["ticket_id"] for s in FormSubmission.objects.filter(form=form)}
    links = table.locator("[data-testid=submission-ticket]")
    expect(links).to_have_count(3)
    assert {link.get_attribute("href") for link in links.all()} == {f"/tickets/{pk}/" for pk in ticket_ids}

    page.goto(f"{live_server.url}/forms/{form.pk}/submissions/")
    expect(table.locator("tbody tr")).to_have_count(3)
    assert table.evaluate(BROKEN) == []
    assert table.evaluate(NUMBERS_BROKEN) == []
    # A paragraph answer reads in a few lines, not one word a line down a narrow column.
    assert table.locator("td.forms-answer-long").first.evaluate(LINES) <= 4
    # A table wider than the window scrolls inside its card, never the page.
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
