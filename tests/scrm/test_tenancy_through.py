"""The many-to-manys between tenant models go through tenant rows: organization first, filled by the relation,
and the migration that introduced them kept every existing row (tests/scrm/test_data_migrations.py)."""

import pytest
from django.test import Client

from scrm.models import Region, Role
from scrm.models.people import AgentProfileRegion, AgentProfileSkill
from scrm.platform.tenancy import ScopeError, platform_scope, tenant_scope
from scrm.services import agent_profile_upsert, region_create, skill_get_or_create
from tests.tenancy import tenant_pair
from tickets.models import Queue, TicketType
from tickets.models.core import QueueRegion, QueueSkill, QueueTicketType, RoutingRuleTag, TicketTypeSkill

THROUGH = [AgentProfileRegion, AgentProfileSkill, TicketTypeSkill, QueueRegion, QueueTicketType, QueueSkill,
           RoutingRuleTag]


def seed(tenant):
    organization = tenant.organization
    region = region_create(organization=organization, name=f"{tenant.marker} 华东", code="EAST",
                           level=Region.Level.AREA)
    skill = skill_get_or_create(organization=organization, name=f"{tenant.marker} 空调")
    profile = agent_profile_upsert(user=tenant.users[Role.AGENT], regions=[region], skills=[skill])
    ticket_type = TicketType.objects.create(organization=organization, name="报修", code="repair")
    ticket_type.required_skills.add(skill)
    queue = Queue.objects.create(organization=organization, name="售后", code="after-sales")
    queue.regions.set([region])
    queue.ticket_types.add(ticket_type)
    queue.required_skills.set([skill])
    tenant.objects.update(region=region, skill=skill, profile=profile, queue=queue, ticket_type=ticket_type)


@pytest.mark.django_db
def test_adding_to_a_relation_fills_the_through_rows_organization():
    a, b = tenant_pair(seed)
    for tenant in (a, b):
        with tenant_scope(tenant.organization):
            for through in THROUGH[:5]:
                assert through.objects.count() == 1, through.__name__
            assert set(tenant.objects["profile"].regions.all()) == {tenant.objects["region"]}
            assert list(tenant.objects["region"].agents.all()) == [tenant.objects["profile"]]
            assert list(tenant.objects["queue"].required_skills.all()) == [tenant.objects["skill"]]
    with platform_scope():
        for through in THROUGH[:5]:
            assert {row.organization_id for row in through.objects.all()} == {a.organization.pk, b.organization.pk}


@pytest.mark.django_db
def test_a_relation_cannot_link_a_row_of_another_organization():
    a, b = tenant_pair(seed)
    with tenant_scope(a.organization), pytest.raises(ScopeError):
        b.objects["queue"].regions.add(a.objects["region"])
    with tenant_scope(b.organization), pytest.raises(ScopeError):
        b.objects["queue"].regions.add(a.objects["region"])  # B's queue serving A's region
    with tenant_scope(b.organization), pytest.raises(ScopeError):
        b.objects["queue"].regions.set([a.objects["region"]])


@pytest.mark.django_db
def test_the_admin_still_edits_the_relations():
    a, _b = tenant_pair(seed)
    client = Client()
    client.force_login(a.users[Role.OPS_ADMIN])
    queue = a.objects["queue"]
    page = client.get(f"/admin/tickets/queue/{queue.pk}/change/").content.decode()
    assert 'name="regions"' in page and 'name="ticket_types"' in page and 'name="required_skills"' in page
    with tenant_scope(a.organization):
        other = region_create(organization=a.organization, name="华南", code="SOUTH", level=Region.Level.AREA)
    response = client.post(f"/admin/tickets/queue/{queue.pk}/change/", {
        "name": queue.name, "code": queue.code, "strategy": queue.strategy, "auto_assign": "on",
        "regions": [a.objects["region"].pk, other.pk], "ticket_types": [a.objects["ticket_type"].pk],
        "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_scope(a.organization):
        assert set(queue.regions.values_list("code", flat=True)) == {"EAST", "SOUTH"}
        assert not queue.required_skills.exists()
        assert set(QueueRegion.objects.values_list("organization_id", flat=True)) == {a.organization.pk}
