"""The API token page under the user menu: a user issues, replaces and revokes their own token."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from scrm.models import Role
from tests.scrm.factories import UserFactory

pytestmark = pytest.mark.django_db
PAGE = "/account/api-token/"


def _me(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/")


def _key_on(page):
    found = re.search(r'data-testid="api-token-key">([0-9a-f]{40})<', page.content.decode())
    return found.group(1) if found else None


def test_a_token_issued_on_the_page_calls_the_api_as_its_user_and_is_shown_once(agent):
    browser = Client()
    browser.force_login(agent)
    assert "api-token-link" in browser.get("/tickets/", follow=True).content.decode()
    assert "api-token-key" not in browser.get(PAGE).content.decode()

    shown = browser.post(PAGE, {"action": "issue"}, follow=True)
    key = _key_on(shown)
    assert key
    assert _me(key).json()["username"] == agent.username

    again = browser.get(PAGE)
    assert _key_on(again) is None, "a key is shown once"
    assert f"…{key[-4:]}" in again.content.decode()


def test_replacing_the_token_refuses_the_old_one_and_revoking_refuses_all(agent):
    browser = Client()
    browser.force_login(agent)
    first = _key_on(browser.post(PAGE, {"action": "issue"}, follow=True))
    second = _key_on(browser.post(PAGE, {"action": "issue"}, follow=True))
    assert first != second
    assert _me(first).status_code == 401
    assert _me(second).status_code == 200

    revoked = browser.post(PAGE, {"action": "revoke"}, follow=True)
    assert _me(second).status_code == 401
    assert "api-token-revoke" not in revoked.content.decode()


def test_a_user_without_an_organization_gets_no_token(platform):
    operator = UserFactory(organization=None, roles=[Role.OPS_ADMIN], is_superuser=True, is_staff=True)
    browser = Client()
    browser.force_login(operator)
    assert browser.post(PAGE, {"action": "issue"}).status_code == 403
