"""Roles an organization defines: what they grant (permissions, modules), which tickets and customers they show
(data scope), which fields they mask, when a change applies, who may manage them, and that they stay in their
organization."""

import io

import openpyxl
import pytest
from django.test import Client
from rest_framework.test import APIClient

from scrm.errors import MSG_ROLE_NAME_TAKEN, MSG_ROLE_NOT_GRANTABLE, MSG_ROLE_OTHER_ORG, ScrmError
from scrm.models import (
    AgentProfile,
    Customer,
    CustomRole,
    CustomRoleAssignment,
    CustomRoleChange,
    DataScope,
    MaskedField,
    PiiReveal,
    Region,
    Role,
)
from scrm.platform.access import user_masks
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.services import role_assign, role_save, role_unassign
from tests.scrm.factories import OrganizationFactory, TeamFactory, UserFactory
from tests.tenancy import api_token
from tests.tickets.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db

READ = ["tickets.view_ticket", "scrm.view_customer"]
MODULES = ["tickets", "customers"]


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def _region(org, code, parent=None):
    path = f"{parent.path if parent else '/'}{code}/"
    return Region.objects.create(organization=org, name=f"区域{code}", code=code, path=path,
                                 level=Region.Level.PROVINCE if parent else Region.Level.AREA, parent=parent)


@pytest.fixture
def world(scoped, ops_admin):
    """Regions EAST (with its province JS) and WEST; teams A and B with a queue each; a customer and an open ticket
    in each region and one with none; `user` holds no preset role, serves EAST and is in team A."""
    east = _region(scoped, "EAST")
    js = _region(scoped, "JS", parent=east)
    west = _region(scoped, "WEST")
    team_a, team_b = TeamFactory(organization=scoped, name="A组"), TeamFactory(organization=scoped, name="B组")
    queue_a = QueueFactory(organization=scoped, team=team_a, auto_assign=False)
    queue_b = QueueFactory(organization=scoped, team=team_b, auto_assign=False)
    user = UserFactory(organization=scoped, username="xiaozhou")
    colleague = UserFactory(organization=scoped, username="colleague")
    with platform_scope():
        profile = AgentProfile.objects.create(organization=scoped, user=user, team=team_a)
        profile.regions.set([east])
        AgentProfile.objects.create(organization=scoped, user=colleague, team=team_a)
    customers, tickets = {}, {}
    for key, region, owner in (("east", east, None), ("js", js, None), ("west", west, None), ("none", None, None),
                               ("mine", west, user), ("colleague", None, colleague)):
        customers[key] = Customer.objects.create(organization=scoped, display_name=f"客户-{key}",
                                                 real_name="张三丰", mobile="+8613812345678", region=region,
                                                 owner=owner)
    for key, region, queue in (("east", east, queue_b), ("js", js, queue_b), ("west", west, queue_b),
                               ("none", None, queue_b), ("team", None, queue_a)):
        tickets[key] = TicketFactory(organization=scoped, customer=customers["none"], subject=f"工单-{key}",
                                     region=region, queue=queue)
    tickets["mine"] = TicketFactory(organization=scoped, customer=customers["none"], subject="工单-mine",
                                    region=west, queue=queue_b, assignee=user)
    return {"org": scoped, "ops": ops_admin, "user": user, "customers": customers, "tickets": tickets,
            "regions": {"east": east, "js": js, "west": west}}


def _give(world, *, scope, permissions=READ, modules=MODULES, masked=(), name="区域专员"):
    role = role_save(organization=world["org"], by=world["ops"], name=name, permissions=permissions,
                     modules=modules, data_scope=scope, masked_fields=masked)
    role_assign(role=role, user=world["user"], by=world["ops"])
    return role


def _ticket_subjects_api(user):
    response = _api(user).get("/api/v1/tickets/")
    assert response.status_code == 200, response.content
    return {row["subject"].removeprefix("工单-") for row in response.json()["results"]}


