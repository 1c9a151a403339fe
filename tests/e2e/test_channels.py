"""Channel accounts in a real browser: ops connect an Official Account, copy its callback URL, and later replace a
secret without ever seeing the stored ones."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD

pytestmark = pytest.mark.e2e

TOKEN, AES_KEY, SECRET = "e2etoken123", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "e2e-app-secret"


def test_ops_connect_an_official_account_and_copy_its_callback_url(page, live_server, ops_admin):
    login(page, live_server, ops_admin.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/settings/channels/")
    page.click("[data-testid=account-add]")
    page.select_option("#id_kind", "wechat_oa")
    page.fill("#id_name", "艾克美服务号")
    page.fill("#id_slug", "acme-e2e")
    page.fill("#id_app_id", "wxe2e0000000000001")
    page.fill("#id_token", TOKEN)
    page.fill("#id_aes_key", AES_KEY)
    page.fill("#id_secret", SECRET)
    page.click("[data-testid=account-save]")
    expect(page.locator("[data-testid=callback-url]")).to_have_text(f"{live_server.url}/hooks/wechat/acme-e2e/")

    page.goto(f"{live_server.url}/settings/channels/")
    expect(page.locator("[data-testid=channel-accounts]")).to_contain_text("艾克美服务号")
    page.get_by_role("link", name="艾克美服务号").click()
    page.locator("a[href$='/edit/']").first.click()
    for name in ("token", "aes_key", "secret"):
        expect(page.locator(f"[data-testid=secret-state-{name}]")).to_have_attribute("data-set", "yes")
        expect(page.locator(f"#id_{name}")).to_have_value("")
    html = page.content()
    assert TOKEN not in html and AES_KEY not in html and SECRET not in html
