"""A creation, as an action in a history, reads 已创建/新建 in Chinese: the ticket timeline, a role's history, the
settings pages' change lists and an import's changes read "创建时间" (the Chinese of "Created", the column title of
creation times), while those column titles keep reading 创建时间."""

import re

import pytest
from django.test import Client
from django.utils import translation

from scrm.models import CustomerImportChange, Skill
from scrm.platform.tenancy import tenant_scope
from scrm.services import role_save
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_tickets_events_say_created_not_creation_time(scoped, ops_admin):
    queue = QueueFactory(organization=scoped, name="售后一线", code="l1", auto_assign=False)
    agent = make_agent(scoped, queues=[queue], username="xiaoli")
    ticket = TicketFactory(organization=scoped, queue=queue, customer=CustomerFactory(organization=scoped),
                           assignee=agent)
    event = TicketEvent.objects.create(organization=scoped, ticket=ticket, kind=TicketEvent.Kind.CREATED,
                                       actor=agent)

    # The ticket's event list in the admin (its inline) names the event.
    body = _client(ops_admin).get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    inline = _text(body.split('id="events-group"')[1])
    assert "已创建" in inline and "Created" not in inline and "创建时间 20" not in inline
    with translation.override("zh-hans"):
        assert str(event).startswith("已创建 ")
    # The ticket page keeps its creation-time title, the queue its column.
    page = _client(agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert '<dt class="col-sm-2">创建时间</dt>' in page
    assert "创建时间" in _client(agent).get("/tickets/queues/").content.decode()


def test_a_roles_history_says_created(scoped, ops_admin):
    role = role_save(organization=scoped, by=ops_admin, name="质检", permissions=["tickets.view_ticket"],
                     modules=["tickets"], data_scope="organization")

    body = _client(ops_admin).get(f"/settings/roles/{role.pk}/").content.decode()

    assert f"{ops_admin} · 新建" in _text(body) and f"{ops_admin} · 创建时间" not in _text(body)


def test_a_settings_pages_change_list_says_created(ops_admin):
    ops = _client(ops_admin)
    assert ops.post("/settings/skills/", {"name": "退款"}).status_code == 302
    with tenant_scope(ops_admin.organization):
        skill = Skill.objects.get(name="退款")

    text = _text(ops.get(f"/settings/skills/{skill.pk}/").content.decode())

    assert f"{ops_admin} · 新建" in text and "· 创建时间" not in text


def test_an_import_change_says_created():
    with translation.override("zh-hans"):
        assert str(CustomerImportChange.Action.CREATED.label) == "新建"
        assert str(CustomerImportChange._meta.get_field("action").flatchoices[0][1]) == "新建"
