"""Ops keep ticket types in the product: created and changed through `ticket_type_save` (audited), a taken name or
code refused with a clear message and nothing saved; agents may not."""

import re

import pytest
from django.test import Client
from django.utils.html import escape

from scrm.models import Role, SettingsChange, Skill
from scrm.platform.tenancy import tenant_scope
from tests.tenancy import assert_isolated, tenant_pair
from tickets.models import Queue, TicketType
from tickets.services.config import MSG_TYPE_TAKEN

pytestmark = pytest.mark.django_db


def _seed(tenant):
    TicketType.objects.create(organization=tenant.organization, name=f"{tenant.marker} 报修", code="repair")
    Queue.objects.create(organization=tenant.organization, name=f"{tenant.marker} 售后", code="after-sales")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_ops_create_and_change_a_ticket_type_and_each_save_is_audited():
    a, _b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    with tenant_scope(a.organization):
        queue = Queue.objects.get()
    data = {"name": "投诉", "code": "complaint", "default_queue": queue.pk, "default_priority": "2",
            "sort_order": "1", "is_active": "on"}
    assert ops.post("/tickets/settings/types/", data).status_code == 302
    with tenant_scope(a.organization):
        item = TicketType.objects.get(code="complaint")
    assert (item.default_queue_id, item.default_priority) == (queue.pk, 2)
    assert ops.post(f"/tickets/settings/types/{item.pk}/", {**data, "default_priority": "1"}).status_code == 302
    with tenant_scope(a.organization):
        item.refresh_from_db()
        actions = list(SettingsChange.objects.filter(subject="tickets.tickettype", subject_id=item.pk)
                       .order_by("at", "pk").values_list("action", flat=True))
    assert item.default_priority == 1 and actions == ["created", "changed"]


def test_a_taken_code_is_refused_and_nothing_saved():
    a, _b = tenant_pair(_seed)
    ops = _client(a.users[Role.OPS_ADMIN])
    response = ops.post("/tickets/settings/types/", {"name": "维修", "code": "repair", "default_priority": "3",
                                                     "sort_order": "0"})
    assert response.status_code == 400
    assert escape(str(MSG_TYPE_TAKEN % {"name": "维修", "code": "repair"})) in response.content.decode()
    with tenant_scope(a.organization):
        assert TicketType.objects.count() == 1 and not SettingsChange.objects.exists()


def test_agents_may_not_keep_ticket_types_and_the_page_stays_in_its_organization():
    a, b = tenant_pair(_seed)
    agent = _client(a.users[Role.AGENT])
    assert agent.get("/tickets/settings/types/").status_code == 403
    assert agent.post("/tickets/settings/types/", {"name": "x", "code": "x", "default_priority": "3",
                                                   "sort_order": "0"}).status_code == 403
    assert_isolated(Client(), a, b, "/tickets/settings/types/")


def test_ops_set_a_types_required_skills_read_back_on_the_page_and_audited():
    a, b = tenant_pair(_seed)
    with tenant_scope(a.organization):
        item, skill = TicketType.objects.get(), Skill.objects.create(organization=a.organization, name="英语")
    with tenant_scope(b.organization):
        foreign = Skill.objects.create(organization=b.organization, name="粤语")
    ops = _client(a.users[Role.OPS_ADMIN])
    data = {"name": item.name, "code": "repair", "default_priority": "3", "sort_order": "0", "is_active": "on"}
    assert ops.post(f"/tickets/settings/types/{item.pk}/", {**data, "required_skills": [foreign.pk]}
                    ).status_code == 400
    assert ops.post(f"/tickets/settings/types/{item.pk}/", {**data, "required_skills": [skill.pk]}).status_code == 302
    with tenant_scope(a.organization):
        change = SettingsChange.objects.get(subject="tickets.tickettype", subject_id=item.pk)
        assert list(item.required_skills.all()) == [skill]
    assert change.detail["required_skills"] == [skill.pk]
    page = ops.get(f"/tickets/settings/types/{item.pk}/").content.decode()
    assert re.search(rf'name="required_skills" value="{skill.pk}"[^>]*checked', page) and "粤语" not in page
    assert ops.post(f"/tickets/settings/types/{item.pk}/", data).status_code == 302  # none ticked: none required
    with tenant_scope(a.organization):
        assert not item.required_skills.exists()


@pytest.mark.parametrize(("language", "said", "not_said"), [
    ("en", "Agents fill these fields on the ticket page and under New ticket", "新建工单"),
    ("zh-hans", "客服在工单页和新建工单中填写这些字段", "Agents fill these fields"),
])
def test_the_type_fields_note_speaks_the_language_of_the_page(ops_admin, language, said, not_said):
    """In English the ticket type's page told ops "Agents fill these fields on the ticket page and in 新建工单"."""
    with tenant_scope(ops_admin.organization):
        kind = TicketType.objects.create(organization=ops_admin.organization, name="报修", code="repair")
    client = _client(ops_admin)
    client.cookies["django_language"] = language
    page = client.get(f"/tickets/settings/types/{kind.pk}/fields/").content.decode()  # the type page loads it
    assert said in page and not_said not in page
