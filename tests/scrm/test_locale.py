import pytest
from django.test import Client

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