def _customer_names_page(user):
    body = _client(user).get("/customers/").content.decode()
    return {key for key in ("east", "js", "west", "none", "mine", "colleague") if f"客户-{key}<" in body}


def _customer_names_api(user):
    response = _api(user).get("/api/v1/customers/")
    assert response.status_code == 200, response.content
    return {row["display_name"].removeprefix("客户-") for row in response.json()["results"]}


@pytest.mark.parametrize(("scope", "tickets", "customers"), [
    (DataScope.REGION, {"east", "mine"}, {"east", "mine"}),
    (DataScope.REGION_TREE, {"east", "js", "mine"}, {"east", "js", "mine"}),
    (DataScope.OWN, {"mine"}, {"mine"}),
    (DataScope.TEAM, {"team", "mine"}, {"mine", "colleague"}),
    (DataScope.ORGANIZATION, {"east", "js", "west", "none", "team", "mine"},
     {"east", "js", "west", "none", "mine", "colleague"}),
])
def test_a_data_scope_shows_exactly_its_tickets_and_customers_on_pages_and_api(world, scope, tickets, customers):
    _give(world, scope=scope)
    user = world["user"]
    assert _ticket_subjects_api(user) == tickets
    assert _customer_names_api(user) == customers
    assert _customer_names_page(user) == customers
    client = _client(user)
    for key, ticket in world["tickets"].items():
        expected = 200 if key in tickets else 404
        assert client.get(f"/tickets/{ticket.pk}/").status_code == expected, key
    for key, customer in world["customers"].items():
        expected = 200 if key in customers else 404
        assert client.get(f"/customers/{customer.pk}/").status_code == expected, key


def test_the_queue_page_lists_only_the_region_of_an_own_region_role(world):
    _give(world, scope=DataScope.REGION)
    body = _client(world["user"]).get("/tickets/queues/").content.decode()
    assert "工单-east" in body and "工单-mine" in body
    assert not any(f"工单-{key}" in body for key in ("js", "west", "none", "team"))


def test_a_scope_shows_nothing_of_a_kind_its_role_may_not_view(world):
    _give(world, scope=DataScope.ORGANIZATION, permissions=["scrm.view_customer"], modules=["customers"])
    assert _client(world["user"]).get("/tickets/").status_code == 403
    assert _api(world["user"]).get("/api/v1/tickets/").status_code == 403
    assert len(_customer_names_api(world["user"])) == 6


def test_a_user_with_no_role_at_all_sees_no_customer(world):
    assert _api(world["user"]).get("/api/v1/customers/").status_code == 403
    with tenant_scope(world["org"]):
        from scrm.customers.selectors import customer_list
        assert not customer_list(user=world["user"]).exists()


def test_scopes_of_several_roles_add_up(world):
    _give(world, scope=DataScope.OWN, name="自己")
    _give(world, scope=DataScope.REGION, name="本区域")
    assert _ticket_subjects_api(world["user"]) == {"east", "mine"}


def test_a_change_of_role_applies_on_the_next_request(world):
    role = _give(world, scope=DataScope.REGION)
    client = _client(world["user"])
    assert "工单-east" in client.get("/tickets/queues/").content.decode()

    role_save(organization=world["org"], by=world["ops"], role=role, name=role.name, permissions=READ,
              modules=MODULES, data_scope=DataScope.OWN)
    body = client.get("/tickets/queues/").content.decode()
    assert "工单-east" not in body and "工单-mine" in body

    role_unassign(role=role, user=world["user"], by=world["ops"])
    assert client.get("/tickets/queues/").status_code == 403


