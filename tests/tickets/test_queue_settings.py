"""Ops keep queues and their members in the product: members added and removed through `queue_save` (audited,
a kept member keeps its round-robin position), a taken code refused with nothing saved; agents may not."""

import pytest
from django.test import Client
from django.utils.html import escape

from scrm.models import AgentProfile, Role, SettingsChange
from scrm.platform.tenancy import tenant_scope
from tests.tenancy import assert_isolated, tenant_pair
from tickets.models import Queue, QueueMembership
from tickets.services.config import MSG_QUEUE_CODE_TAKEN

pytestmark = pytest.mark.django_db


def _seed(tenant):
    queue = Queue.objects.create(organization=tenant.organization, name=f"{tenant.marker} 售后", code="after-sales")
    agent = tenant.users[Role.AGENT]
    profile = AgentProfile.objects.create(organization=tenant.organization, user=agent)
    QueueMembership.objects.create(organization=tenant.organization, queue=queue, agent=profile)
    AgentProfile.objects.create(organization=tenant.organization, user=tenant.users[Role.SUPERVISOR])


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_ops_change_a_queues_members_and_the_change_is_audited():
    a, _b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    with tenant_scope(a.organization):
        queue = Queue.objects.get()
        agent, other = (AgentProfile.objects.get(user=a.users[role]) for role in (Role.AGENT, Role.SUPERVISOR))
    assert 'data-testid="queue-members"' in ops.get(f"/tickets/settings/queues/{queue.pk}/").content.decode()
    response = ops.post(f"/tickets/settings/queues/{queue.pk}/", {
        "name": queue.name, "code": "after-sales", "strategy": "least_loaded", "members": [other.pk]})
    assert response.status_code == 302
    with tenant_scope(a.organization):
        queue.refresh_from_db()
        members = set(QueueMembership.objects.filter(queue=queue).values_list("agent_id", flat=True))
        change = SettingsChange.objects.get(subject="tickets.queue", subject_id=queue.pk)
    assert members == {other.pk} and queue.strategy == "least_loaded" and queue.auto_assign is False
    assert change.detail["members_added"] == [other.pk] and change.detail["members_removed"] == [agent.pk]


def test_a_new_queue_with_a_taken_code_is_refused_and_nothing_saved():
    a, _b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    response = ops.post("/tickets/settings/queues/", {"name": "新队列", "code": "after-sales",
                                                      "strategy": "round_robin", "auto_assign": "on"})
    assert response.status_code == 400
    assert escape(str(MSG_QUEUE_CODE_TAKEN % {"code": "after-sales"})) in response.content.decode()
    with tenant_scope(a.organization):
        assert Queue.objects.count() == 1 and not SettingsChange.objects.exists()
    assert ops.post("/tickets/settings/queues/", {"name": "新队列", "code": "vip", "strategy": "round_robin",
                                                  "auto_assign": "on"}).status_code == 302


def test_agents_and_supervisors_may_not_keep_queues_and_the_page_stays_in_its_organization():
    a, b = tenant_pair(_seed)
    for role in (Role.AGENT, Role.SUPERVISOR):
        client = _client(a.users[role])
        assert client.get("/tickets/settings/queues/").status_code == 403
        assert client.post("/tickets/settings/queues/", {"name": "x", "code": "x",
                                                         "strategy": "round_robin"}).status_code == 403
    assert_isolated(Client(), a, b, "/tickets/settings/queues/")
