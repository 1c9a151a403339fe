from datetime import UTC, datetime

import pytest
from django.test import Client

from scrm.models import User
from scrm.platform.tenancy import tenant_scope

pytestmark = pytest.mark.django_db


def test_an_english_browser_still_gets_chinese_until_the_user_switches(agent):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.force_login(agent)
    assert 'lang="zh-hans"' in client.get("/tickets/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})
    assert 'lang="en"' in client.get("/tickets/").content.decode()


def test_an_unknown_language_cookie_falls_back_to_chinese(agent):
    client = Client()
    client.cookies["django_language"] = "xx"
    client.force_login(agent)
    assert 'lang="zh-hans"' in client.get("/tickets/").content.decode()


def test_api_docs_allow_inline_styles_but_other_pages_do_not(ops_admin):
    client = Client()
    client.force_login(ops_admin)
    docs = client.get("/api/docs/")["Content-Security-Policy"]
    page = client.get("/settings/")["Content-Security-Policy"]
    assert "'unsafe-inline'" in docs and "script-src 'self'" in docs and "'unsafe-inline'" not in docs.split(
        "script-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_time_left_to_the_locale_reads_year_month_day_in_shanghai(ops_admin, language):
    """上次登录 on the settings pages read 2026年12月5日 05:31 (broken across lines in a narrow cell) and, in English,
    12/05/2026 5:31 a.m. (the SLA policy's preview too); every time now reads 2026-12-05 05:31 in Asia/Shanghai."""
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(ops_admin)
    with tenant_scope(ops_admin.organization):  # signing in stamped its own last_login
        User.objects.filter(pk=ops_admin.pk).update(last_login=datetime(2026, 12, 4, 21, 31, tzinfo=UTC))
    for path in ("/settings/", "/settings/users/"):
        page = client.get(path).content.decode()
        assert "2026-12-05 05:31" in page, path
        assert "2026年12月5日" not in page and "12/05/2026" not in page and "a.m." not in page, path
