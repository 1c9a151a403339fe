"""Where signing in lands: a `next` the user's role may not open sends them to their own home page with a message
(not a bare 403), the page itself still refuses them afterwards, a foreign `next` is never followed; a platform
operator lands in the platform console, saying why, and the product's home page sends them there too."""

import pytest
from django.core.management import call_command
from django.test import Client

from scrm.models import User
from scrm.platform.tenancy import platform_scope
from tests.scrm.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

NEEDS_ANOTHER_ROLE = "您要打开的页面需要其他角色"
OPERATOR_HOME = "您以平台运营人员身份登录"


def _sign_in(client, username, next_url=None):
    path = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(path, {"username": username, "password": TEST_PASSWORD})


def test_a_next_the_role_may_not_open_lands_on_the_users_home_with_a_message(agent):
    client = Client()
    response = _sign_in(client, agent.username, "/settlement/")
    assert response.status_code == 302 and response["Location"] == "/settlement/"
    landing = client.get("/settlement/", follow=True)
    assert landing.status_code == 200
    assert landing.redirect_chain[-1][0] == "/tickets/"  # the agent's own home
    assert NEEDS_ANOTHER_ROLE in landing.content.decode()
    # The page itself still refuses the role.
    assert client.get("/settlement/").status_code == 403


def test_a_next_the_role_may_open_is_followed(agent):
    client = Client()
    assert _sign_in(client, agent.username, "/customers/")["Location"] == "/customers/"
    page = client.get("/customers/")
    assert page.status_code == 200 and NEEDS_ANOTHER_ROLE not in page.content.decode()


@pytest.mark.parametrize("foreign", ["https://evil.example.com/settlement/", "//evil.example.com/", "/\\evil.com"])
def test_a_foreign_next_is_never_followed(agent, foreign):
    response = _sign_in(Client(), agent.username, foreign)
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.fixture
def operator(organization):
    call_command("createsuperuser", "--noinput", "--username", "operator", "--email", "op@example.com",
                 stdout=open("/dev/null", "w"))  # noqa: SIM115
    with platform_scope():
        user = User.objects.get(username="operator")
        user.set_password(TEST_PASSWORD)
        user.save(update_fields=["password"])
    return user


@pytest.mark.parametrize("next_url", [None, "/tickets/", "/"])
def test_a_platform_operator_lands_in_the_console_with_a_message(operator, next_url):
    client = Client()
    response = _sign_in(client, "operator", next_url)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    console = client.get("/admin/")
    assert console.status_code == 200 and OPERATOR_HOME in console.content.decode()


def test_the_home_page_and_the_sign_in_page_send_an_operator_to_the_console(operator):
    client = Client()
    client.force_login(operator)
    for path in ("/", "/accounts/login/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/admin/", path
    assert OPERATOR_HOME in client.get("/admin/").content.decode()
    # Other product pages still refuse them, pointing at the console.
    refused = client.get("/tickets/")
    assert refused.status_code == 403 and 'data-testid="platform-console"' in refused.content.decode()


def test_a_next_inside_the_console_is_kept_for_an_operator(operator):
    response = _sign_in(Client(), "operator", "/admin/scrm/organization/")
    assert response["Location"] == "/admin/scrm/organization/"