def test_a_deactivated_role_grants_nothing(world):
    role = _give(world, scope=DataScope.ORGANIZATION, permissions=[*READ, "tickets.change_ticket"])
    with tenant_scope(world["org"]):
        assert world["user"].has_perm("tickets.change_ticket")
        role_save(organization=world["org"], by=world["ops"], role=role, name=role.name, modules=MODULES,
                  permissions=[*READ, "tickets.change_ticket"], data_scope=DataScope.ORGANIZATION, is_active=False)
        fresh = type(world["user"]).objects.get(pk=world["user"].pk)
        assert not fresh.has_perm("tickets.change_ticket")
    assert _client(world["user"]).get("/customers/").status_code == 403


def test_has_perm_counts_custom_role_grants_and_the_home_page_follows_its_modules(world):
    _give(world, scope=DataScope.ORGANIZATION, permissions=["scrm.view_customer", "scrm.add_segment"],
          modules=["customers"])
    with tenant_scope(world["org"]):
        user = type(world["user"]).objects.get(pk=world["user"].pk)
        assert user.has_perm("scrm.add_segment") and not user.has_perm("scrm.delete_customer")
    response = _client(world["user"]).get("/")
    assert response.status_code == 302 and response["Location"] == "/customers/"


def test_the_user_sees_the_custom_roles_they_hold_in_their_menu_and_the_api(world):
    _give(world, scope=DataScope.REGION, name="华东专员")
    body = _client(world["user"]).get("/tickets/queues/").content.decode()
    assert "华东专员" in body
    me = _api(world["user"]).get("/api/v1/me/").json()
    assert (me["roles"], me["custom_roles"]) == ([], ["华东专员"])


# --- masking ---------------------------------------------------------------------------------------------------

PII = ["scrm.view_customer", "scrm.reveal_customer_pii", "scrm.export_customer"]


