"""Ops keep queues and their members in the product: members added and removed through `queue_save` (audited,
a kept member keeps its round-robin position), a taken code refused with nothing saved; agents may not."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from scrm.models import AgentProfile, Customer, Region, Role, SettingsChange, Skill
from scrm.platform.tenancy import tenant_scope
from tests.tenancy import assert_isolated, tenant_pair
from tickets.models import Queue, QueueMembership, TicketType
from tickets.services import ticket_open
from tickets.services.config import MSG_QUEUE_CODE_TAKEN, MSG_QUEUE_MEMBER_INACTIVE, queue_save
from tickets.views_settings import MSG_MEMBER_DEACTIVATED

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


def _seed_served(tenant):
    _seed(tenant)
    org = tenant.organization
    east = Region.objects.create(organization=org, name=f"{tenant.marker} 华东", code="EAST", level="area",
                                 path="/EAST/")
    Region.objects.create(organization=org, name=f"{tenant.marker} 上海", code="SH", level="province", parent=east,
                          path="/EAST/SH/")
    TicketType.objects.create(organization=org, name=f"{tenant.marker} 安装", code="install")
    Skill.objects.create(organization=org, name=f"{tenant.marker} 空调安装")


def test_ops_set_the_regions_types_and_skills_a_queue_serves_and_new_tickets_follow():
    """What the Django admin alone used to set: a ticket of the type from a region below the one served now lands
    in the queue, and only an agent with the skill gets it."""
    a, _b = tenant_pair(_seed_served)
    ops = _client(a.users[Role.OPS_ADMIN])
    with tenant_scope(a.organization):
        queue, east, shanghai = Queue.objects.get(), Region.objects.get(code="EAST"), Region.objects.get(code="SH")
        install, skill = TicketType.objects.get(code="install"), Skill.objects.get()
        agent = AgentProfile.objects.get(user=a.users[Role.AGENT])
        AgentProfile.objects.filter(pk=agent.pk).update(status=AgentProfile.Status.ONLINE)
    page = ops.get(f"/tickets/settings/queues/{queue.pk}/").content.decode()
    assert 'name="regions"' in page and 'data-testid="queue-ticket_types"' in page and "空调安装" in page
    response = ops.post(f"/tickets/settings/queues/{queue.pk}/", {
        "name": queue.name, "code": "after-sales", "strategy": "round_robin", "auto_assign": "on",
        "members": [agent.pk], "regions": [east.pk], "ticket_types": [install.pk], "required_skills": [skill.pk]})
    assert response.status_code == 302
    with tenant_scope(a.organization):
        change = SettingsChange.objects.get(subject="tickets.queue", subject_id=queue.pk)
        customer = Customer.objects.create(organization=a.organization, display_name="王女士", region=shanghai)
        ticket = ticket_open(organization=a.organization, customer=customer, subject="空调安装", description="",
                             channel="phone", type=install)
        agent.skills.add(skill)
        second = ticket_open(organization=a.organization, customer=customer, subject="空调移机", description="",
                             channel="phone", type=install)
    assert (change.detail["regions"], change.detail["ticket_types"], change.detail["required_skills"]) == (
        [east.pk], [install.pk], [skill.pk])
    assert ticket.queue_id == queue.pk and ticket.assignee_id is None  # the member lacked the skill
    assert second.queue_id == queue.pk and second.assignee_id == agent.user_id
    listing = ops.get("/tickets/settings/queues/").content.decode()
    assert re.search(r'data-testid="queue-serves">.*华东.*空调安装', listing)
    page = ops.get(f"/tickets/settings/queues/{queue.pk}/").content.decode()  # read back: the choices are checked
    assert re.search(rf'<option value="{east.pk}" selected>', page)
    assert re.search(rf'name="ticket_types" value="{install.pk}"[^>]*checked', page)
    assert re.search(rf'name="required_skills" value="{skill.pk}"[^>]*checked', page)


def test_another_organizations_region_or_skill_is_refused_and_nothing_saved():
    a, b = tenant_pair(_seed_served)
    ops = _client(a.users[Role.OPS_ADMIN])
    with tenant_scope(a.organization):
        queue = Queue.objects.get()
    with tenant_scope(b.organization):
        foreign_region, foreign_skill = Region.objects.get(code="EAST"), Skill.objects.get()
    response = ops.post(f"/tickets/settings/queues/{queue.pk}/", {
        "name": "改名", "code": "after-sales", "strategy": "round_robin", "regions": [foreign_region.pk],
        "required_skills": [foreign_skill.pk]})
    assert response.status_code == 400
    with tenant_scope(a.organization):
        queue.refresh_from_db()
        assert queue.name != "改名" and not queue.regions.exists() and not queue.required_skills.exists()
        assert not SettingsChange.objects.exists()
    with tenant_scope(a.organization), pytest.raises(ValidationError):
        queue_save(organization=a.organization, by=a.users[Role.OPS_ADMIN], queue=queue, name="改名",
                   code="after-sales", strategy="round_robin", auto_assign=True, members=[],
                   required_skills=[foreign_skill])
    with tenant_scope(a.organization):
        queue.refresh_from_db()
        assert queue.name != "改名" and not SettingsChange.objects.exists()


def _deactivate(user):
    user.is_active = False
    with tenant_scope(user.organization):
        user.save(update_fields=["is_active"])


def _member_boxes(html):
    """The members list of the queue form: {agent profile pk: (ticked, label)}."""
    block = html.split('data-testid="queue-members"', 1)[1].split("</div></div>", 1)[0]
    boxes = {}
    for tag, label in re.findall(r'(<input type="checkbox"[^>]*>) <label[^>]*>([^<]*)</label>', block):
        boxes[int(re.search(r'value="(\d+)"', tag).group(1))] = ("checked" in tag, label)
    return boxes


def test_a_deactivated_agent_is_not_offered_to_a_queue_and_cannot_be_added():
    a, _b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    gone = a.users[Role.SUPERVISOR]
    _deactivate(gone)
    with tenant_scope(a.organization):
        queue = Queue.objects.get()
        agent, other = (AgentProfile.objects.get(user=a.users[role]) for role in (Role.AGENT, Role.SUPERVISOR))
    for url in ("/tickets/settings/queues/", f"/tickets/settings/queues/{queue.pk}/"):
        assert other.pk not in _member_boxes(ops.get(url).content.decode())
    response = ops.post(f"/tickets/settings/queues/{queue.pk}/", {
        "name": queue.name, "code": "after-sales", "strategy": "round_robin", "members": [agent.pk, other.pk]})
    assert response.status_code == 400
    with tenant_scope(a.organization):
        assert set(QueueMembership.objects.filter(queue=queue).values_list("agent_id", flat=True)) == {agent.pk}
        assert not SettingsChange.objects.exists()


def test_a_member_who_was_deactivated_stays_listed_and_saving_the_form_keeps_them():
    a, _b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    member = a.users[Role.AGENT]
    _deactivate(member)
    with tenant_scope(a.organization):
        queue = Queue.objects.get()
        agent = AgentProfile.objects.get(user=member)
    boxes = _member_boxes(ops.get(f"/tickets/settings/queues/{queue.pk}/").content.decode())
    with translation.override("zh-hans"):
        assert boxes[agent.pk] == (True, escape(str(MSG_MEMBER_DEACTIVATED % {"name": member})))
    response = ops.post(f"/tickets/settings/queues/{queue.pk}/", {
        "name": "售后（新）", "code": "after-sales", "strategy": "round_robin", "members": [agent.pk]})
    assert response.status_code == 302
    with tenant_scope(a.organization):
        assert list(QueueMembership.objects.filter(queue=queue).values_list("agent_id", flat=True)) == [agent.pk]
        assert SettingsChange.objects.get(subject="tickets.queue").detail["members_removed"] == []


def test_the_service_itself_refuses_to_add_a_deactivated_agent_and_keeps_one_already_there():
    """Only the form refused a deactivated agent: a script calling queue_save added them."""
    a, _b = tenant_pair(_seed)
    ops = a.users[Role.OPS_ADMIN]
    gone, member = a.users[Role.SUPERVISOR], a.users[Role.AGENT]
    _deactivate(gone)
    _deactivate(member)
    with tenant_scope(a.organization):
        queue = Queue.objects.get()
        agent, other = (AgentProfile.objects.get(user=user) for user in (member, gone))
        with pytest.raises(ValidationError) as refused, translation.override("zh-hans"):
            queue_save(organization=a.organization, by=ops, queue=queue, name="改名", code="after-sales",
                       strategy="round_robin", auto_assign=True, members=[agent, other])
        with translation.override("zh-hans"):
            assert refused.value.message_dict["members"] == [str(MSG_QUEUE_MEMBER_INACTIVE % {"name": gone})]
        queue.refresh_from_db()
        assert queue.name != "改名" and not SettingsChange.objects.exists()
        assert list(QueueMembership.objects.filter(queue=queue).values_list("agent_id", flat=True)) == [agent.pk]
        queue_save(organization=a.organization, by=ops, queue=queue, name="改名", code="after-sales",
                   strategy="round_robin", auto_assign=True, members=[agent])  # already a member: kept
        assert list(QueueMembership.objects.filter(queue=queue).values_list("agent_id", flat=True)) == [agent.pk]
