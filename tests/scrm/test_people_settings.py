"""The people-and-places pages of Settings (regions, teams, users, agent profiles): the services refuse what breaks a
rule and write nothing then, each change leaves a row of the settings audit trail, only the roles the page's rule
lets in reach them, and another organization's rows are never reachable."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from scrm.models import AgentProfile, Customer, Region, Role, SettingsChange, Skill, Team, User
from scrm.platform.access import (
    user_configures_agents,
    user_configures_regions,
    user_configures_teams,
    user_manages_staff,
)
from scrm.platform.audit import MSG_IN_USE
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.services import (
    MSG_AGENT_SCOPE_OPS_ONLY,
    MSG_LAST_ADMIN,
    MSG_OWN_CAPACITY_OPS_ONLY,
    agent_profile_save,
    region_create,
    region_delete,
    region_settings_save,
    role_save,
    team_member_add,
    team_member_remove,
    team_save,
    user_invite,
    user_password_reset,
    user_set_active,
    user_update,
)
from tests.scrm.factories import TEST_PASSWORD, UserFactory
from tests.tenancy import assert_isolated, assert_not_reachable, tenant_pair

pytestmark = pytest.mark.django_db


def _seed(tenant):
    org, m = tenant.organization, tenant.marker
    east = region_create(organization=org, name=f"{m} 华东", code="EAST", level=Region.Level.AREA)
    js = region_create(organization=org, name=f"{m} 江苏", code="JS", level=Region.Level.PROVINCE, parent=east)
    nj = region_create(organization=org, name=f"{m} 南京", code="NJ", level=Region.Level.CITY, parent=js)
    team = Team.objects.create(organization=org, name=f"{m} 售后一组", code="AS1")
    agent = tenant.users[Role.AGENT]
    profile = AgentProfile.objects.create(organization=org, user=agent, team=team)
    tenant.objects.update(east=east, js=js, nj=nj, team=team, profile=profile)


def _signs_in(username, password):
    return Client().post("/accounts/login/", {"username": username, "password": password}).status_code == 302


def _changes(org, subject):
    with tenant_scope(org):
        return list(SettingsChange.objects.filter(subject=subject).order_by("pk"))


@pytest.fixture
def pair():
    return tenant_pair(_seed)


# Permissions: one rule per page --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.FINANCE, Role.VIEWER])
def test_agents_finance_and_viewers_are_refused_every_page(pair, role):
    a, _b = pair
    user = a.users[role]
    assert not user_configures_regions(user)
    assert not user_configures_teams(user)
    assert not user_manages_staff(user)
    client = Client()
    client.force_login(user)
    region, team, profile = a.objects["east"], a.objects["team"], a.objects["profile"]
    for url in ("/settings/regions/", f"/settings/regions/{region.pk}/", "/settings/teams/",
                f"/settings/teams/{team.pk}/", "/settings/users/", "/settings/users/new/",
                f"/settings/users/{user.pk}/", "/settings/agents/", f"/settings/agents/{profile.pk}/"):
        assert client.get(url).status_code == 403, url
    response = client.post("/settings/regions/", {"name": "偷偷加的", "code": "X", "level": "area"})
    assert response.status_code == 403
    response = client.post(f"/settings/users/{user.pk}/password/")
    assert response.status_code == 403
    with tenant_scope(a.organization):
        assert not Region.objects.filter(code="X").exists()
    assert _changes(a.organization, "scrm.user") == []


def test_supervisors_set_their_agents_presence_but_manage_no_staff(pair):
    a, _b = pair
    supervisor, profile = a.users[Role.SUPERVISOR], a.objects["profile"]
    assert user_configures_agents(supervisor) and not user_manages_staff(supervisor)
    client = Client()
    client.force_login(supervisor)
    assert client.get(f"/settings/agents/{profile.pk}/").status_code == 404  # not their agent
    with tenant_scope(a.organization):
        AgentProfile.objects.filter(pk=profile.pk).update(supervisor=supervisor)
    response = client.post(f"/settings/agents/{profile.pk}/", {"status": "away", "max_open_tickets": 7})
    assert response.status_code == 302
    with tenant_scope(a.organization):
        profile.refresh_from_db()
    assert (profile.status, profile.max_open_tickets) == ("away", 7)
    assert client.get("/settings/users/").status_code == 403


def test_pages_show_only_the_organizations_rows(pair):
    a, b = pair
    client = Client()
    assert_isolated(client, a, b, "/settings/regions/")
    assert_isolated(client, a, b, f"/settings/regions/?parent={a.objects['js'].pk}")
    assert_isolated(client, a, b, "/settings/regions/?q=南京")
    assert_isolated(client, a, b, "/settings/teams/")
    assert_isolated(client, a, b, "/settings/agents/", expect_marker=False)
    assert_isolated(client, a, b, f"/settings/users/?q={a.organization.slug}", expect_marker=False)
    for url in (f"/settings/regions/{b.objects['east'].pk}/", f"/settings/teams/{b.objects['team'].pk}/",
                f"/settings/users/{b.users[Role.AGENT].pk}/", f"/settings/agents/{b.objects['profile'].pk}/",
                f"/settings/regions/?parent={b.objects['east'].pk}"):
        assert_not_reachable(client, a, url)
    b_agent = b.users[Role.AGENT].pk
    for url in (f"/settings/users/{b_agent}/password/", f"/settings/users/{b_agent}/active/",
                f"/settings/regions/{b.objects['nj'].pk}/delete/", f"/settings/teams/{b.objects['team'].pk}/delete/"):
        assert client.post(url, {"active": "0"}).status_code == 404, url
    with tenant_scope(b.organization):
        assert User.objects.get(pk=b.users[Role.AGENT].pk).is_active
        assert Region.objects.filter(code="NJ").exists()


def test_services_refuse_another_organizations_rows(pair):
    a, b = pair
    ops = a.users[Role.OPS_ADMIN]
    with pytest.raises(ValidationError):
        region_settings_save(organization=a.organization, by=ops, name="x", code="X", level="province",
                             parent=b.objects["east"])
    with pytest.raises(ValidationError):
        team_member_add(organization=a.organization, by=ops, team=a.objects["team"], user=b.users[Role.AGENT])
    with pytest.raises(ValidationError):
        user_set_active(organization=a.organization, by=ops, user=b.users[Role.AGENT], active=False)
    assert _changes(a.organization, "scrm.region") == []


# Regions ---------------------------------------------------------------------------------------------------------


def test_region_rename_move_and_managers_are_audited(pair):
    a, _b = pair
    org, ops = a.organization, a.users[Role.OPS_ADMIN]
    supervisor = a.users[Role.SUPERVISOR]
    with tenant_scope(org):
        west = region_create(organization=org, name="华西", code="WEST", level=Region.Level.AREA)
    js = region_settings_save(organization=org, by=ops, region=a.objects["js"], name="江苏省", code="JS",
                              parent=west, managers=[supervisor])
    with tenant_scope(org):
        assert Region.objects.get(code="NJ").path == "/WEST/JS/NJ/"  # the subtree moved along
    assert js.level == Region.Level.PROVINCE
    (change,) = _changes(org, "scrm.region")
    assert change.subject_id == js.pk and change.by_id == ops.pk and change.action == SettingsChange.Action.CHANGED
    assert change.detail["moved"] is True and change.detail["managers"] == [supervisor.username]


def test_a_region_that_breaks_the_tree_or_whose_code_is_taken_is_refused_and_nothing_written(pair):
    a, _b = pair
    org, ops = a.organization, a.users[Role.OPS_ADMIN]
    with pytest.raises(ValidationError) as caught:
        region_settings_save(organization=org, by=ops, region=a.objects["east"], name="华东", code="EAST",
                             parent=a.objects["nj"])
    assert "parent" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        region_settings_save(organization=org, by=ops, name="又一个江苏", code="JS", level="province",
                             parent=a.objects["east"])
    assert "code" in caught.value.message_dict
    assert _changes(org, "scrm.region") == []


def test_a_region_in_use_cannot_be_deleted_and_the_refusal_says_what_uses_it(pair):
    a, _b = pair
    org, ops = a.organization, a.users[Role.OPS_ADMIN]
    with tenant_scope(org):
        Customer.objects.create(organization=org, display_name="王", region=a.objects["nj"])
    with pytest.raises(ValidationError) as caught:
        region_delete(organization=org, by=ops, region=a.objects["js"])
    assert "江苏" in caught.value.messages[0] and str(Region._meta.verbose_name_plural) in caught.value.messages[0]
    client = Client()
    client.force_login(ops)
    response = client.post(f"/settings/regions/{a.objects['nj'].pk}/delete/", follow=True)
    assert response.status_code == 200
    with tenant_scope(org):
        assert Region.objects.filter(code="NJ").exists()
        Customer.objects.all().delete()
    region_delete(organization=org, by=ops, region=a.objects["nj"])
    (change,) = _changes(org, "scrm.region")
    assert change.action == SettingsChange.Action.DELETED and change.detail["code"] == "NJ"


def test_a_region_an_agent_serves_is_refused_naming_agent_profiles_in_chinese(pair):
    """The refusal named the through rows by their class: "仍被以下内容使用：agent profile regions 1" in the Chinese
    page (and "routing rule tags 1" for a tag a rule adds); it names what ops know: 坐席档案."""
    a, _b = pair
    org, ops = a.organization, a.users[Role.OPS_ADMIN]
    with tenant_scope(org):
        a.objects["profile"].regions.add(a.objects["nj"])
    client = Client()
    client.force_login(ops)
    with translation.override("zh-hans"):
        response = client.post(f"/settings/regions/{a.objects['nj'].pk}/delete/", follow=True,
                               headers={"accept-language": "zh-hans"})
        expected = str(MSG_IN_USE % {"name": a.objects["nj"].name,
                                     "uses": f"{AgentProfile._meta.verbose_name_plural} 1"})
    page = response.content.decode()
    assert "坐席档案 1" in expected and escape(expected) in page
    assert "agent profile" not in page
    with tenant_scope(org):
        assert Region.objects.filter(pk=a.objects["nj"].pk).exists()
    assert _changes(org, "scrm.region") == []


def test_the_region_page_walks_a_large_tree_one_level_at_a_time(pair, django_assert_max_num_queries):
    a, _b = pair
    org = a.organization
    with tenant_scope(org):
        Region.objects.bulk_create([
            Region(organization=org, name=f"城市{i:04d}", code=f"C{i:04d}", level=Region.Level.CITY,
                   parent=a.objects["js"], path=f"/EAST/JS/C{i:04d}/") for i in range(2000)])
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    with django_assert_max_num_queries(30):
        response = client.get(f"/settings/regions/?parent={a.objects['js'].pk}")
    body = response.content.decode()
    assert body.count('data-testid="region-row"') == 50 and "城市0000" in body and "城市1999" not in body
    response = client.get("/settings/regions/?q=城市1999")
    assert response.content.decode().count('data-testid="region-row"') == 1
    response = client.get("/settings/regions/")  # the top level: one area, not 2,003 rows
    assert response.content.decode().count('data-testid="region-row"') == 1


# Teams -----------------------------------------------------------------------------------------------------------


def test_team_save_and_members_are_audited(pair):
    a, _b = pair
    org, ops = a.organization, a.users[Role.OPS_ADMIN]
    agent2 = UserFactory(organization=org, username="a-agent2", roles=[Role.AGENT])
    team = team_save(organization=org, by=ops, name="夜班", code="NIGHT", kind=Team.Kind.AFTER_SALES,
                     leader=a.users[Role.SUPERVISOR], parent=a.objects["team"])
    team_member_add(organization=org, by=ops, team=team, user=agent2)
    team_member_add(organization=org, by=ops, team=team, user=a.users[Role.AGENT])  # moves from 售后一组
    assert team_member_remove(organization=org, by=ops, team=team, user=agent2)
    with tenant_scope(org):
        assert AgentProfile.objects.get(user=a.users[Role.AGENT]).team == team
        assert AgentProfile.objects.get(user=agent2).team is None
    details = [c.detail for c in _changes(org, "scrm.team")]
    assert details[0]["parent"] == a.objects["team"].name
    assert details[1:] == [{"member_added": "a-agent2", "from_team": None},
                           {"member_added": a.users[Role.AGENT].username, "from_team": a.objects["team"].name},
                           {"member_removed": "a-agent2"}]
    with pytest.raises(ValidationError):  # a cycle
        team_save(organization=org, by=ops, team=a.objects["team"], name="售后一组", code="AS1",
                  kind=Team.Kind.AFTER_SALES, parent=team)
    with pytest.raises(ValidationError):  # finance joins no team
        team_member_add(organization=org, by=ops, team=team, user=a.users[Role.FINANCE])
    assert len(_changes(org, "scrm.team")) == 4


# Users -----------------------------------------------------------------------------------------------------------


def test_invited_user_gets_roles_a_team_and_a_password_shown_once_never_audited(pair):
    a, _b = pair
    org, ops = a.organization, a.users[Role.OPS_ADMIN]
    with tenant_scope(org):
        custom = role_save(organization=org, by=ops, name="华东专员", permissions=["tickets.view_ticket"],
                           modules=["tickets"], data_scope="region")
    user, password = user_invite(organization=org, by=ops, username="xiaoli", display_name="小李",
                                 roles=[Role.AGENT], custom_roles=[custom], mobile="13800000000",
                                 email="li@example.com", team=a.objects["team"])
    assert _signs_in("xiaoli", password)
    with tenant_scope(org):
        assert set(user.groups.values_list("name", flat=True)) == {Role.AGENT}
        assert AgentProfile.objects.get(user=user).team == a.objects["team"]
    (change,) = _changes(org, "scrm.user")
    assert change.action == SettingsChange.Action.CREATED and change.detail["custom_roles"] == ["华东专员"]
    assert password not in str(change.detail) and "13800000000" not in str(change.detail)
    with pytest.raises(ValidationError) as caught:
        user_invite(organization=org, by=ops, username="xiaoli", display_name="另一个", roles=[Role.AGENT])
    assert "username" in caught.value.message_dict
    agent, _password = user_invite(organization=org, by=ops, username="xiaowu", display_name="小吴",
                                   roles=[Role.AGENT])
    with tenant_scope(org):  # an agent is listed on the board and can be assigned once ops set them online
        assert AgentProfile.objects.get(user=agent).status == AgentProfile.Status.OFFLINE


def test_password_reset_replaces_the_password_at_once(pair):
    a, _b = pair
    org, ops, agent = a.organization, a.users[Role.OPS_ADMIN], a.users[Role.AGENT]
    password = user_password_reset(organization=org, by=ops, user=agent)
    assert _signs_in(agent.username, TEST_PASSWORD) is False
    assert _signs_in(agent.username, password)
    (change,) = _changes(org, "scrm.user")
    assert change.detail == {"username": agent.username, "password": "reset"}


def test_the_last_admin_can_neither_be_deactivated_nor_lose_the_role(pair):
    a, _b = pair
    org, ops = a.organization, a.users[Role.OPS_ADMIN]
    second = UserFactory(organization=org, username="a-ops2", roles=[Role.OPS_ADMIN])
    user_set_active(organization=org, by=ops, user=second, active=False)
    with pytest.raises(ValidationError) as caught:
        user_update(organization=org, by=second, user=ops, display_name="运营", roles=[Role.SUPERVISOR])
    assert str(MSG_LAST_ADMIN % {"name": ops}) in caught.value.messages
    with pytest.raises(ValidationError):
        user_set_active(organization=org, by=second, user=ops, active=False)
    with tenant_scope(org):
        ops.refresh_from_db()
        assert ops.is_active and ops.groups.filter(name=Role.OPS_ADMIN).exists()
    # With a second active admin, the first may step down.
    user_set_active(organization=org, by=ops, user=second, active=True)
    user_update(organization=org, by=second, user=ops, display_name="运营", roles=[Role.SUPERVISOR])
    actions = [c.detail.get("is_active") for c in _changes(org, "scrm.user")]
    assert actions == [False, True, True]


def test_a_deactivated_user_cannot_sign_in_and_goes_offline(pair):
    a, _b = pair
    org, ops, agent = a.organization, a.users[Role.OPS_ADMIN], a.users[Role.AGENT]
    with tenant_scope(org):
        AgentProfile.objects.filter(user=agent).update(status=AgentProfile.Status.ONLINE)
    agents_session = Client()
    agents_session.force_login(agent)
    assert agents_session.get("/tickets/").status_code == 200
    client = Client()
    client.force_login(ops)
    response = client.post(f"/settings/users/{agent.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    assert agents_session.get("/tickets/").status_code == 302  # the session they held is no longer theirs
    assert _signs_in(agent.username, TEST_PASSWORD) is False
    with tenant_scope(org):
        assert AgentProfile.objects.get(user=agent).status == AgentProfile.Status.OFFLINE
        assert User.objects.filter(pk=agent.pk).exists()  # never deleted


def test_the_users_page_searches_and_creates(pair, django_assert_max_num_queries):
    a, _b = pair
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    with django_assert_max_num_queries(20):
        response = client.get("/settings/users/?q=finance")
    body = response.content.decode()
    assert body.count('data-testid="user-row"') == 1 and a.users[Role.FINANCE].username in body
    response = client.post("/settings/users/new/", {"username": "newbie", "display_name": "新人",
                                                    "roles": ["viewer"]})
    assert response.status_code == 200 and 'data-testid="temporary-password-value"' in response.content.decode()
    response = client.post("/settings/users/new/", {"username": "nobody", "display_name": "无角色"})
    assert response.status_code == 400
    with platform_scope():
        assert not User.objects.filter(username="nobody").exists()


# Agent profiles ----------------------------------------------------------------------------------------------------


def test_agent_profile_save_is_audited(pair):
    a, _b = pair
    org, ops, profile = a.organization, a.users[Role.OPS_ADMIN], a.objects["profile"]
    agent_profile_save(organization=org, by=ops, profile=profile, max_open_tickets=5, status="online",
                       regions=[a.objects["nj"]], supervisor=a.users[Role.SUPERVISOR])
    with tenant_scope(org):
        profile.refresh_from_db()
        assert list(profile.regions.all()) == [a.objects["nj"]]
    (change,) = _changes(org, "scrm.agentprofile")
    assert change.detail["status"] == "online" and change.detail["max_open_tickets"] == 5


def test_a_team_with_members_cannot_be_deleted_an_empty_one_can(pair):
    a, _b = pair
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    team = a.objects["team"]
    response = client.post(f"/settings/teams/{team.pk}/delete/", follow=True)
    assert response.status_code == 200 and "仍被以下内容使用" in response.content.decode()
    with tenant_scope(a.organization):
        assert Team.objects.filter(pk=team.pk).exists()
    client.post(f"/settings/teams/{team.pk}/members/remove/", {"user": a.users[Role.AGENT].pk})
    client.post(f"/settings/teams/{team.pk}/delete/")
    with tenant_scope(a.organization):
        assert not Team.objects.filter(pk=team.pk).exists()
    assert [c.action for c in _changes(a.organization, "scrm.team")] == ["changed", "deleted"]


def test_ops_add_new_skills_on_the_agent_page_supervisors_only_choose(pair):
    a, _b = pair
    profile = a.objects["profile"]
    ops_client = Client()
    ops_client.force_login(a.users[Role.OPS_ADMIN])
    response = ops_client.post(f"/settings/agents/{profile.pk}/", {
        "status": "online", "max_open_tickets": 12, "new_skills": "安装，英语, 安装"})
    assert response.status_code == 302
    with tenant_scope(a.organization):
        assert sorted(profile.skills.values_list("name", flat=True)) == ["安装", "英语"]
        AgentProfile.objects.filter(pk=profile.pk).update(supervisor=a.users[Role.SUPERVISOR])
    supervisor_client = Client()
    supervisor_client.force_login(a.users[Role.SUPERVISOR])
    assert 'name="new_skills"' not in supervisor_client.get(f"/settings/agents/{profile.pk}/").content.decode()
    supervisor_client.post(f"/settings/agents/{profile.pk}/", {"status": "away", "max_open_tickets": 12,
                                                                "new_skills": "偷加的技能"})
    with tenant_scope(a.organization):
        assert not Skill.objects.filter(name="偷加的技能").exists()


def _queries(client, url, django_assert_max_num_queries, bound):
    with django_assert_max_num_queries(bound) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_teams_and_agents_pages_cost_the_same_queries_at_any_length(pair, django_assert_max_num_queries):
    a, _b = pair
    org = a.organization
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    client.get("/settings/teams/")  # the session is written on the first request
    small = {url: _queries(client, url, django_assert_max_num_queries, 25)
             for url in ("/settings/teams/", "/settings/agents/")}
    for i in range(30):
        user = UserFactory(organization=org, username=f"a-more{i}", roles=[Role.AGENT])
        with tenant_scope(org):
            team = Team.objects.create(organization=org, name=f"组{i}", code=f"T{i}", leader=user)
            profile = AgentProfile.objects.create(organization=org, user=user, team=team)
            profile.skills.add(Skill.objects.get_or_create(organization=org, name=f"技能{i % 3}")[0])
    large = {url: _queries(client, url, django_assert_max_num_queries, 25) for url in small}
    assert large == small


def test_ops_change_a_users_roles_on_the_page(pair):
    a, _b = pair
    org, ops, agent = a.organization, a.users[Role.OPS_ADMIN], a.users[Role.AGENT]
    with tenant_scope(org):
        custom = role_save(organization=org, by=ops, name="质检员", permissions=["tickets.view_ticket"],
                           modules=["tickets"], data_scope="own")
    client = Client()
    client.force_login(ops)
    response = client.post(f"/settings/users/{agent.pk}/", {
        "display_name": "小周", "roles": ["supervisor"], "custom_roles": [custom.pk],
        "team": a.objects["team"].pk})
    assert response.status_code == 302
    with tenant_scope(org):
        assert list(agent.groups.values_list("name", flat=True)) == ["supervisor"]
        assert list(custom.assignments.values_list("user_id", flat=True)) == [agent.pk]
    form = client.get(f"/settings/users/{agent.pk}/").context["form"]
    assert form.initial["custom_roles"] == [custom.pk] and form.initial["roles"] == ["supervisor"]
    (change,) = _changes(org, "scrm.user")
    assert change.detail["roles"] == ["supervisor"] and change.detail["custom_roles"] == ["质检员"]


# Regions served are a data scope: only ops admins set them -------------------------------------------------------


def _supervisor_own_profile(a):
    """The supervisor leads the team and has an agent profile in it (so the agents page lists their own), serving
    Nanjing only."""
    supervisor, team = a.users[Role.SUPERVISOR], a.objects["team"]
    with tenant_scope(a.organization):
        Team.objects.filter(pk=team.pk).update(leader=supervisor)
        own = AgentProfile.objects.create(organization=a.organization, user=supervisor, team=team,
                                          max_open_tickets=10)
        own.regions.set([a.objects["nj"]])
    return supervisor, own


def _scope(a, profile):
    with tenant_scope(a.organization):
        profile.refresh_from_db()
        return sorted(profile.regions.values_list("code", flat=True)), profile.supervisor_id, profile.max_open_tickets


def test_a_supervisor_cannot_widen_their_own_regions_page_or_service(pair):
    a, _b = pair
    supervisor, own = _supervisor_own_profile(a)
    client = Client()
    client.force_login(supervisor)
    page = client.get(f"/settings/agents/{own.pk}/").content.decode()
    assert 'name="regions"' not in page and 'name="supervisor"' not in page and 'name="max_open_tickets"' not in page
    response = client.post(f"/settings/agents/{own.pk}/", {"status": "online", "max_open_tickets": 999,
                                                            "regions": [a.objects["east"].pk]})
    assert response.status_code == 302  # the fields are not the form's: presence changes, nothing else
    assert _scope(a, own) == (["NJ"], None, 10)
    with pytest.raises(ValidationError) as caught:
        agent_profile_save(organization=a.organization, by=supervisor, profile=own, status="online",
                           max_open_tickets=10, regions=[a.objects["east"]])
    assert str(MSG_AGENT_SCOPE_OPS_ONLY) in caught.value.messages
    with pytest.raises(ValidationError) as caught:
        agent_profile_save(organization=a.organization, by=supervisor, profile=own, status="online",
                           max_open_tickets=999)
    assert str(MSG_OWN_CAPACITY_OPS_ONLY) in caught.value.messages
    with pytest.raises(ValidationError):
        agent_profile_save(organization=a.organization, by=supervisor, profile=own, status="online",
                           supervisor=supervisor)
    assert _scope(a, own) == (["NJ"], None, 10)


def test_a_supervisor_cannot_change_their_agents_regions_or_supervisor(pair):
    a, _b = pair
    supervisor, profile = a.users[Role.SUPERVISOR], a.objects["profile"]
    with tenant_scope(a.organization):
        AgentProfile.objects.filter(pk=profile.pk).update(supervisor=supervisor)
        profile.regions.set([a.objects["nj"]])
    with pytest.raises(ValidationError) as caught:
        agent_profile_save(organization=a.organization, by=supervisor, profile=profile, status="online",
                           max_open_tickets=3, regions=[a.objects["east"]])
    assert str(MSG_AGENT_SCOPE_OPS_ONLY) in caught.value.messages
    with pytest.raises(ValidationError):
        agent_profile_save(organization=a.organization, by=supervisor, profile=profile, status="online",
                           max_open_tickets=3, supervisor=None)
    client = Client()
    client.force_login(supervisor)
    response = client.post(f"/settings/agents/{profile.pk}/", {"status": "online", "max_open_tickets": 3,
                                                                "regions": [a.objects["east"].pk]})
    assert response.status_code == 302
    assert _scope(a, profile) == (["NJ"], supervisor.pk, 3)  # capacity of their agent: theirs to set


def test_ops_admins_set_regions_and_supervisor_and_their_own_capacity(pair):
    a, _b = pair
    ops, supervisor = a.users[Role.OPS_ADMIN], a.users[Role.SUPERVISOR]
    _, own = _supervisor_own_profile(a)
    client = Client()
    client.force_login(ops)
    assert 'name="regions"' in client.get(f"/settings/agents/{own.pk}/").content.decode()
    response = client.post(f"/settings/agents/{own.pk}/", {"status": "online", "max_open_tickets": 20,
                                                            "regions": [a.objects["east"].pk],
                                                            "supervisor": supervisor.pk})
    assert response.status_code == 302
    assert _scope(a, own) == (["EAST"], supervisor.pk, 20)
    with tenant_scope(a.organization):
        mine = AgentProfile.objects.create(organization=a.organization, user=ops, max_open_tickets=1)
    agent_profile_save(organization=a.organization, by=ops, profile=mine, status="online", max_open_tickets=4,
                       regions=[a.objects["js"]])
    assert _scope(a, mine) == (["JS"], None, 4)
