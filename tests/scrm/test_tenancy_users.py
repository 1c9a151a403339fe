"""User is a tenant model for product code: its manager is scoped, and only sign-in, session loading and the
platform's own tools read users with no scope open (`User.all_objects`)."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from scrm.models import AgentProfile, Role, User
from scrm.platform.tenancy import ScopeError, platform_scope, tenant_scope
from tests.scrm.factories import TEST_PASSWORD
from tests.tenancy import api_token, assert_isolated, tenant_pair
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def seed_people(tenant):
    """Every user of the tenant carries its marker in the name pages show; agents and supervisors have a profile."""
    for role, user in tenant.users.items():
        user.display_name = f"{tenant.marker} {role.label}"
        user.save(update_fields=["display_name"])
        if role in (Role.AGENT, Role.SUPERVISOR):
            AgentProfile.objects.create(organization=tenant.organization, user=user)
    tenant.objects["ticket"] = TicketFactory(organization=tenant.organization, subject=f"{tenant.marker} 工单",
                                             assignee=tenant.users[Role.SUPERVISOR])


def test_a_query_of_users_with_no_scope_open_raises():
    a, _b = tenant_pair()
    with pytest.raises(ScopeError):
        list(User.objects.all())
    with pytest.raises(ScopeError):
        User.objects.filter(username=a.users[Role.AGENT].username).exists()
    with pytest.raises(ScopeError):
        User.objects.get(pk=a.users[Role.AGENT].pk)


def test_inside_a_tenant_scope_only_that_organizations_users_exist():
    a, b = tenant_pair()
    with platform_scope():
        operator = User.objects.create_superuser("operator", password=TEST_PASSWORD)
    with tenant_scope(a.organization):
        assert set(User.objects.all()) == set(a.users.values())
        assert not User.objects.filter(pk=b.users[Role.AGENT].pk).exists()
        assert not User.objects.filter(pk=operator.pk).exists()
        assert set(a.organization.users.all()) == set(a.users.values())
    with platform_scope():
        assert User.objects.filter(pk__in=[b.users[Role.AGENT].pk, operator.pk]).count() == 2


def test_a_user_of_another_organization_cannot_be_written_in_a_tenant_scope():
    a, b = tenant_pair()
    other = b.users[Role.AGENT]
    before, other.display_name = other.display_name, "改名"
    with tenant_scope(a.organization), pytest.raises(ScopeError):
        other.save(update_fields=["display_name"])
    with platform_scope():
        assert User.objects.get(pk=other.pk).display_name == before


def test_the_settings_page_and_the_users_api_list_only_the_organizations_users(client):
    a, b = tenant_pair(seed_people)
    assert_isolated(client, a, b, "/settings/")
    assert_isolated(APIClient(), a, b, "/api/v1/users/")
    assert_isolated(APIClient(), a, b, f"/api/v1/users/?search={b.users[Role.AGENT].username}",
                    expect_marker=False)


def test_owner_choices_of_the_customer_filter_are_the_organizations_users(client):
    a, b = tenant_pair(seed_people)
    response = assert_isolated(client, a, b, "/customers/", role=Role.AGENT)
    owners = response.context["filter"].form.fields["owner"].queryset
    assert set(owners) == set(a.users.values())


def test_an_agent_assignment_offers_and_accepts_only_the_organizations_agents(client):
    a, b = tenant_pair(seed_people)
    ticket = a.objects["ticket"]
    response = assert_isolated(client, a, b, "/tickets/queues/", role=Role.SUPERVISOR)
    assert set(response.context["assignees"]) == {a.users[Role.AGENT], a.users[Role.SUPERVISOR]}
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(a.users[Role.SUPERVISOR])}")
    response = api.post(f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": b.users[Role.AGENT].pk},
                        format="json")
    assert response.status_code == 400
    with tenant_scope(a.organization):
        ticket.refresh_from_db()
        assert ticket.assignee_id == a.users[Role.SUPERVISOR].pk


def _sign_in(client, username, password, path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password})


def test_a_staff_user_signs_in_and_their_session_loads_with_their_organization():
    a, _b = tenant_pair(seed_people)
    client = Client()
    user = a.users[Role.AGENT]
    assert _sign_in(client, user.username, TEST_PASSWORD).status_code == 302
    response = client.get("/customers/")
    assert response.status_code == 200 and response.context["user"] == user
    assert User.all_objects.get(pk=user.pk).last_login is not None


def test_a_platform_operator_signs_in_to_the_console():
    tenant_pair()
    call_command("createsuperuser", "--noinput", "--username", "operator", "--email", "op@example.com",
                 stdout=open("/dev/null", "w"))  # noqa: SIM115
    with platform_scope():
        operator = User.objects.get(username="operator")
        operator.set_password(TEST_PASSWORD)
        operator.save(update_fields=["password"])
    assert operator.organization_id is None and operator.is_superuser
    client = Client()
    response = _sign_in(client, "operator", TEST_PASSWORD, path="/admin/login/?next=/admin/")
    assert response.status_code == 302
    page = client.get("/admin/scrm/user/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "tenant-a-agent" in body and "tenant-b-agent" in body  # the console sees every organization
    assert User.all_objects.get(pk=operator.pk).last_login is not None


def test_createsuperuser_refuses_a_username_another_organization_holds():
    a, _b = tenant_pair()
    taken = a.users[Role.AGENT].username
    with pytest.raises(Exception, match="already"):
        call_command("createsuperuser", "--noinput", "--username", taken, "--email", "x@example.com")
    assert User.all_objects.filter(username=taken).count() == 1


def test_a_wrong_password_still_locks_the_account_out():
    a, _b = tenant_pair()
    user = a.users[Role.AGENT]
    client = Client()
    assert _sign_in(client, user.username, "wrong-password").status_code == 200  # the form says it is wrong
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, user.username, "wrong-password")
    locked = _sign_in(client, user.username, TEST_PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert User.all_objects.get(pk=user.pk).last_login is None


def test_an_ops_admin_cannot_take_a_username_of_another_organization_in_the_admin(client):
    a, b = tenant_pair()
    client.force_login(a.users[Role.OPS_ADMIN])
    taken = b.users[Role.AGENT].username
    response = client.post("/admin/scrm/user/add/", {
        "username": taken, "password1": "Blue-Lantern-77", "password2": "Blue-Lantern-77", "usable_password": "true",
    })
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert User.all_objects.filter(username=taken).count() == 1
