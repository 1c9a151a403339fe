"""The holes in the tenant guard, each closed: scopes left open by errors, subqueries, writes to another
organization, raw SQL, and users without an organization."""

import gc

import pytest
from rest_framework.test import APIClient

from scrm import services
from scrm.models import Channel, Customer, Role
from scrm.tenancy import (
    NO_ORGANIZATION_TITLE,
    ScopeError,
    assert_no_scope_open,
    current_organization_id,
    scope_is_open,
    tenant_scope,
)
from tests.tenancy import api_token, tenant_pair

pytestmark = pytest.mark.django_db


def seed_customers(tenant):
    Customer.objects.create(organization=tenant.organization, display_name=f"{tenant.marker} 张三",
                            source_channel=Channel.MANUAL)


def _token_client(user):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def test_an_unhandled_error_in_an_api_view_leaves_no_scope_open_for_the_next_request(monkeypatch):
    a, b = tenant_pair(seed_customers)

    def crash(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "customer_resolve", crash)
    response = _token_client(a.users[Role.OPS_ADMIN]).post(
        "/api/v1/customers/resolve/", {"channel": "wechat_oa", "app_id": "wx", "external_id": "o-1"}, format="json")
    assert response.status_code == 500
    assert not scope_is_open(), "the failed request left its organization's scope open on this thread"

    gc.collect()  # whatever the failed request left behind is finalized now, not inside the next request
    response = _token_client(b.users[Role.OPS_ADMIN]).get("/api/v1/customers/")
    assert response.status_code == 200
    body = response.content.decode()
    assert b.marker in body and a.marker not in body
    assert not scope_is_open()


def test_a_nul_byte_in_a_profile_is_an_error_that_leaves_no_scope_open():
    a, b = tenant_pair(seed_customers)
    response = _token_client(a.users[Role.OPS_ADMIN]).post("/api/v1/customers/resolve/", {
        "channel": "wechat_oa", "app_id": "wx", "external_id": "o-1", "profile": {"nickname": "a\x00b"},
    }, format="json")
    assert response.status_code in (400, 500)
    assert not scope_is_open()
    response = _token_client(b.users[Role.OPS_ADMIN]).get("/api/v1/customers/")
    assert b.marker in response.content.decode() and a.marker not in response.content.decode()


def test_a_request_that_finds_a_leaked_scope_closes_it_and_fails_loudly(rf):
    from scrm.middleware import TenantScopeMiddleware

    a, _b = tenant_pair(seed_customers)
    seen = []
    middleware = TenantScopeMiddleware(lambda request: seen.append(current_organization_id()))
    request = rf.get("/customers/")
    request.user = a.users[Role.OPS_ADMIN]
    # (The test client hides a scope held by the test from its requests; the middleware is called directly here.)
    tenant_scope(a.organization).__enter__()  # a scope some earlier work opened and never closed
    with pytest.raises(ScopeError):
        middleware(request)
    assert not scope_is_open() and seen == []
    middleware(request)
    assert seen == [a.organization.pk] and not scope_is_open()


def test_a_task_that_finds_a_leaked_scope_closes_it():
    from scrm.celery import _task_starts_with_no_scope

    a, _b = tenant_pair()
    tenant_scope(a.organization).__enter__()

    class Task:
        name = "scrm.example"

        class request:  # noqa: N801 - the shape of Celery's task.request
            is_eager = False

    with pytest.raises(ScopeError):
        _task_starts_with_no_scope(task=Task())
    assert current_organization_id() is None and not scope_is_open()


def test_scopes_nest_and_close_in_order():
    a, b = tenant_pair()
    with tenant_scope(a.organization):
        with tenant_scope(b.organization):
            assert current_organization_id() == b.organization.pk
        assert current_organization_id() == a.organization.pk
    assert not scope_is_open()
    assert_no_scope_open("a test")


# --- a user without an organization: the platform console only --------------------------------------------------


@pytest.fixture
def operator(db):
    from scrm.models import User

    return User.objects.create_superuser("platform-operator", password="Sl0w-Turtle!")  # noqa: S106


@pytest.mark.parametrize("url", ["/", "/customers/", "/tickets/", "/settings/", "/settlement/"])
def test_a_user_without_an_organization_gets_a_403_pointing_to_the_platform_console(client, operator, url):
    tenant_pair(seed_customers)
    client.force_login(operator)
    response = client.get(url)
    assert response.status_code == 403
    body = response.content.decode()
    assert "[tenant-a]" not in body and "[tenant-b]" not in body
    assert 'href="/admin/"' in body
    assert str(NO_ORGANIZATION_TITLE) in body


def test_the_no_organization_page_speaks_chinese(client, operator):
    client.force_login(operator)
    body = client.get("/customers/").content.decode()
    assert "平台控制台" in body


@pytest.mark.parametrize("url", ["/api/v1/customers/", "/api/v1/regions/", "/api/v1/me/", "/api/v1/tickets/"])
def test_a_user_without_an_organization_cannot_use_the_api(operator, url):
    tenant_pair(seed_customers)
    for client in (_token_client(operator), APIClient()):
        if not client._credentials:
            client.force_login(operator)  # a browser session: the middleware refuses it first
        response = client.get(url)
        assert response.status_code == 403, url
        assert "[tenant-a]" not in response.content.decode()


def test_the_platform_console_stays_open_to_a_user_without_an_organization(client, operator):
    tenant_pair(seed_customers)
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200
    response = client.get("/admin/scrm/organization/")
    assert response.status_code == 200
    assert "tenant-a" in response.content.decode() and "tenant-b" in response.content.decode()


def test_a_staff_user_without_an_organization_is_refused_the_console_too(client, db):
    from scrm.models import User

    user = User.objects.create_user("stray", password="Sl0w-Turtle!", is_staff=True)  # noqa: S106
    client.force_login(user)
    assert client.get("/admin/").status_code == 403
    assert client.get("/customers/").status_code == 403
