"""Real-browser fixtures: one headless Chromium per session, a fresh context (cookies, storage) per test.

We drive Debian's Chromium, never a browser downloaded by `playwright install`; CI installs the `chromium` package.
"""

import os
import threading
import time
from contextlib import contextmanager

import pytest
from django.core.signals import request_finished, request_started
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


@contextmanager
def browser_page(browser, live_server, **options):
    """A page of a fresh browser context (its own cookies and storage) on the live server, in Asia/Shanghai, with
    the suite's timeout; `options` go to the context (viewport, is_mobile, locale ...). Closed on the way out, so
    its requests end before the test's tables are flushed."""
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser, live_server):
    # An English-language browser on purpose: the UI must still be Chinese until the user picks another language
    # (scrm.platform.middleware.ChineseFirstLocaleMiddleware ignores Accept-Language).
    with browser_page(browser, live_server, locale="en-US") as page:
        yield page


class _RequestsInFlight:
    """Counts the live server's requests between Django's request_started and request_finished (the server is a
    thread of this process, so its signals reach us)."""

    def __init__(self):
        self.count = 0
        self.idle = threading.Condition()

    def started(self, **kwargs):
        with self.idle:
            self.count += 1

    def finished(self, **kwargs):
        with self.idle:
            self.count -= 1
            self.idle.notify_all()

    def wait_until_idle(self, timeout):
        deadline = time.monotonic() + timeout
        with self.idle:
            while self.count > 0 and time.monotonic() < deadline:
                self.idle.wait(deadline - time.monotonic())
            return self.count <= 0


@pytest.fixture(autouse=True)
def live_server_done_before_flush(transactional_db):
    """Let the live server finish what a test's browser asked for before the test's tables are flushed.

    A page's lazily loaded part (the ticket page's forms panel, say) may still be running when the test has seen what
    it waited for and its browser context is closed: the server thread then holds table locks, and the flush's
    TRUNCATE deadlocked with it (CI, 2026-12-05: one error in 2,303 tests). Set up after `transactional_db`, so torn
    down before it; after `page`, which closes the browser context first.
    """
    in_flight = _RequestsInFlight()
    request_started.connect(in_flight.started, weak=False)
    request_finished.connect(in_flight.finished, weak=False)
    try:
        yield
    finally:
        try:
            if not in_flight.wait_until_idle(timeout=TIMEOUT_MS / 1000):
                pytest.fail("the live server was still answering a request 10 s after the test ended")
        finally:
            request_started.disconnect(in_flight.started)
            request_finished.disconnect(in_flight.finished)


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
