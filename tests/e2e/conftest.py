"""Real-browser fixtures: one headless Chromium per session, a fresh context (cookies, storage) per test.

We drive Debian's Chromium, never a browser downloaded by `playwright install`; CI installs the `chromium` package.
"""

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from scrm.platform.roles import sync_all_role_permissions

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Long enough for a cold page on a loaded CI machine, short enough that a missing element fails the test quickly.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"e2e tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser, live_server):
    # An English-language browser on purpose: the UI must still be Chinese until the user picks another language
    # (scrm.platform.middleware.ChineseFirstLocaleMiddleware ignores Accept-Language).
    context = browser.new_context(base_url=live_server.url, locale="en-US", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(autouse=True)
def role_groups(transactional_db):
    """Recreate the role groups the data migrations made: a transactional test ends by truncating every table, and
    post_migrate brings back content types and permissions, not groups."""
    sync_all_role_permissions()


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hash test passwords cheaply: every sign-in would otherwise spend most of its time in PBKDF2.

    The live server runs in a thread of this process, so it sees the override too.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(page, live_server, username, password):
    """Sign in through the login form; returns when the page the form led to has loaded (success or not)."""
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("#id_username")).to_be_visible()
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    # The URL may stay the same (a failed attempt re-renders the form), so wait for the navigation itself.
    with page.expect_navigation():
        page.click("form button[type=submit]")
