"""A statement in a real browser: finance uploads a WeChat Pay bill, watches the progress bar while a real worker
reads it, and reads the figures when it is done."""

from datetime import date

import pytest
from playwright.sync_api import expect

from bench.statements import bench_entry
from demo.statement_files import wechatpay_bill
from scrm.models import Role
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD

pytestmark = pytest.mark.e2e
LINES = 20_000  # a second or two of reading: the bar is seen before the figures


def test_finance_uploads_a_statement_and_watches_it_being_read(page, live_server, organization, make_user,
                                                               celery_worker, tmp_path):
    finance = make_user(organization, Role.FINANCE, username="finance-e2e")
    path = tmp_path / "wechatpay-20261130.csv"
    path.write_bytes(wechatpay_bill(bench_entry(n, date(2026, 11, 30)) for n in range(LINES)))

    login(page, live_server, finance.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/settlement/statements/")
    page.click("[data-testid=statement-upload-link]")
    page.select_option("#id_channel", label="微信支付")
    page.set_input_files("#id_file", str(path))
    with page.expect_navigation():
        page.click("[data-testid=statement-upload-form] button[type=submit]")
    expect(page.locator("[data-testid=statement-progress] .progress-bar")).to_be_visible()
    # htmx polls the bar and reloads the page once the worker is done: the figures replace it.
    expect(page.locator("[data-testid=statement-lines]")).to_have_text(f"{LINES}", timeout=90_000)
    expect(page.locator("[data-testid=statement-progress]")).to_have_count(0)
    expect(page.locator("[data-testid=statement-period]")).to_have_text("2026-11-30")
    expect(page.locator("[data-testid=statement-status]")).to_have_text("已导入")
