"""`/api/v1/tickets/`: the workspace's list and filters, create, edit and the actions, all through the services,
scoped to the caller's organization, role and regions; a broken rule answers 400 with the service's message."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from notifications.models import Notification
from scrm.models import AgentProfile, DataScope, Role, Tag, TagGroup
from scrm.platform.tenancy import tenant_scope
from scrm.services.roles import role_assign, role_save
from tests.scrm.factories import RegionFactory, TeamFactory, UserFactory
from tests.tenancy import api_token, assert_isolated, tenant_pair
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, TicketTypeFactory, make_agent
from tickets.errors import (
    MSG_ASSIGN_TO_ME_NOT_IN_QUEUE,
    MSG_ASSIGNED_NOT_ONLINE,
    MSG_ASSIGNED_OVER_CAPACITY,
    MSG_ILLEGAL_STATUS,
    MSG_REPLY_CLOSED,
    MSG_TRANSFER_REASON,
)
from tickets.models import Attachment, Comment, Ticket, TicketEvent, TicketTag
from tickets.services import ticket_assign

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"


def _tag(organization, name):
    group, _created = TagGroup.objects.get_or_create(organization=organization, name="工单标签")
    return Tag.objects.create(organization=organization, group=group, name=name)


def _client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def desk(scoped):
    """The agent's queue: agents see the tickets of the queues they work in."""
    return QueueFactory(organization=scoped, name="API 队列", auto_assign=False)


@pytest.fixture
def agent_user(scoped, desk):
    return make_agent(scoped, username="xiaoli", queues=[desk])


@pytest.fixture
def api(agent_user):
    return _client(agent_user)


def test_the_list_filters_like_the_workspace_in_a_bounded_number_of_queries(api, scoped, agent_user, desk,
                                                                            django_assert_max_num_queries):
    queue = desk
    TicketFactory(organization=scoped, subject="别的队列的工单", queue=QueueFactory(organization=scoped))
    vip = CustomerFactory(organization=scoped, level="vip", display_name="王大客户")
    for n in range(15):
        TicketFactory(organization=scoped, subject=f"普通{n}", priority=3, queue=queue)
    urgent = TicketFactory(organization=scoped, subject="退款没到账", priority=1, customer=vip, assignee=agent_user,
                           status="open")
    TicketTag.objects.create(organization=scoped, ticket=urgent, tag=_tag(scoped, "退款"))

    with django_assert_max_num_queries(10):
        response = api.get(URL)
    assert response.status_code == 200
    assert response.data["count"] == 16

    def numbers(query):
        return [row["number"] for row in api.get(URL + query).data["results"]]

    assert numbers("?priority=1") == [urgent.number]
    assert numbers("?customer_level=vip") == [urgent.number]
    assert numbers("?assignee=me") == [urgent.number]
    assert numbers("?status=open") == [urgent.number]
    assert numbers("?q=退款") == [urgent.number]
    assert numbers("?q=王大") == [urgent.number]
    assert numbers(f"?q={urgent.number}") == [urgent.number]
    assert len(numbers(f"?queue={queue.pk}&assignee=none")) == 15
    row = api.get(URL + "?priority=1").data["results"][0]
    assert row["tags"] == ["退款"] and row["customer"]["display_name"] == "王大客户"
    assert row["assignee"]["username"] == "xiaoli"


def test_create_goes_through_ticket_open_and_routing(api, scoped, customer, desk):
    queue = desk
    ticket_type = TicketTypeFactory(organization=scoped, default_queue=queue, default_priority=2)

    response = api.post(URL, {"customer": customer.pk, "subject": "安装预约", "type": ticket_type.pk,
                              "channel": "phone"}, format="json")

    assert response.status_code == 201, response.data
    ticket = Ticket.objects.get(pk=response.data["id"])
    assert (ticket.queue, ticket.priority, ticket.channel) == (queue, 2, "phone")
    assert response.data["number"] == ticket.number
    assert TicketEvent.objects.get(ticket=ticket, kind="created").actor.username == "xiaoli"


