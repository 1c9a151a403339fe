import pytest
from django.test import Client
from rest_framework.test import APIClient

from scrm.models import Role, User
from tests.tenancy import api_token

pytestmark = pytest.mark.django_db


def test_token_authentication_answers_who_i_am(organization, agent):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(agent)}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {
        "id": agent.pk, "username": agent.username, "display_name": agent.display_name, "email": agent.email,
        "organization": organization.slug, "roles": [Role.AGENT.value], "custom_roles": [],
    }


def test_a_bad_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/me/").status_code == 401


def test_the_api_is_read_only_for_configuration(ops_admin):
    client = APIClient()
    client.force_authenticate(ops_admin)
    assert client.post("/api/v1/regions/", {"name": "x", "code": "X", "level": "area"}).status_code == 405


def test_openapi_schema_describes_the_api(ops_admin):
    client = Client()
    client.force_login(ops_admin)
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/regions/", "/api/v1/teams/", "/api/v1/users/", "/api/v1/me/"} <= set(paths)


def test_the_schema_and_its_docs_are_for_signed_in_users_only():
    client = Client()
    assert client.get("/api/schema/?format=json").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/")


def test_api_docs_load_swagger_from_our_own_origin(ops_admin):
    client = Client()
    client.force_login(ops_admin)
    body = client.get("/api/docs/").content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in body
    assert "cdn" not in body.lower()


def test_password_change_applies_the_validators_and_then_succeeds(agent):
    from tests.scrm.factories import TEST_PASSWORD

    client = Client()
    client.force_login(agent)
    weak = client.post("/accounts/password/", {
        "old_password": TEST_PASSWORD, "new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and weak.context["form"].errors
    ok = client.post("/accounts/password/", {
        "old_password": TEST_PASSWORD, "new_password1": "Blue-Lantern-77", "new_password2": "Blue-Lantern-77"})
    assert ok.status_code == 302
    assert User.all_objects.get(pk=agent.pk).check_password("Blue-Lantern-77")
