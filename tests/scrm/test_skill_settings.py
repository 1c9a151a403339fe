"""Ops keep the skills in the product (no Django admin): named and renamed through `skill_save` (audited), a taken
name refused with nothing saved; a skill comes off the agents who have it when deleted, but one a queue or ticket
type requires is refused with what requires it. Agents and supervisors may not; another organization's is not
found."""

import pytest
from django.test import Client
from django.utils.html import escape

from scrm.models import AgentProfile, Role, SettingsChange, Skill
from scrm.platform.tenancy import tenant_scope
from scrm.services import MSG_SKILL_NAME_TAKEN
from tests.tenancy import assert_isolated, tenant_pair
from tickets.models import Queue

pytestmark = pytest.mark.django_db


def _seed(tenant):
    org = tenant.organization
    install = Skill.objects.create(organization=org, name=f"{tenant.marker} 安装")
    english = Skill.objects.create(organization=org, name="英语")
    profile = AgentProfile.objects.create(organization=org, user=tenant.users[Role.AGENT])
    profile.skills.set([install, english])
    queue = Queue.objects.create(organization=org, name="安装专席", code="install")
    queue.required_skills.set([install])


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_ops_name_and_rename_skills_a_taken_name_is_refused_and_each_save_is_audited():
    a, _b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    assert ops.post("/settings/skills/", {"name": "退款"}).status_code == 302
    with tenant_scope(a.organization):
        english = Skill.objects.get(name="英语")
    response = ops.post(f"/settings/skills/{english.pk}/", {"name": "退款"})
    assert response.status_code == 400
    assert escape(str(MSG_SKILL_NAME_TAKEN % {"name": "退款"})) in response.content.decode()
    assert ops.post(f"/settings/skills/{english.pk}/", {"name": "英语服务"}).status_code == 302
    with tenant_scope(a.organization):
        english.refresh_from_db()
        actions = sorted(SettingsChange.objects.filter(subject="scrm.skill").values_list("action", flat=True))
    assert english.name == "英语服务" and actions == ["changed", "created"]
    assert "英语服务" in ops.get("/settings/skills/").content.decode()


def test_a_skill_comes_off_its_agents_when_deleted_but_not_while_a_queue_requires_it():
    a, _b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    with tenant_scope(a.organization):
        install, english = Skill.objects.get(name__endswith="安装"), Skill.objects.get(name="英语")
    refused = ops.post(f"/settings/skills/{install.pk}/delete/", follow=True).content.decode()
    assert "队列 1" in refused
    assert ops.post(f"/settings/skills/{english.pk}/delete/").status_code == 302
    with tenant_scope(a.organization):
        profile = AgentProfile.objects.get()
        assert list(profile.skills.all()) == [install]
        change = SettingsChange.objects.get(subject="scrm.skill", action="deleted")
    assert change.detail == {"name": "英语", "agents": 1}


def test_agents_and_supervisors_may_not_keep_skills_and_the_page_stays_in_its_organization():
    a, b = tenant_pair(_seed)
    for role in (Role.AGENT, Role.SUPERVISOR):
        client = _client(a.users[role])
        assert client.get("/settings/skills/").status_code == 403
        assert client.post("/settings/skills/", {"name": "x"}).status_code == 403
    with tenant_scope(b.organization):
        foreign = Skill.objects.get(name="英语")
    assert _client(a.users[Role.OPS_ADMIN]).get(f"/settings/skills/{foreign.pk}/").status_code == 404
    assert_isolated(Client(), a, b, "/settings/skills/")
