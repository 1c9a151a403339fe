"""The holes in the tenant guard, each closed: scopes left open by errors, subqueries, writes to another
organization, raw SQL, and users without an organization."""

import gc

import pytest
from rest_framework.test import APIClient

from scrm.customers import services
from scrm.models import Channel, Customer, Role
from scrm.platform.tenancy import (
    NO_ORGANIZATION_TITLE,
    ScopeError,
    assert_no_scope_open,
    current_organization_id,
    platform_scope,
    scope_is_open,
    tenant_scope,
    tenant_sql,
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
    from scrm.platform.middleware import TenantScopeMiddleware

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

    with platform_scope():
        return User.objects.create_superuser("platform-operator", password="Sl0w-Turtle!")  # noqa: S106


# The home page "/" sends an operator on to the console instead (tests/scrm/test_sign_in_landing.py).
@pytest.mark.parametrize("url", ["/customers/", "/tickets/", "/settings/", "/settlement/"])
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

    with platform_scope():
        user = User.objects.create_user("stray", password="Sl0w-Turtle!", is_staff=True)  # noqa: S106
    client.force_login(user)
    assert client.get("/admin/").status_code == 403
    assert client.get("/customers/").status_code == 403


# --- subqueries ---------------------------------------------------------------------------------------------------


def test_a_subquery_built_outside_any_scope_does_not_run_unfiltered():
    from django.db.models import Exists, OuterRef, Subquery

    from scrm.models import Organization

    a, b = tenant_pair(seed_customers)
    customers = Customer.objects.values("organization_id")  # built outside every scope
    in_subquery = Organization.objects.filter(pk__in=customers)
    exists = Organization.objects.filter(Exists(Customer.objects.filter(organization_id=OuterRef("pk"))))
    subquery = Organization.objects.annotate(
        first=Subquery(Customer.objects.filter(organization_id=OuterRef("pk")).values("display_name")[:1]))
    for outer in (in_subquery, exists):
        with pytest.raises(ScopeError):
            outer.count()
    with pytest.raises(ScopeError):
        list(subquery)
    with tenant_scope(a.organization):
        # Run inside a scope, the subquery takes that scope: A's organization only.
        assert list(in_subquery.values_list("pk", flat=True)) == [a.organization.pk]
        assert list(exists.values_list("pk", flat=True)) == [a.organization.pk]
        assert {o.pk: o.first for o in subquery} == {a.organization.pk: f"{a.marker} 张三", b.organization.pk: None}
    with platform_scope():
        assert in_subquery.count() == 2


def test_a_pending_queryset_combined_with_a_scoped_one_takes_the_scope():
    a, b = tenant_pair(seed_customers)
    built_at_import = Customer.objects.all()
    with tenant_scope(a.organization):
        combined = Customer.objects.filter(pk=-1) | built_at_import
        assert [c.display_name for c in combined] == [f"{a.marker} 张三"]
        union = Customer.objects.filter(pk=-1).union(built_at_import)
        assert [c.display_name for c in union] == [f"{a.marker} 张三"]


# --- writes -------------------------------------------------------------------------------------------------------


def _customer(organization, name="李四"):
    return Customer(organization=organization, display_name=name, source_channel=Channel.MANUAL)


@pytest.mark.parametrize("write", [
    lambda b: Customer.objects.create(organization=b, display_name="李四", source_channel=Channel.MANUAL),
    lambda b: Customer.objects.bulk_create([_customer(b)]),
    lambda b: _customer(b).save(),
    lambda b: Customer.objects.get_or_create(organization=b, display_name="李四",
                                             defaults={"source_channel": Channel.MANUAL}),
    lambda b: Customer.objects.update_or_create(organization=b, display_name="李四",
                                                defaults={"source_channel": Channel.MANUAL}),
])
def test_a_tenant_scope_refuses_to_write_a_row_of_another_organization(write):
    a, b = tenant_pair()
    with tenant_scope(a.organization), pytest.raises(ScopeError):
        write(b.organization)
    with platform_scope():
        assert not Customer.objects.exists()


def test_a_tenant_scope_cannot_move_its_rows_to_another_organization():
    a, b = tenant_pair(seed_customers)
    with tenant_scope(a.organization):
        customer = Customer.objects.get()
        customer.organization = b.organization
        with pytest.raises(ScopeError):
            customer.save()
        with pytest.raises(ScopeError):
            Customer.objects.update(organization=b.organization)
        with pytest.raises(ScopeError):
            Customer.objects.bulk_update([customer], ["organization"])
    with platform_scope():
        assert Customer.objects.filter(organization=a.organization).count() == 1


def test_writes_of_its_own_organization_pass_and_the_platform_scope_writes_any():
    a, b = tenant_pair()
    with tenant_scope(a.organization):
        Customer.objects.create(organization=a.organization, display_name="王五", source_channel=Channel.MANUAL)
        Customer.objects.bulk_create([_customer(a.organization)])
    with platform_scope():
        Customer.objects.bulk_create([_customer(b.organization)])
        assert Customer.objects.count() == 3
    with pytest.raises(ScopeError):
        _customer(a.organization).save()  # no scope open: no write either


# --- raw SQL ------------------------------------------------------------------------------------------------------


def test_raw_on_a_tenant_manager_is_refused():
    a, _b = tenant_pair(seed_customers)
    with tenant_scope(a.organization), pytest.raises(ScopeError, match="tenant_sql"):
        list(Customer.objects.raw("SELECT * FROM scrm_customer"))


def test_tenant_sql_binds_the_organization_and_refuses_a_statement_without_it():
    a, b = tenant_pair(seed_customers)
    sql = "SELECT display_name FROM scrm_customer WHERE organization_id = %(organization)s"
    assert tenant_sql(sql, organization=a.organization) == [(f"{a.marker} 张三",)]
    with pytest.raises(ScopeError):
        tenant_sql("SELECT display_name FROM scrm_customer", organization=a.organization)
    with pytest.raises(ScopeError):
        tenant_sql(sql, {"organization": b.organization.pk}, organization=a.organization)
    with tenant_scope(a.organization), pytest.raises(ScopeError):
        tenant_sql(sql, organization=b.organization)


def test_tenant_sql_sends_values_in_pages():
    a, b = tenant_pair(seed_customers)
    with platform_scope():
        ids = {c.organization_id: c.pk for c in Customer.objects.all()}
    rows = tenant_sql(
        "UPDATE scrm_customer AS c SET display_name = v.name FROM (VALUES %(values)s) AS v(id, name) "
        "WHERE c.id = v.id AND c.organization_id = %(organization)s RETURNING c.id",
        organization=a.organization, values=[(ids[a.organization.pk], "100% 改名"), (ids[b.organization.pk], "x")],
        template="(%s::bigint, %s)", page_size=1,
    )
    assert rows == [(ids[a.organization.pk],)]
    with platform_scope():
        assert sorted(Customer.objects.values_list("display_name", flat=True)) == ["100% 改名", f"{b.marker} 张三"]
