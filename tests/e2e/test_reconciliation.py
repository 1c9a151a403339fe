"""Reconciliation in a real browser: finance opens the workbench, resolves a discrepancy with a reason and exports
the day's report to Excel. (The statement's upload and its progress bar are the import's own browser test.)"""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from scrm.models import Role
from settlement.reconciliation.services import reconciliation_run
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD
from tests.settlement.recon import DAY, make_channel, make_order, make_statement, make_store, pay

pytestmark = pytest.mark.e2e


def test_finance_resolves_a_discrepancy_and_exports_the_report(page, live_server, organization, make_user):
    finance = make_user(organization, Role.FINANCE, username="finance-e2e")
    channel = make_channel(organization)
    store = make_store(organization, channel)
    make_order(store, "WX-1", "100.00")
    make_order(store, "WX-2", "50.00")
    make_statement(channel, lines=[pay("WX-1", "100.00"), pay("WX-2", "49.90")])
    reconciliation_run(channel=channel, period_start=DAY)

    login(page, live_server, finance.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/settlement/discrepancies/")
    rows = page.locator("[data-testid=discrepancies] tbody tr")
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="订单 WX-2").click()
    expect(page.locator("[data-testid=statement-side]")).to_contain_text("49.90")
    expect(page.locator("[data-testid=ledger-side]")).to_contain_text("50.00")
    expect(page.locator("[data-testid=difference]")).to_have_text("-0.10")
    page.select_option("#id_code", "rounding")
    page.fill("[data-testid=discrepancy-actions] form:first-child textarea", "抹零，已和门店确认")
    page.click("[data-testid=resolve]")
    expect(page.locator("[data-testid=discrepancy-status]")).to_have_text("已解决")
    expect(page.locator("[data-testid=actions]")).to_contain_text("抹零，已和门店确认")

    page.goto(f"{live_server.url}/settlement/reconciliation/report/?channel={channel.pk}&day={DAY}")
    expect(page.locator("[data-testid=statement-total]")).to_have_text("149.90")
    with page.expect_download() as download:
        page.click("[data-testid=export]")
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))  # noqa: SIM115
    cells = [c for row in book.worksheets[1].iter_rows(values_only=True) for c in row]
    assert "订单 WX-2" in cells and "尾差" in cells  # the reason chosen, named as the page names it


# How many lines the text of each matching cell takes on screen (a date broken in two reads as two dates).
_TEXT_LINES = """els => els.map(el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    return [el.innerText.trim(), tops.size];
})"""


def test_the_workbench_keeps_dates_amounts_and_headings_on_one_line_at_1366(page, live_server, organization,
                                                                           make_user):
    finance = make_user(organization, Role.FINANCE, username="finance-e2e")
    channel = make_channel(organization)
    store = make_store(organization, channel, name="星河家电有赞旗舰店（华东）")
    for n in range(6):
        make_order(store, f"E20261127000{n}-LONG-NUMBER", "1299.00")
    make_statement(channel, lines=[pay(f"E20261127000{n}-LONG-NUMBER", "1199.00") for n in range(6)])
    reconciliation_run(channel=channel, period_start=DAY)
    page.set_viewport_size({"width": 1366, "height": 768})

    login(page, live_server, finance.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/settlement/discrepancies/")

    expect(page.locator("[data-testid=discrepancies] tbody tr")).to_have_count(6)
    headings = page.eval_on_selector_all("[data-testid=discrepancies] thead th", _TEXT_LINES)
    days = page.eval_on_selector_all("[data-testid=discrepancies] tbody td.fin-nowrap", _TEXT_LINES)
    amounts = page.eval_on_selector_all("[data-testid=discrepancies] tbody td.text-end", _TEXT_LINES)
    assert [h for h in headings if h[1] > 1] == []
    assert days and [d for d in days if d[1] != 1] == []
    assert [a for a in amounts if a[1] > 1] == []


# How many lines each order number (E + digits) of the matching cells takes on screen.
_NUMBER_LINES = r"""els => els.flatMap(el => {
    const found = [], walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.textContent.matchAll(/E\d{13}/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            found.push([match[0], new Set([...range.getClientRects()].map(r => Math.round(r.top))).size]);
        }
    }
    return found;
})"""


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("zh-hans", 1366)])
def test_an_order_number_in_the_about_column_is_never_cut_in_two(page, live_server, organization, make_user,
                                                                  language, width):
    """The About column broke anywhere: "Order E202612010005 / 1", "Duplicate payment E2 / 026120300067" at 1280
    in English. It breaks between words now, and inside a word only when the word is wider than the column."""
    finance = make_user(organization, Role.FINANCE, username="finance-e2e")
    channel = make_channel(organization)
    store = make_store(organization, channel, name="星河家电有赞店")
    for n in range(4):
        make_order(store, f"E202612010005{n}", "1199.00")
    make_statement(channel, lines=[pay(f"E202612010005{n}", "1199.00") for n in range(1, 4)]
                   + [pay("E2026120100053", "1199.00")])
    reconciliation_run(channel=channel, period_start=DAY)
    if language == "en":
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.set_viewport_size({"width": width, "height": 800})

    login(page, live_server, finance.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/settlement/discrepancies/")
    expect(page.locator("[data-testid=discrepancies] tbody tr")).to_have_count(2)  # not paid, paid twice
    numbers = page.eval_on_selector_all("[data-testid=discrepancies] tbody td.fin-wrap", _NUMBER_LINES)
    assert sorted(number for number, _ in numbers) == ["E2026120100050", "E2026120100053"]
    assert [number for number, lines in numbers if lines > 1] == []