def test_create_refuses_a_customer_outside_the_callers_regions(scoped):
    east, west = RegionFactory(organization=scoped, code="E"), RegionFactory(organization=scoped, code="W")
    agent = make_agent(scoped, regions=[east])
    far = CustomerFactory(organization=scoped, region=west)

    response = _client(agent).post(URL, {"customer": far.pk, "subject": "x"}, format="json")

    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_partial_update_edits_subject_priority_type_and_tags_with_events(api, scoped, desk):
    ticket = TicketFactory(organization=scoped, subject="旧标题", priority=3, queue=desk)
    ticket_type = TicketTypeFactory(organization=scoped, name="投诉")
    tag = _tag(scoped, "加急")

    response = api.patch(f"{URL}{ticket.pk}/", {"subject": "新标题", "priority": 1, "type": ticket_type.pk,
                                                "tags": [tag.pk]}, format="json")

    assert response.status_code == 200, response.data
    assert (response.data["subject"], response.data["priority"], response.data["tags"]) == ("新标题", 1, ["加急"])
    assert response.data["type"]["name"] == "投诉"
    updated = TicketEvent.objects.get(ticket=ticket, kind="updated")
    assert updated.after["subject"] == "新标题" and updated.after["tags"] == ["加急"]
    assert TicketEvent.objects.get(ticket=ticket, kind="priority").after == {"priority": 1}
    assert api.put(f"{URL}{ticket.pk}/", {"subject": "x"}, format="json").status_code == 405


