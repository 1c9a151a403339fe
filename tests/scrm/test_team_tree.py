"""Teams form a tree (a department and its groups): the custom-role data scope "team and its sub-teams" reaches the
sub-teams' tickets and customers, "own team" does not; a parent is of the same organization and never a cycle."""

import pytest
from django.test import Client

from scrm.errors import MSG_TEAM_CYCLE, MSG_TEAM_PARENT_OTHER_ORG, ScrmError
from scrm.models import AgentProfile, Customer, DataScope, Role, Team
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.selectors import customer_visible_q, team_tree_ids
from scrm.services import role_assign, role_save, team_create, team_set_parent
from tests.scrm.factories import UserFactory
from tests.tenancy import tenant_pair
from tests.tickets.factories import QueueFactory, TicketFactory
from tickets.models import Ticket
from tickets.selectors import ticket_visible_q

pytestmark = pytest.mark.django_db


def _seed(tenant):
    org, m = tenant.organization, tenant.marker
    dept = team_create(organization=org, name=f"{m} 售后服务部", code="AS")
    group = team_create(organization=org, name=f"{m} 售后一组", code="AS1", parent=dept)
    squad = team_create(organization=org, name=f"{m} 一组夜班", code="AS1N", parent=group)
    other = team_create(organization=org, name=f"{m} 技术部", code="TECH")
    head = UserFactory(organization=org, username=f"{org.slug}-head")
    AgentProfile.objects.create(organization=org, user=head, team=dept)
    tickets = {}
    for key, team in (("dept", dept), ("group", group), ("squad", squad), ("other", other)):
        member = UserFactory(organization=org, username=f"{org.slug}-{key}")
        AgentProfile.objects.create(organization=org, user=member, team=team)
        customer = Customer.objects.create(organization=org, display_name=f"{m} 客户-{key}", owner=member)
        queue = QueueFactory(organization=org, team=team, auto_assign=False)
        tickets[key] = TicketFactory(organization=org, queue=queue, team=team, customer=customer,
                                     subject=f"{m} 工单-{key}")
    tenant.objects.update(dept=dept, group=group, squad=squad, other=other, head=head, tickets=tickets)


def _give(tenant, scope):
    with tenant_scope(tenant.organization):
        role = role_save(organization=tenant.organization, by=tenant.users[Role.OPS_ADMIN], name="部门经理",
                         permissions=["tickets.view_ticket", "scrm.view_customer"], modules=["tickets", "customers"],
                         data_scope=scope, masked_fields=[])
        role_assign(role=role, user=tenant.objects["head"], by=tenant.users[Role.OPS_ADMIN])


def _seen(tenant):
    head = tenant.objects["head"]
    with tenant_scope(tenant.organization):
        head.refresh_from_db()
        for cached in ("_scrm_roles", "_scrm_custom_roles", "_scrm_scope_team_tree"):
            head.__dict__.pop(cached, None)
        tickets = {t.subject.split("工单-")[1] for t in Ticket.objects.filter(ticket_visible_q(user=head))}
        customers = {c.display_name.split("客户-")[1] for c in Customer.objects.filter(customer_visible_q(user=head))}
    return tickets, customers


@pytest.mark.parametrize(("scope", "expected"), [
    (DataScope.TEAM, {"dept"}),
    (DataScope.TEAM_TREE, {"dept", "group", "squad"}),
])
def test_team_and_sub_teams_reaches_every_level_below_and_own_team_does_not(scope, expected):
    a, b = tenant_pair(_seed)
    _give(a, scope)
    assert _seen(a) == (expected, expected)
    client = Client()
    client.force_login(a.objects["head"])
    for key, ticket in a.objects["tickets"].items():
        assert client.get(f"/tickets/{ticket.pk}/").status_code == (200 if key in expected else 404), key
    for ticket in b.objects["tickets"].values():
        assert client.get(f"/tickets/{ticket.pk}/").status_code == 404


def test_a_team_moved_under_another_takes_its_sub_teams_with_it_on_the_next_request():
    a, _b = tenant_pair(_seed)
    _give(a, DataScope.TEAM_TREE)
    team_set_parent(team=a.objects["group"], parent=a.objects["other"])
    assert _seen(a)[0] == {"dept"}
    team_set_parent(team=a.objects["other"], parent=a.objects["dept"])
    assert _seen(a)[0] == {"dept", "other", "group", "squad"}
    with tenant_scope(a.organization):
        assert team_tree_ids([a.objects["other"].pk]) == {a.objects[k].pk for k in ("other", "group", "squad")}


def test_a_parent_is_never_a_cycle_nor_another_organizations_team_and_nothing_is_written():
    a, b = tenant_pair(_seed)
    for team, parent in ((a.objects["dept"], a.objects["squad"]), (a.objects["group"], a.objects["group"])):
        with pytest.raises(ScrmError) as refused:
            team_set_parent(team=team, parent=parent)
        assert str(refused.value) == str(MSG_TEAM_CYCLE)
    with pytest.raises(ScrmError) as refused:
        team_set_parent(team=a.objects["group"], parent=b.objects["dept"])
    assert str(refused.value) == str(MSG_TEAM_PARENT_OTHER_ORG)
    with pytest.raises(ScrmError):
        team_create(organization=a.organization, name="新组", code="NEW", parent=b.objects["dept"])
    with tenant_scope(a.organization):
        assert dict(Team.objects.values_list("code", "parent__code")) == {
            "AS": None, "AS1": "AS", "AS1N": "AS1", "TECH": None}


def test_ops_set_a_parent_in_the_admin_and_a_cycle_is_a_form_error():
    a, b = tenant_pair(_seed)
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    other, dept = a.objects["other"], a.objects["dept"]
    url = f"/admin/scrm/team/{other.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="parent"' in form and f"{a.marker} 售后服务部" in form and b.marker not in form
    response = client.post(url, {"name": other.name, "code": "TECH", "kind": "after_sales", "parent": dept.pk})
    assert response.status_code == 302
    response = client.post(f"/admin/scrm/team/{dept.pk}/change/",
                           {"name": dept.name, "code": "AS", "kind": "after_sales", "parent": other.pk})
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    with platform_scope():
        assert Team.objects.get(pk=other.pk).parent_id == dept.pk
        assert Team.objects.get(pk=dept.pk).parent_id is None
    settings_page = client.get("/settings/").content.decode()
    assert f"{a.marker} 一组夜班" in settings_page