def test_a_role_that_masks_the_mobile_shows_it_masked_everywhere_but_reveals_the_real_name(world):
    _give(world, scope=DataScope.ORGANIZATION, permissions=PII, modules=["customers"], masked=[MaskedField.MOBILE])
    user, customer = world["user"], world["customers"]["east"]
    row = _api(user).get(f"/api/v1/customers/{customer.pk}/").json()
    assert (row["mobile"], row["real_name"]) == ("138****5678", "张三丰")

    client = _client(user)
    assert "138****5678" in client.get("/customers/").content.decode()
    revealed = client.post(f"/customers/{customer.pk}/reveal/").content.decode()
    assert "张三丰" in revealed and "138****5678" in revealed and "13812345678" not in revealed

    response = client.get("/customers/export/", {"format": "xlsx", "q": "客户-east"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = {r[0].value: [c.value for c in r] for r in sheet.iter_rows()}
    assert rows["客户-east"][1:3] == ["138****5678", "张三丰"]
    with tenant_scope(world["org"]):
        assert set(PiiReveal.objects.filter(user=user).values_list("fields", flat=True)) == {"real_name"}


def test_a_role_that_masks_both_refuses_the_reveal_and_masks_api_and_export(world):
    _give(world, scope=DataScope.ORGANIZATION, permissions=PII, modules=["customers"],
          masked=[MaskedField.MOBILE, MaskedField.REAL_NAME])
    user, customer = world["user"], world["customers"]["east"]
    row = _api(user).get(f"/api/v1/customers/{customer.pk}/").json()
    assert (row["mobile"], row["real_name"]) == ("138****5678", "张**")
    client = _client(user)
    detail = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="reveal-pii"' not in detail and "13812345678" not in detail
    assert client.post(f"/customers/{customer.pk}/reveal/").status_code == 403
    response = client.get("/customers/export/", {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = {c.value for r in sheet.iter_rows() for c in r}
    assert "13812345678" not in values and "张三丰" not in values
    with tenant_scope(world["org"]):
        assert not PiiReveal.objects.filter(user=user).exists()


def test_a_mask_of_one_role_is_not_lifted_by_another_roles_grant(world):
    """An ops admin (who may reveal) given a role that masks the mobile sees it masked."""
    ops = world["ops"]
    role = role_save(organization=world["org"], by=ops, name="外包", permissions=["scrm.view_customer"],
                     modules=["customers"], data_scope=DataScope.OWN, masked_fields=[MaskedField.MOBILE])
    customer = world["customers"]["east"]
    assert _api(ops).get(f"/api/v1/customers/{customer.pk}/").json()["mobile"] == "+8613812345678"
    role_assign(role=role, user=ops, by=ops)
    row = _api(ops).get(f"/api/v1/customers/{customer.pk}/").json()
    assert (row["mobile"], row["real_name"]) == ("138****5678", "张三丰")


def test_finance_never_sees_a_full_mobile_whatever_else_it_holds(world, make_user):
    finance = make_user(world["org"], Role.FINANCE, username="cashier")
    with tenant_scope(world["org"]):
        role = role_save(organization=world["org"], by=world["ops"], name="财务兼客服", permissions=PII,
                         modules=["customers"], data_scope=DataScope.ORGANIZATION)
        role_assign(role=role, user=finance, by=world["ops"])
        finance = type(finance).objects.get(pk=finance.pk)
        assert user_masks(finance, MaskedField.MOBILE) and user_masks(finance, MaskedField.ADDRESS)
        assert not user_masks(finance, MaskedField.ORDER_AMOUNT)
    assert _api(finance).get(f"/api/v1/customers/{world['customers']['east'].pk}/").json()["mobile"] == "138****5678"


# --- who may manage roles ----------------------------------------------------------------------------------------

def test_an_agent_can_neither_open_nor_post_to_the_roles_pages(world, agent):
    role = _give(world, scope=DataScope.OWN)
    client = _client(agent)
    for url in ("/settings/roles/", "/settings/roles/new/", f"/settings/roles/{role.pk}/"):
        assert client.get(url).status_code == 403, url
    assert client.post("/settings/roles/new/", {"name": "越权", "data_scope": "organization"}).status_code == 403
    assert client.post(f"/settings/roles/{role.pk}/assign/", {"user": agent.pk}).status_code == 403
    assert client.post(f"/settings/roles/{role.pk}/unassign/", {"user": world["user"].pk}).status_code == 403
    with tenant_scope(world["org"]):
        assert list(CustomRole.objects.values_list("name", flat=True)) == [role.name]
        assert CustomRoleAssignment.objects.filter(role=role, user=world["user"]).exists()


def test_a_custom_role_cannot_grant_role_management_so_it_cannot_open_the_roles_page(world):
    with pytest.raises(ScrmError) as refused:
        _give(world, scope=DataScope.OWN, permissions=["scrm.change_customrole"])
    assert str(refused.value) == MSG_ROLE_NOT_GRANTABLE % {"name": "scrm.change_customrole"}
    _give(world, scope=DataScope.ORGANIZATION, permissions=READ, modules=["settings"])
    client = _client(world["user"])
    assert client.get("/settings/").status_code == 200
    assert client.get("/settings/roles/").status_code == 403
    assert "/settings/roles/" not in client.get("/settings/").content.decode()


def test_ops_creates_changes_and_assigns_a_role_on_the_page_and_each_step_is_audited(world):
    client = _client(world["ops"])
    body = client.get("/settings/roles/").content.decode()
    assert 'data-testid="preset-role-finance"' in body
    response = client.post("/settings/roles/new/", {
        "name": "华东专员", "description": "只看华东", "modules": ["tickets"], "permissions": ["tickets.view_ticket"],
        "data_scope": "region", "masked_fields": ["mobile"], "is_active": "on"})
    assert response.status_code == 302
    with tenant_scope(world["org"]):
        role = CustomRole.objects.get(name="华东专员")
    assert (role.modules, role.data_scope, role.masked_fields) == (["tickets"], "region", ["mobile"])
    assert client.post(f"/settings/roles/{role.pk}/assign/", {"user": world["user"].pk}).status_code == 302
    assert _ticket_subjects_api(world["user"]) == {"east", "mine"}
    assert client.post(f"/settings/roles/{role.pk}/unassign/", {"user": world["user"].pk}).status_code == 302
    again = client.post("/settings/roles/new/", {"name": "华东专员", "data_scope": "own"})
    assert again.status_code == 400 and str(MSG_ROLE_NAME_TAKEN) in again.content.decode()
    with tenant_scope(world["org"]):
        actions = list(CustomRoleChange.objects.filter(role=role).order_by("pk").values_list("action", "by_id"))
    assert actions == [("created", world["ops"].pk), ("assigned", world["ops"].pk), ("unassigned", world["ops"].pk)]


def test_a_forged_permission_in_the_form_is_refused(world):
    response = _client(world["ops"]).post("/settings/roles/new/", {
        "name": "伪造", "permissions": ["scrm.change_customrole"], "data_scope": "own"})
    assert response.status_code == 400
    with tenant_scope(world["org"]):
        assert not CustomRole.objects.filter(name="伪造").exists()


# --- tenancy -------------------------------------------------------------------------------------------------------

def test_a_role_stays_in_its_organization(world):
    with platform_scope():
        other = OrganizationFactory(slug="other", name="别家")
    outsider = UserFactory(organization=other, username="outsider")
    with tenant_scope(other):
        b_ops = UserFactory(organization=other, username="b-ops", roles=[Role.OPS_ADMIN])
        b_role = role_save(organization=other, by=b_ops, name="别家的角色", permissions=READ, modules=MODULES,
                           data_scope=DataScope.ORGANIZATION)
    role = _give(world, scope=DataScope.OWN)

    with tenant_scope(world["org"]), pytest.raises(ScrmError) as refused:
        role_assign(role=role, user=outsider, by=world["ops"])
    assert str(refused.value) == MSG_ROLE_OTHER_ORG
    client = _client(world["ops"])
    assert client.post(f"/settings/roles/{role.pk}/assign/", {"user": outsider.pk}).status_code == 404
    assert "别家的角色" not in client.get("/settings/roles/").content.decode()
    assert client.get(f"/settings/roles/{b_role.pk}/").status_code == 404
    assert client.post(f"/settings/roles/{b_role.pk}/assign/", {"user": world["user"].pk}).status_code == 404
    with platform_scope():
        assert not CustomRoleAssignment.objects.filter(user=outsider).exists()
        assert not CustomRoleAssignment.objects.filter(role=b_role).exists()


def _seed_role(tenant):
    ops = tenant.users[Role.OPS_ADMIN]
    role = role_save(organization=tenant.organization, by=ops, name=f"{tenant.marker} 专员", permissions=READ,
                     modules=MODULES, data_scope=DataScope.REGION, description=tenant.marker)
    role_assign(role=role, user=tenant.users[Role.AGENT], by=ops)


def test_the_roles_page_shows_only_its_organizations_roles(db):
    from tests.tenancy import assert_isolated, tenant_pair

    a, b = tenant_pair(_seed_role)
    assert_isolated(Client(), a, b, "/settings/roles/")
    with tenant_scope(a.organization):
        role = CustomRole.objects.get()
    assert_isolated(Client(), a, b, f"/settings/roles/{role.pk}/")


def test_the_queue_and_customer_pages_of_a_custom_role_cost_a_bounded_number_of_queries(
        world, django_assert_max_num_queries):
    _give(world, scope=DataScope.REGION_TREE)
    _give(world, scope=DataScope.TEAM, name="团队")
    client = _client(world["user"])
    client.get("/tickets/queues/")  # the session is written on the first request
    with django_assert_max_num_queries(16):
        assert client.get("/tickets/queues/").status_code == 200
    # The roles (two queries) and the user's regions (two) are read once per request, whatever the page holds.
    with django_assert_max_num_queries(20):
        assert client.get("/customers/").status_code == 200