def test_actions_assign_transfer_reply_resolve_and_the_timeline(scoped, agent_user, make_user):
    supervisor = make_user(scoped, Role.SUPERVISOR, username="boss")
    team = TeamFactory(organization=scoped, leader=supervisor)  # a supervisor sees their team's queues
    api = _client(supervisor)
    ticket = TicketFactory(organization=scoped, queue=QueueFactory(organization=scoped, team=team))
    target = QueueFactory(organization=scoped, team=team, auto_assign=False)
    base = f"{URL}{ticket.pk}/"

    response = api.post(base + "assign/", {"assignee": agent_user.pk}, format="json")
    assert response.status_code == 200 and response.data["assignee"]["id"] == agent_user.pk
    assert Notification.objects.filter(recipient=agent_user, kind="assigned").exists()

    response = api.post(base + "transfer/", {"queue": target.pk, "reason": "需要技术支持"}, format="json")
    assert response.status_code == 200 and response.data["queue"]["id"] == target.pk

    png = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, content_type="image/png")
    response = api.post(base + "reply/", {"body": "内部备注 @xiaoli", "public": "false", "attachments": [png]},
                        format="multipart")
    assert response.status_code == 201, response.data
    assert response.data["is_public"] is False
    assert response.data["attachments"][0]["original_name"] == "photo.png"
    assert Notification.objects.filter(recipient=agent_user, kind="mentioned").exists()

    response = api.post(base + "status/", {"status": "pending"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "pending"
    response = api.post(base + "resolve/")
    assert response.status_code == 200 and response.data["status"] == "resolved"

    events = api.get(base + "events/").data["results"]
    kinds = [event["kind"] for event in events]
    assert kinds[:2] == ["assigned", "status"]
    assert {"transferred", "comment"} <= set(kinds) and kinds[-2:] == ["status", "comment"]  # resolved + link


def test_a_broken_rule_is_a_400_with_the_services_message_and_nothing_changes(api, scoped, desk):
    ticket = TicketFactory(organization=scoped, status="closed", queue=desk)
    other = TicketFactory(organization=scoped, queue=desk)
    base = f"{URL}{ticket.pk}/"

    response = api.post(base + "reply/", {"body": "还在吗"}, format="json")
    assert response.status_code == 400
    assert response.data["detail"] == str(MSG_REPLY_CLOSED % {"number": ticket.number})

    response = api.post(base + "status/", {"status": "open"}, format="json")
    assert response.status_code == 400
    assert response.data["detail"] == str(MSG_ILLEGAL_STATUS % {"before": Ticket.Status.CLOSED.label,
                                                                "after": Ticket.Status.OPEN.label})

    target = QueueFactory(organization=scoped)
    response = api.post(f"{URL}{other.pk}/transfer/", {"queue": target.pk, "reason": " "}, format="json")
    assert response.status_code == 400 and response.data["detail"] == str(MSG_TRANSFER_REASON)

    bad_file = SimpleUploadedFile("setup.jpg", b"MZ" + b"\x00" * 50)
    response = api.post(f"{URL}{other.pk}/reply/", {"body": "附件", "attachments": [bad_file]}, format="multipart")
    assert response.status_code == 400 and "setup.jpg" in response.data["detail"]

    assert not Comment.objects.exists() and not Attachment.objects.exists()
    assert not TicketEvent.objects.exists()


def test_roles_decide_what_the_api_lets_you_do(scoped, make_user, agent_user, desk):
    ticket = TicketFactory(organization=scoped, queue=desk)
    viewer, finance = make_user(scoped, Role.VIEWER), make_user(scoped, Role.FINANCE)
    colleague = make_agent(scoped)

    assert _client(viewer).get(URL).status_code == 200
    assert _client(viewer).post(f"{URL}{ticket.pk}/resolve/").status_code == 403
    assert _client(viewer).patch(f"{URL}{ticket.pk}/", {"subject": "x"}, format="json").status_code == 403
    assert _client(finance).get(URL).status_code == 403
    assert APIClient().get(URL).status_code == 401
    # An agent takes a ticket themselves but does not hand tickets to colleagues.
    api = _client(agent_user)
    assert api.post(f"{URL}{ticket.pk}/assign/", {"assignee": colleague.pk}, format="json").status_code == 403
    assert api.post(f"{URL}{ticket.pk}/assign/", {"assignee": agent_user.pk}, format="json").status_code == 200
    # ... and hands it back to the pool, as on the ticket page (one rule: tickets.permissions.may_assign).
    response = api.post(f"{URL}{ticket.pk}/assign/", {"assignee": None}, format="json")
    assert response.status_code == 200 and response.data["assignee"] is None
    # A ticket a colleague holds stays theirs.
    ticket_assign(ticket=ticket, assignee=colleague, actor=colleague)
    assert api.post(f"{URL}{ticket.pk}/assign/", {"assignee": None}, format="json").status_code == 403


def _custom_role_user(organization, make_user, username, permissions):
    ops = make_user(organization, Role.OPS_ADMIN, username=f"ops-{username}")
    user = UserFactory(organization=organization, username=username)
    role = role_save(organization=organization, by=ops, name=f"角色-{username}", permissions=permissions,
                     modules=["tickets"], data_scope=DataScope.ORGANIZATION)
    role_assign(role=role, user=user, by=ops)
    return user


def test_a_custom_role_the_ticket_page_refuses_a_reply_to_is_refused_by_the_api(scoped, make_user, desk):
    # Logs tickets and may add comments, but does not work tickets: the page's reply (may_reply) refuses it.
    clerk = _custom_role_user(scoped, make_user, "clerk",
                              ["tickets.view_ticket", "tickets.add_ticket", "tickets.add_comment"])
    ticket = TicketFactory(organization=scoped, queue=desk)
    page = _client(clerk)
    page.force_login(clerk)
    assert page.post(f"/tickets/{ticket.pk}/reply/", {"body": "页面", "public": "on"}).status_code == 403

    response = _client(clerk).post(f"{URL}{ticket.pk}/reply/", {"body": "接口"}, format="json")

    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_a_custom_role_that_works_tickets_without_logging_them_acts_through_the_api(scoped, make_user, desk):
    # Works tickets (change) without opening them by hand (add): the page lets it change a status, so does the API.
    worker = _custom_role_user(scoped, make_user, "worker",
                               ["tickets.view_ticket", "tickets.change_ticket", "tickets.add_comment"])
    ticket = TicketFactory(organization=scoped, queue=desk)
    api = _client(worker)

    response = api.post(f"{URL}{ticket.pk}/status/", {"status": "open"}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["status"] == "open"
    response = api.post(f"{URL}{ticket.pk}/reply/", {"body": "您好", "public": False}, format="json")
    assert response.status_code == 201, response.data
    # ... but still opens none by hand (新建工单's rule).
    assert api.post(URL, {"subject": "x"}, format="json").status_code == 403


def test_a_ticket_that_lands_outside_the_callers_queues_is_answered_not_a_server_error(scoped, make_user, agent_user,
                                                                                       desk, customer):
    # The agent transfers a ticket to a queue they do not work (the page says "transferred away"); a supervisor
    # with no team logs one the rules route to a queue they do not see. Both are written: each answer must say so,
    # once, not a 500 that a retry turns into a second ticket.
    elsewhere = QueueFactory(organization=scoped, name="技术支持", auto_assign=False)
    ticket = TicketFactory(organization=scoped, queue=desk)

    moved = _client(agent_user).post(f"{URL}{ticket.pk}/transfer/", {"queue": elsewhere.pk, "reason": "需要技术"},
                                     format="json")

    assert moved.status_code == 200, moved.content
    assert moved.data["queue"]["id"] == elsewhere.pk
    assert _client(agent_user).get(f"{URL}{ticket.pk}/").status_code == 404  # and it is gone from their view
    supervisor = make_user(scoped, Role.SUPERVISOR, username="no-team")
    created = _client(supervisor).post(URL, {"customer": customer.pk, "subject": "无人可见的队列"}, format="json")
    assert created.status_code == 201, created.content
    assert Ticket.objects.filter(subject="无人可见的队列").count() == 1


def test_create_refuses_a_description_longer_than_the_log_page_takes(api, scoped, customer):
    response = api.post(URL, {"customer": customer.pk, "subject": "长描述",
                              "description": "字" * (Comment.BODY_MAX_LENGTH + 1)}, format="json")

    assert response.status_code == 400 and list(response.data) == ["description"]
    assert not Ticket.objects.exists()


def test_tickets_outside_the_agents_regions_or_queues_are_not_found(scoped, desk):
    east, west = RegionFactory(organization=scoped, code="E"), RegionFactory(organization=scoped, code="W")
    agent = make_agent(scoped, regions=[east], queues=[desk])
    mine = TicketFactory(organization=scoped, region=east, queue=desk)
    far = TicketFactory(organization=scoped, region=west, queue=desk)
    TicketFactory(organization=scoped, region=east, queue=QueueFactory(organization=scoped))  # not their queue
    api = _client(agent)

    assert [row["id"] for row in api.get(URL).data["results"]] == [mine.pk]
    assert api.get(f"{URL}{far.pk}/").status_code == 404
    assert api.post(f"{URL}{far.pk}/resolve/").status_code == 404
    assert api.get(f"{URL}{far.pk}/events/").status_code == 404


def test_tenants_are_isolated(db):
    def seed(tenant):
        customer = CustomerFactory(organization=tenant.organization, display_name=f"{tenant.marker} 客户")
        team = TeamFactory(organization=tenant.organization, leader=tenant.users[Role.SUPERVISOR])
        tenant.objects["queue"] = QueueFactory(organization=tenant.organization, team=team)
        tenant.objects["ticket"] = TicketFactory(organization=tenant.organization, customer=customer,
                                                 subject=f"{tenant.marker} 工单", queue=tenant.objects["queue"])

    a, b = tenant_pair(seed)
    client = APIClient()
    assert_isolated(client, a, b, URL, role=Role.SUPERVISOR)
    assert_isolated(client, a, b, f"{URL}?q=工单", role=Role.VIEWER)
    api = _client(a.users[Role.SUPERVISOR])
    assert api.get(f"{URL}{b.objects['ticket'].pk}/").status_code == 404
    assert api.post(f"{URL}{b.objects['ticket'].pk}/resolve/").status_code == 404
    # A queue of B is no queue for A.
    response = api.post(f"{URL}{a.objects['ticket'].pk}/transfer/", {"queue": b.objects["queue"].pk,
                                                                     "reason": "x"}, format="json")
    assert response.status_code == 400
    response = api.post(f"{URL}{a.objects['ticket'].pk}/assign/", {"assignee": b.users[Role.AGENT].pk},
                        format="json")
    assert response.status_code == 400
    with tenant_scope(b.organization):
        assert Ticket.objects.get().queue == b.objects["queue"]


def test_the_schema_describes_the_tickets_api(ops_admin):
    client = APIClient()
    client.force_login(ops_admin)
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/tickets/{id}/transfer/" in schema["paths"]
    assert "/api/v1/tickets/{id}/events/" in schema["paths"]
    # The assignment's answer documents its workload warnings.
    answer = schema["paths"]["/api/v1/tickets/{id}/assign/"]["post"]["responses"]["200"]["content"]
    name = answer["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    warnings = schema["components"]["schemas"][name]["properties"]["warnings"]
    assert warnings["type"] == "array" and warnings["items"]["type"] == "string" and warnings["description"]


def test_assigning_through_the_api_answers_the_workload_warnings_the_page_shows(scoped, agent_user, make_user):
    """The ticket page warned a supervisor who gave a ticket to an agent away or over their limit; the same
    assignment through the API answered the ticket alone. The answer's `warnings` now carry the page's texts."""
    supervisor = make_user(scoped, Role.SUPERVISOR, username="boss")
    team = TeamFactory(organization=scoped, leader=supervisor)
    queue = QueueFactory(organization=scoped, team=team, auto_assign=False)
    first, second = (TicketFactory(organization=scoped, queue=queue) for _n in range(2))
    AgentProfile.objects.filter(user=agent_user).update(max_open_tickets=1)
    api = _client(supervisor)

    response = api.post(f"{URL}{first.pk}/assign/", {"assignee": agent_user.pk}, format="json")
    assert response.status_code == 200 and response.data["warnings"] == []  # online, 1 of 1

    AgentProfile.objects.filter(user=agent_user).update(status=AgentProfile.Status.AWAY)
    response = api.post(f"{URL}{second.pk}/assign/", {"assignee": agent_user.pk}, format="json",
                        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and response.data["assignee"]["id"] == agent_user.pk
    with translation.override("zh-hans"):
        expected = [str(MSG_ASSIGNED_NOT_ONLINE % {"user": agent_user, "status": AgentProfile.Status.AWAY.label}),
                    str(MSG_ASSIGNED_OVER_CAPACITY % {"user": agent_user, "held": 2, "cap": 1})]
    assert response.data["warnings"] == expected
    assert Ticket.objects.filter(assignee=agent_user).count() == 2  # the supervisor's call stands

    response = api.post(f"{URL}{second.pk}/assign/", {"assignee": None}, format="json")
    assert response.status_code == 200 and response.data["assignee"] is None and response.data["warnings"] == []


# --- A ticket type's custom fields: the 新建工单 page's rule ----------------------------------------------------------

FIELDS = {"sections": [{"key": "s", "fields": [
    {"key": "address", "type": "text", "label": "安装地址", "required": True},
    {"key": "floor", "type": "number", "label": "楼层", "min": 1, "max": 100},
    {"key": "contact", "type": "mobile", "label": "现场联系人手机"},
]}]}


@pytest.fixture
def install_type(scoped, desk):
    from forms_builder.models import Form
    from tests.forms_builder.factories import published_form
    from tickets.services.forms import ticket_type_set_form

    ticket_type = TicketTypeFactory(organization=scoped, name="安装", default_queue=desk)
    form = published_form(scoped, slug="install-fields", purpose=Form.Purpose.TICKET_FIELDS, schema=FIELDS,
                          name="安装单")
    ticket_type_set_form(ticket_type=ticket_type, form=form)
    return ticket_type


def test_create_refuses_the_custom_fields_the_log_page_refuses_and_writes_nothing(api, scoped, customer,
                                                                                   install_type):
    from forms_builder.models import FormSubmission

    missing = api.post(URL, {"customer": customer.pk, "subject": "装热水器", "type": install_type.pk},
                       format="json")
    out_of_range = api.post(URL, {"customer": customer.pk, "subject": "装热水器", "type": install_type.pk,
                                  "fields": {"floor": 500}}, format="json")

    assert missing.status_code == 400, missing.data
    assert list(missing.data["fields"]) == ["address"]
    assert out_of_range.status_code == 400
    assert sorted(out_of_range.data["fields"]) == ["address", "floor"]
    assert not Ticket.objects.exists()
    assert not FormSubmission.objects.exists()


def test_create_stores_the_custom_fields_and_reading_masks_mobiles_as_the_ticket_page(api, scoped, customer, desk,
                                                                                      install_type, make_user):
    from tickets.models import TicketFieldAnswers

    response = api.post(URL, {"customer": customer.pk, "subject": "装热水器", "type": install_type.pk,
                              "fields": {"address": "人民路1号", "floor": 12, "contact": "13812345678"}},
                        format="json")

    assert response.status_code == 201, response.data
    ticket = Ticket.objects.get()
    assert TicketFieldAnswers.objects.get(ticket=ticket, is_current=True).submission.data == {
        "address": "人民路1号", "floor": "12", "contact": "+8613812345678"}
    # The agent's role sees customers' mobiles masked (the ticket page's panel too): so does the API.
    assert response.data["fields"] == {"address": "人民路1号", "floor": "12", "contact": "138****5678"}
    assert api.get(f"{URL}{ticket.pk}/").data["fields"]["contact"] == "138****5678"
    assert api.get(URL).data["results"][0]["fields"]["contact"] == "138****5678"
    supervisor = make_user(scoped, Role.SUPERVISOR, username="zhuguan")
    desk.team = TeamFactory(organization=scoped, leader=supervisor)
    desk.save(update_fields=["team"])
    assert _client(supervisor).get(f"{URL}{ticket.pk}/").data["fields"]["contact"] == "+8613812345678"


def test_a_transfer_reason_longer_than_the_page_takes_is_refused_in_its_words(api, scoped, agent_user, desk):
    from django.contrib.messages import get_messages
    from django.test import Client

    from tickets.services.lifecycle import TRANSFER_REASON_MAX_LENGTH

    elsewhere = QueueFactory(organization=scoped, name="技术支持", auto_assign=False)
    ticket = TicketFactory(organization=scoped, queue=desk)
    reason = "因" * (TRANSFER_REASON_MAX_LENGTH + 1)
    page = Client()
    page.force_login(agent_user)

    shown = page.post(f"/tickets/{ticket.pk}/transfer/", {"queue": elsewhere.pk, "reason": reason})
    answered = api.post(f"{URL}{ticket.pk}/transfer/", {"queue": elsewhere.pk, "reason": reason}, format="json")

    assert answered.status_code == 400
    assert answered.data["reason"] == [str(m) for m in get_messages(shown.wsgi_request)]
    ticket.refresh_from_db()
    assert ticket.queue == desk
    assert not TicketEvent.objects.filter(ticket=ticket, kind="transferred").exists()


def test_assigning_to_a_colleague_the_page_does_not_offer_is_refused(scoped, make_user, desk):
    from tickets.errors import MSG_ASSIGNEE_NOT_AGENT

    supervisor = make_user(scoped, Role.SUPERVISOR, username="assign-sup")
    desk.team = TeamFactory(organization=scoped, leader=supervisor)
    desk.save(update_fields=["team"])
    finance = make_user(scoped, Role.FINANCE, username="caiwu")  # no agent profile: not in the page's 指派 list
    agent = make_agent(scoped, queues=[desk], username="kefu")
    ticket = TicketFactory(organization=scoped, queue=desk)
    api = _client(supervisor)

    refused = api.post(f"{URL}{ticket.pk}/assign/", {"assignee": finance.pk}, format="json")

    assert refused.status_code == 400
    assert refused.data == {"assignee": [str(MSG_ASSIGNEE_NOT_AGENT)]}
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
    assert api.post(f"{URL}{ticket.pk}/assign/", {"assignee": agent.pk}, format="json").status_code == 200
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_create_logs_like_the_new_ticket_page_a_ticket_routed_to_no_queue_stays_with_whoever_logged_it(
        api, scoped, agent_user, customer):
    """POST /api/v1/tickets/ and 新建工单 share one service (ticket_log): a ticket no rule, type or queue routes is
    kept by the agent who logged it on both, with the same events; through the API it stayed in no one's hands."""
    page = Client()
    page.force_login(agent_user)
    response = page.post("/tickets/new/", {"channel": "phone", "customer": customer.pk, "subject": "页面登记"})
    assert response.status_code == 302
    by_page = Ticket.objects.get(subject="页面登记")

    response = api.post(URL, {"customer": customer.pk, "subject": "接口登记", "channel": "phone"}, format="json")
    assert response.status_code == 201, response.data
    by_api = Ticket.objects.get(pk=response.data["id"])

    def outcome(ticket):
        events = list(TicketEvent.objects.filter(ticket=ticket).order_by("pk").values_list("kind", "actor_id"))
        return ticket.queue_id, ticket.assignee_id, ticket.status, events

    assert outcome(by_api) == outcome(by_page)
    assert (by_api.queue_id, by_api.assignee) == (None, agent_user)
    assert response.data["assignee"]["username"] == "xiaoli"


def test_the_api_docs_name_the_new_ticket_page_in_the_readers_language(ops_admin):
    """The English schema said 'by field key as the 新建工单 page names them': a Chinese page name in English."""
    client = Client()
    client.force_login(ops_admin)
    texts = {}
    for language in ("en", "zh-hans"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        schema = client.get("/api/schema/?format=json").json()
        texts[language] = schema["components"]["schemas"]["TicketCreate"]["properties"]["fields"]["description"]
    assert "the New ticket page names them" in texts["en"] and "新建" not in texts["en"]
    assert "按新建工单页面的字段键填写" in texts["zh-hans"]


def test_create_with_assign_to_me_gives_the_ticket_to_the_caller_or_refuses_outside_their_queues(
        api, scoped, agent_user, desk, customer):
    desk.auto_assign = True
    desk.save(update_fields=["auto_assign"])
    make_agent(scoped, username="xiaozhang", queues=[desk])
    AgentProfile.objects.filter(user=agent_user).update(status=AgentProfile.Status.AWAY)

    # The API lets routing choose the queue: here the ticket type's.
    hotline = TicketTypeFactory(organization=scoped, name="回访", default_queue=desk)
    response = api.post(URL, {"customer": customer.pk, "subject": "电话回访", "type": hotline.pk,
                              "assign_to_me": True}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["assignee"]["username"] == "xiaoli"
    event = TicketEvent.objects.get(ticket_id=response.data["id"], kind="assigned")
    assert event.actor == agent_user

    invoices = TicketTypeFactory(organization=scoped, name="发票",
                                 default_queue=QueueFactory(organization=scoped, name="财务专席"))
    response = api.post(URL, {"customer": customer.pk, "subject": "开发票", "type": invoices.pk,
                              "assign_to_me": True}, format="json")
    assert response.status_code == 400
    with translation.override("zh-hans"):
        assert response.data["detail"] == str(MSG_ASSIGN_TO_ME_NOT_IN_QUEUE) % {"queue": "财务专席"}
    assert Ticket.objects.count() == 1
