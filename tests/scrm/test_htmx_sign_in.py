"""A part of a page htmx loads after the session expired (the bell's count polled every few seconds, its panel)
was answered with the sign-in page, which htmx swapped in: a login form inside the bell. It now reloads the whole
page at sign-in, coming back to the page the user was on."""

from urllib.parse import quote

import pytest

from scrm.models import Role

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/tickets/42/?tab=forms"}


@pytest.mark.parametrize("fragment", ["/notifications/bell/", "/notifications/bell/panel/"])
def test_an_htmx_fragment_after_the_session_expired_reloads_the_page_at_sign_in(client, fragment):
    response = client.get(fragment, headers=HTMX)
    assert response.status_code == 204 and not response.content
    assert response["HX-Redirect"] == "/accounts/login/?next=" + quote("/tickets/42/?tab=forms", safe="")


def test_a_page_or_a_redirect_elsewhere_is_answered_as_before(client, organization, make_user):
    page = client.get("/notifications/bell/panel/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/?next=")
    assert "HX-Redirect" not in page
    client.force_login(make_user(organization, Role.AGENT))
    signed_in = client.get("/notifications/bell/panel/", headers=HTMX)
    assert signed_in.status_code == 200 and "HX-Redirect" not in signed_in


def test_a_current_url_on_another_site_comes_back_home(client):
    response = client.get("/notifications/bell/", headers={**HTMX, "HX-Current-URL": "https://evil.example//x"})
    assert response["HX-Redirect"] == "/accounts/login/?next=" + quote("/", safe="")
