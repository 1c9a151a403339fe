"""The agent workspace pages: queues, take next, bulk actions, the ticket page and its actions, the board, the rule
tester; who may do what, what bad input does, and how many queries a page costs."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from scrm.models import AgentProfile, Region, Role, Tag, TagGroup
from scrm.platform.tenancy import tenant_scope
from scrm.services import region_create
from tests.queries import assert_same_cost, queries_of
from tests.scrm.factories import RegionFactory, TeamFactory, UserFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.errors import (
    MSG_ASSIGNED,
    MSG_ASSIGNED_NOT_ONLINE,
    MSG_ASSIGNED_OVER_CAPACITY,
    MSG_AT_CAPACITY,
    MSG_ATTACHMENT_TYPE,
    MSG_BULK_DONE,
    MSG_BULK_REFUSED,
    MSG_ILLEGAL_STATUS,
    MSG_MERGE_CONFIRM,
    MSG_MERGE_SELF,
    MSG_MERGE_TARGET_UNKNOWN,
    MSG_NOTE_ADDED,
    MSG_NOTHING_TO_TAKE,
    MSG_TRANSFER_REASON,
    TicketError,
)
from tickets.models import AgentLoad, Comment, Queue, QueueMembership, RoutingRule, Ticket, TicketEvent, TicketTag
from tickets.services import ticket_add_message, ticket_assign, ticket_take_next
from tickets.tables import EMPTY_TEXT, EMPTY_TEXT_NO_QUEUE, EMPTY_TEXT_TAKE_NEXT
from tickets.views import MSG_REPLY_FILES_AGAIN, MSG_TRANSFERRED_AWAY

pytestmark = pytest.mark.django_db

Status, P1, P2, P3 = Ticket.Status, Ticket.Priority.P1, Ticket.Priority.P2, Ticket.Priority.P3


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def _zh(message):
    with translation.override("zh-hans"):
        return str(message)


@pytest.fixture(autouse=True)
def board_counts_fresh(monkeypatch):
    """The board's counts are cached for a few seconds; these tests look at them right after each change."""
    monkeypatch.setattr("tickets.selectors.BOARD_COUNTS_CACHE_SECONDS", 0)


@pytest.fixture
def desk(scoped):
    """A team with a queue, an agent in it, a second queue the agent is not in, and tickets in both."""
    team = TeamFactory(organization=scoped, name="售后组")
    queue = QueueFactory(organization=scoped, name="售后一线", code="l1", team=team, auto_assign=False)
    other = QueueFactory(organization=scoped, name="财务专席", code="fin", auto_assign=False)
    agent = make_agent(scoped, queues=[queue], username="xiaoli", team=team)
    supervisor = UserFactory(organization=scoped, username="boss", roles=[Role.SUPERVISOR])
    team.leader = supervisor
    team.save(update_fields=["leader"])
    customer = CustomerFactory(organization=scoped, display_name="王小明")
    now = timezone.now()
    pool = [TicketFactory(organization=scoped, queue=queue, customer=customer, subject=f"空调不制冷 {n}",
                          priority=P3, created_at=now - timedelta(minutes=60 - n)) for n in range(3)]
    foreign = TicketFactory(organization=scoped, queue=other, customer=customer, subject="发票问题")
    return {"org": scoped, "team": team, "queue": queue, "other": other, "agent": agent, "supervisor": supervisor,
            "customer": customer, "pool": pool, "foreign": foreign}


# --- queue pages --------------------------------------------------------------------------------------------------

def test_my_tickets_lists_only_the_agents_active_tickets(desk):
    mine = desk["pool"][0]
    ticket_assign(ticket=mine, assignee=desk["agent"], actor=desk["agent"])
    body = _client(desk["agent"]).get("/tickets/").content.decode()
    assert mine.number in body
    assert desk["pool"][1].number not in body
    assert 'data-testid="take-next"' in body


def test_team_queues_show_the_agents_queues_only_and_filter(desk):
    client = _client(desk["agent"])
    body = client.get("/tickets/queues/").content.decode()
    assert all(t.number in body for t in desk["pool"])
    assert desk["foreign"].number not in body

    body = client.get(f"/tickets/queues/?q={desk['pool'][1].number.lower()}").content.decode()
    assert desk["pool"][1].number in body and desk["pool"][0].number not in body

    ticket_assign(ticket=desk["pool"][2], assignee=desk["agent"], actor=desk["agent"])
    body = client.get("/tickets/queues/?pool=1").content.decode()
    assert desk["pool"][0].number in body and desk["pool"][2].number not in body

    body = client.get("/tickets/queues/?status=pending").content.decode()
    assert 'data-ticket="' not in body

    # The filters show what was asked for (several statuses, a priority, a channel).
    body = client.get("/tickets/queues/?status=new&status=open&priority=1&channel=phone").content.decode()
    for option in ('value="new" selected', 'value="open" selected', 'value="1" selected', 'value="phone" selected'):
        assert f"<option {option}>" in body
    assert '<option value="pending">' in body and '<option value="2">' in body


def test_a_bad_filter_value_is_reported_not_a_crash(desk):
    response = _client(desk["agent"]).get("/tickets/queues/?priority=9&status=nonsense&queue=abc")
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in response.content.decode()


def test_queue_pages_cost_a_bounded_number_of_queries(desk, django_assert_max_num_queries):
    org, queue, agent = desk["org"], desk["queue"], desk["agent"]
    agent.display_name = ""  # shown by first and last name then: those must be loaded with the row too
    agent.save(update_fields=["display_name"])
    customers = [CustomerFactory(organization=org) for _ in range(10)]
    for n in range(60):
        TicketFactory(organization=org, queue=queue, customer=customers[n % 10], priority=1 + n % 4)
    for ticket in Ticket.objects.filter(queue=queue)[:30]:
        ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    client = _client(agent)
    client.get("/tickets/")  # the session is written on the first request
    # 16: the filter's region choices are one query (whatever the page length); whether the user has an agent
    # profile (take next is offered only then) is one more.
    with django_assert_max_num_queries(16):
        response = client.get("/tickets/")
    assert response.content.decode().count('name="ids"') == 25
    with django_assert_max_num_queries(16):
        response = client.get("/tickets/queues/?page=2")
    assert response.content.decode().count('name="ids"') == 25


def test_take_next_opens_the_most_urgent_waiting_ticket(desk):
    urgent = TicketFactory(organization=desk["org"], queue=desk["queue"], priority=P1, subject="订单丢失")
    response = _client(desk["agent"]).post("/tickets/take-next/", follow=True)
    assert response.redirect_chain[-1][0] == f"/tickets/{urgent.pk}/"
    urgent.refresh_from_db()
    assert urgent.assignee == desk["agent"]


def test_take_next_says_so_when_nothing_waits(desk):
    Ticket.objects.filter(queue=desk["queue"]).update(status=Status.PENDING)
    response = _client(desk["agent"]).post("/tickets/take-next/", follow=True)
    assert _zh(MSG_NOTHING_TO_TAKE) in _messages(response)
    assert not Ticket.objects.filter(assignee=desk["agent"]).exists()


def test_take_next_says_so_when_the_agent_is_at_capacity(desk):
    profile = desk["agent"].agent_profile
    profile.max_open_tickets = 1
    profile.save(update_fields=["max_open_tickets"])
    client = _client(desk["agent"])
    client.post("/tickets/take-next/")
    response = client.post("/tickets/take-next/", follow=True)
    assert _zh(MSG_AT_CAPACITY % {"count": 1}) in _messages(response)
    assert Ticket.objects.filter(assignee=desk["agent"]).count() == 1


def test_viewers_and_ops_cannot_take_or_change_tickets(desk, make_user):
    for role in (Role.VIEWER, Role.OPS_ADMIN):
        client = _client(make_user(desk["org"], role))
        assert client.get("/tickets/queues/").status_code == 200
        assert client.post("/tickets/take-next/").status_code == 403
        ticket = desk["pool"][0]
        assert client.post(f"/tickets/{ticket.pk}/status/", {"status": "open"}).status_code == 403
    assert not Ticket.objects.filter(assignee__isnull=False).exists()


def _lit(client, url):
    """The sidebar's highlighted links of a page (section, then page)."""
    html = client.get(url).content.decode()
    nav = html.split('class="scrm-sidebar')[1].split("</nav>")[0]
    return [re.sub(r"<[^>]+>", "", link).strip()
            for link in re.findall(r'<a class="nav-link[^"]*active"[^>]*>(.*?)</a>', nav, re.S)]


def test_the_sidebar_lights_my_tickets_only_on_my_tickets(desk):
    """An agent who came from 团队队列 or a supervisor from the board saw 我的工单 highlighted on every ticket page (its
    address, /tickets/, starts them all). A ticket page lights the 工单 section alone; each list lights itself."""
    ticket = desk["pool"][0]
    agent, supervisor = _client(desk["agent"]), _client(desk["supervisor"])
    assert _lit(agent, "/tickets/") == ["工单", "我的工单"]
    assert _lit(agent, "/tickets/queues/") == ["工单", "团队队列"]
    assert _lit(agent, f"/tickets/{ticket.pk}/") == ["工单"]
    assert _lit(agent, "/tickets/new/") == ["工单"]
    assert _lit(supervisor, "/tickets/board/") == ["工单", "看板"]
    assert _lit(supervisor, f"/tickets/{ticket.pk}/") == ["工单"]


# --- bulk actions -------------------------------------------------------------------------------------------------

def test_bulk_close_changes_what_it_may_and_says_why_the_rest_was_refused(desk):
    new, opened = desk["pool"][0], desk["pool"][1]
    ticket_assign(ticket=opened, assignee=desk["agent"], actor=desk["agent"])  # new → open: cannot be closed
    response = _client(desk["agent"]).post(
        "/tickets/bulk/", {"action": "close", "ids": [new.pk, opened.pk]}, follow=True)
    msgs = _messages(response)
    assert _zh(MSG_BULK_DONE % {"changed": 1, "selected": 2}) in msgs
    refusal = _zh(MSG_ILLEGAL_STATUS % {"before": Status.OPEN.label, "after": Status.CLOSED.label})
    assert _zh(MSG_BULK_REFUSED % {"number": opened.number, "reason": refusal}) in msgs
    new.refresh_from_db()
    opened.refresh_from_db()
    assert (new.status, opened.status) == (Status.CLOSED, Status.OPEN)


def test_bulk_priority_and_tag(desk):
    group = TagGroup.objects.create(organization=desk["org"], name="问题")
    tag = Tag.objects.create(organization=desk["org"], group=group, name="加急")
    ids = [t.pk for t in desk["pool"]]
    client = _client(desk["agent"])
    client.post("/tickets/bulk/", {"action": "priority", "priority": P1, "ids": ids})
    client.post("/tickets/bulk/", {"action": "tag", "tag": tag.pk, "ids": ids})
    assert set(Ticket.objects.filter(pk__in=ids).values_list("priority", flat=True)) == {P1}
    assert TicketTag.objects.filter(tag=tag).count() == 3
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.TAGGED).count() == 3


def test_bulk_never_touches_a_ticket_outside_the_users_queues(desk):
    foreign = desk["foreign"]
    _client(desk["agent"]).post("/tickets/bulk/", {"action": "priority", "priority": P1, "ids": [foreign.pk]})
    foreign.refresh_from_db()
    assert foreign.priority == P3


def test_bulk_assign_is_for_supervisors(desk):
    ids = [desk["pool"][0].pk]
    payload = {"action": "assign", "assignee": desk["agent"].pk, "ids": ids}
    assert _client(desk["agent"]).post("/tickets/bulk/", payload).status_code == 403
    response = _client(desk["supervisor"]).post("/tickets/bulk/", payload, follow=True)
    assert _zh(MSG_BULK_DONE % {"changed": 1, "selected": 1}) in _messages(response)
    assert Ticket.objects.get(pk=ids[0]).assignee == desk["agent"]


def test_bulk_assign_to_a_full_or_offline_agent_says_so(desk):
    """A supervisor gave three tickets at once to 小李, offline and with room for two, and read only "3 of 3 changed":
    the bulk action now warns as assigning one ticket does, counting the load the bulk assign left them with."""
    agent, pool = desk["agent"], desk["pool"]
    AgentProfile.objects.filter(user=agent).update(max_open_tickets=2, status=AgentProfile.Status.OFFLINE)
    payload = {"action": "assign", "assignee": agent.pk, "ids": [t.pk for t in pool]}
    msgs = _messages(_client(desk["supervisor"]).post("/tickets/bulk/", payload, follow=True))
    assert msgs == [
        _zh(MSG_BULK_DONE % {"changed": 3, "selected": 3}),
        _zh(MSG_ASSIGNED_NOT_ONLINE % {"user": agent, "status": AgentProfile.Status.OFFLINE.label}),
        _zh(MSG_ASSIGNED_OVER_CAPACITY % {"user": agent, "held": 3, "cap": 2}),
    ]
    assert Ticket.objects.filter(assignee=agent).count() == 3  # still assigned: the supervisor's call


def test_bulk_assign_to_an_online_agent_with_room_only_says_done(desk):
    payload = {"action": "assign", "assignee": desk["agent"].pk, "ids": [t.pk for t in desk["pool"]]}
    msgs = _messages(_client(desk["supervisor"]).post("/tickets/bulk/", payload, follow=True))
    assert msgs == [_zh(MSG_BULK_DONE % {"changed": 3, "selected": 3})]


def test_bulk_with_bad_input_writes_nothing(desk):
    events = TicketEvent.objects.count()
    client = _client(desk["agent"])
    for payload in ({"action": "close"}, {"action": "priority", "ids": [desk["pool"][0].pk]},
                    {"action": "explode", "ids": [desk["pool"][0].pk]}, {"action": "close", "ids": ["x"]}):
        assert client.post("/tickets/bulk/", payload).status_code == 302
    assert TicketEvent.objects.count() == events


# --- the ticket page ----------------------------------------------------------------------------------------------

def test_an_agent_cannot_open_a_ticket_outside_their_queues(desk):
    client = _client(desk["agent"])
    assert client.get(f"/tickets/{desk['pool'][0].pk}/").status_code == 200
    assert client.get(f"/tickets/{desk['foreign'].pk}/").status_code == 404
    assert client.post(f"/tickets/{desk['foreign'].pk}/reply/", {"body": "hi", "public": "1"}).status_code == 404
    assert not Comment.objects.exists()


def test_an_agent_cannot_open_a_ticket_outside_their_regions(desk):
    east, west = RegionFactory(organization=desk["org"], code="EAST"), RegionFactory(organization=desk["org"],
                                                                                      code="WEST")
    desk["agent"].agent_profile.regions.set([east])
    in_east = TicketFactory(organization=desk["org"], queue=desk["queue"], region=east)
    in_west = TicketFactory(organization=desk["org"], queue=desk["queue"], region=west)
    client = _client(desk["agent"])
    assert client.get(f"/tickets/{in_east.pk}/").status_code == 200
    assert client.get(f"/tickets/{in_west.pk}/").status_code == 404
    assert in_west.number not in client.get("/tickets/queues/").content.decode()
    # A ticket given to them is theirs wherever it is.
    ticket_assign(ticket=in_west, assignee=desk["agent"], actor=desk["supervisor"])
    assert client.get(f"/tickets/{in_west.pk}/").status_code == 200


def test_ticket_page_shows_the_conversation_with_internal_notes_marked_and_masked_customer(desk):
    customer = desk["customer"]
    customer.mobile = "+8613812345678"
    customer.real_name = "王小明"
    customer.save(update_fields=["mobile", "real_name"])
    ticket = desk["pool"][0]
    client = _client(desk["agent"])
    client.post(f"/tickets/{ticket.pk}/reply/", {"body": "您好，马上为您处理", "public": "1"})
    client.post(f"/tickets/{ticket.pk}/reply/", {"body": "客户很着急", "public": "0"})
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-kind="reply"' in body and 'data-kind="note"' in body
    assert body.index("您好，马上为您处理") < body.index("客户很着急")  # newest last
    assert "138****5678" in body and "13812345678" not in body
    assert 'data-testid="customer-history"' in body
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_an_empty_reply_is_refused_and_writes_nothing(desk):
    ticket = desk["pool"][0]
    _client(desk["agent"]).post(f"/tickets/{ticket.pk}/reply/", {"body": "   ", "public": "1"})
    assert not Comment.objects.exists()


def test_a_refused_reply_gives_the_agent_their_text_back(desk):
    """An agent wrote a long answer, attached a file of a type not allowed and pressed 发送: the refusal came back
    above an empty box, the answer lost. The box now holds their text (and their choice of internal note) once,
    with a word to attach the files again; nothing is written."""
    ticket = desk["pool"][0]
    client = _client(desk["agent"])
    text = "您好，关于您的退款：\n1. 已提交财务审核；\n2. 预计三个工作日内到账。"
    exe = SimpleUploadedFile("setup.jpg", b"MZ\x90\x00" + b"\x00" * 100, content_type="image/jpeg")
    response = client.post(f"/tickets/{ticket.pk}/reply/", {"body": text, "public": "0", "attachments": [exe]},
                           follow=True)
    assert _messages(response) == [_zh(MSG_ATTACHMENT_TYPE % {"name": "setup.jpg"}), _zh(MSG_REPLY_FILES_AGAIN)]
    page = response.content.decode()
    box = page.split('data-testid="reply-body">')[1].split("</textarea>")[0]
    assert box == text
    assert 'id="reply-internal" value="0" checked' in page and 'id="reply-public" value="1">' in page
    assert not Comment.objects.exists()

    again = client.get(f"/tickets/{ticket.pk}/").content.decode()  # given back once
    assert 'data-testid="reply-body"></textarea>' in again and 'id="reply-public" value="1" checked' in again

    # A reply that went is not given back; an empty one has nothing to give.
    client.post(f"/tickets/{ticket.pk}/reply/", {"body": "   ", "public": "1"})
    assert 'data-testid="reply-body"></textarea>' in client.get(f"/tickets/{ticket.pk}/").content.decode()
    client.post(f"/tickets/{ticket.pk}/reply/", {"body": "好的", "public": "1"})
    assert 'data-testid="reply-body"></textarea>' in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_only_legal_status_moves_are_offered_and_an_illegal_one_is_refused(desk):
    ticket = desk["pool"][0]  # new
    client = _client(desk["agent"])
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    offered = body.split('id="status-select"')[1].split("</select>")[0]
    assert 'value="open"' in offered and 'value="resolved"' not in offered
    response = client.post(f"/tickets/{ticket.pk}/status/", {"status": "resolved"}, follow=True)
    assert _zh(MSG_ILLEGAL_STATUS % {"before": Status.NEW.label, "after": Status.RESOLVED.label}) in _messages(
        response)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_a_transfer_needs_a_reason(desk):
    ticket = desk["pool"][0]
    client = _client(desk["agent"])
    response = client.post(f"/tickets/{ticket.pk}/transfer/", {"queue": desk["other"].pk, "reason": ""}, follow=True)
    assert _zh(MSG_TRANSFER_REASON) in _messages(response)
    ticket.refresh_from_db()
    assert ticket.queue == desk["queue"]
    client.post(f"/tickets/{ticket.pk}/transfer/", {"queue": desk["other"].pk, "reason": "发票问题归财务"})
    ticket.refresh_from_db()
    assert ticket.queue == desk["other"]


def test_merge_by_number_and_split_selected_messages(desk):
    primary, duplicate = desk["pool"][0], desk["pool"][1]
    client = _client(desk["agent"])
    response = client.post(f"/tickets/{duplicate.pk}/merge/", {"primary": primary.number.lower()})
    assert response.url == f"/tickets/{primary.pk}/"
    duplicate.refresh_from_db()
    assert duplicate.merged_into == primary and duplicate.status == Status.CLOSED

    client.post(f"/tickets/{primary.pk}/reply/", {"body": "第一件事", "public": "1"})
    client.post(f"/tickets/{primary.pk}/reply/", {"body": "另一件事", "public": "1"})
    second = Comment.objects.get(body="另一件事")
    response = client.post(f"/tickets/{primary.pk}/split/", {"subject": "另一件事", "comments": [second.pk]})
    child = Ticket.objects.get(parent=primary)
    assert response.url == f"/tickets/{child.pk}/"
    assert list(child.comments.values_list("body", flat=True)) == ["另一件事"]


def test_merge_into_an_unknown_or_invisible_ticket_is_refused(desk):
    ticket = desk["pool"][0]
    client = _client(desk["agent"])
    for number in ("T19990101-000001", desk["foreign"].number):
        client.post(f"/tickets/{ticket.pk}/merge/", {"primary": number})
    ticket.refresh_from_db()
    assert ticket.merged_into is None and ticket.status == Status.NEW


def test_the_merge_question_names_the_target_and_changes_nothing(desk):
    """What the merge form asks before sending (confirm-submit.js): the target's number and subject, or why not."""
    ticket, target = desk["pool"][0], desk["pool"][1]
    client = _client(desk["agent"])
    url = f"/tickets/{ticket.pk}/merge/"
    answer = client.get(url, {"primary": target.number.lower()})
    assert answer.status_code == 200
    assert answer.json() == {"confirm": _zh(MSG_MERGE_CONFIRM % {
        "duplicate": ticket.number, "primary": target.number, "subject": target.subject})}
    for number in ("T19990101-000001", desk["foreign"].number):  # unknown, or not the agent's to see
        answer = client.get(url, {"primary": number})
        assert (answer.status_code, answer.json()) == (404, {"error": _zh(MSG_MERGE_TARGET_UNKNOWN % {
            "number": number})})
    assert client.get(url, {"primary": ticket.number}).json() == {"error": _zh(MSG_MERGE_SELF)}
    ticket.refresh_from_db()
    assert ticket.merged_into is None and ticket.status == Status.NEW


def test_split_refuses_messages_of_another_ticket(desk):
    a, b = desk["pool"][0], desk["pool"][1]
    client = _client(desk["agent"])
    client.post(f"/tickets/{b.pk}/reply/", {"body": "别的工单", "public": "0"})
    foreign = Comment.objects.get()
    client.post(f"/tickets/{a.pk}/split/", {"subject": "拆分", "comments": [foreign.pk]})
    assert not Ticket.objects.filter(parent=a).exists()


def test_an_agent_may_take_a_ticket_but_not_give_it_to_someone_else(desk):
    ticket = desk["pool"][0]
    other = make_agent(desk["org"], queues=[desk["queue"]], username="xiaowang")
    client = _client(desk["agent"])
    client.post(f"/tickets/{ticket.pk}/assign/", {"assignee": other.pk})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    client.post(f"/tickets/{ticket.pk}/assign/", {"assignee": desk["agent"].pk})
    ticket.refresh_from_db()
    assert ticket.assignee == desk["agent"]


def test_the_conversation_poll_answers_204_until_a_message_lands(desk):
    ticket = desk["pool"][0]
    client = _client(desk["agent"])
    stamp = Ticket.objects.get(pk=ticket.pk).updated_at.isoformat()
    url = f"/tickets/{ticket.pk}/conversation/"
    assert client.get(url, {"since": stamp}).status_code == 204
    ticket_add_message(organization=desk["org"], customer=desk["customer"], channel=ticket.channel,
                       source_ref=ticket.source_ref, body="师傅什么时候到？")
    response = client.get(url, {"since": stamp})
    assert response.status_code == 200
    assert "师傅什么时候到？" in response.content.decode()
    assert client.get(f"/tickets/{desk['foreign'].pk}/conversation/", {"since": stamp}).status_code == 404


def test_a_reply_goes_back_to_its_message_and_says_so_beside_the_reply_box(desk):
    """The page reloaded at its top after a reply: the agent scrolled down to find their message, and the line about
    it stood at the top, out of sight once the page opens on the message."""
    ticket = desk["pool"][0]
    client = _client(desk["agent"])
    response = client.post(f"/tickets/{ticket.pk}/reply/", {"body": "客户很着急", "public": "0"})
    note = Comment.objects.get(ticket=ticket, body="客户很着急")
    assert response.url == f"/tickets/{ticket.pk}/#comment-{note.pk}"

    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'id="comment-{note.pk}"' in body
    said = _zh(MSG_NOTE_ADDED)
    assert body.count(said) == 1
    assert said in body.split('data-testid="reply-messages"')[1].split('data-testid="reply-form"')[0]
    # Any other action's line stays at the top of the page.
    client.post(f"/tickets/{ticket.pk}/priority/", {"priority": "1"})
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'role="alert"' in body.split('data-testid="ticket-header"')[0]


def test_the_conversation_poll_costs_few_queries_when_nothing_changed(desk, django_assert_max_num_queries):
    ticket = desk["pool"][0]
    client = _client(desk["agent"])
    client.get(f"/tickets/{ticket.pk}/")
    stamp = Ticket.objects.get(pk=ticket.pk).updated_at.isoformat()
    with django_assert_max_num_queries(7):
        assert client.get(f"/tickets/{ticket.pk}/conversation/", {"since": stamp}).status_code == 204


def test_ticket_page_costs_a_bounded_number_of_queries(desk):
    """The same cost with 2 messages as with 30, and a ceiling: the page reads the ticket, its customer's 360 panel
    and timeline (tags, identities, merges and undone merges, form submissions and their edits, orders, refunds,
    events), the conversation and its delivery states, the canned responses and the transfer targets."""
    ticket = desk["pool"][0]
    client = _client(desk["agent"])

    def post(count, start):
        for n in range(start, start + count):
            client.post(f"/tickets/{ticket.pk}/reply/", {"body": f"回复 {n}", "public": "1" if n % 2 else "0"})

    post(2, 0)
    client.get(f"/tickets/{ticket.pk}/")  # warm the per-process caches (roles, settings) out of the count
    few_body, few = queries_of(lambda: client.get(f"/tickets/{ticket.pk}/").content.decode())
    post(28, 2)
    body, many = queries_of(lambda: client.get(f"/tickets/{ticket.pk}/").content.decode())
    assert few_body.count('data-testid="message"') == 2 and body.count('data-testid="message"') == 30
    assert_same_cost(few, many, what="ticket page")
    assert len(many) <= 32, "\n".join(many)


# --- the board ----------------------------------------------------------------------------------------------------

def test_board_counts_open_tickets_by_queue_and_status_for_the_supervisors_team(desk):
    ticket_assign(ticket=desk["pool"][0], assignee=desk["agent"], actor=desk["supervisor"])
    body = _client(desk["supervisor"]).get("/tickets/board/").content.decode()
    body = body.split('data-testid="board-table"')[1]
    row = body.split('data-queue="售后一线"')[1].split("</tr>")[0]
    assert 'data-status="new"' in row and ">2</a>" in row and ">1</a>" in row
    assert 'data-queue="财务专席"' not in body  # not the supervisor's team


def test_board_region_filter(desk):
    east = RegionFactory(organization=desk["org"], code="EAST")
    TicketFactory(organization=desk["org"], queue=desk["queue"], region=east)
    client = _client(desk["supervisor"])
    body = client.get(f"/tickets/board/?region={east.pk}").content.decode().split('data-testid="board-table"')[1]
    row = body.split('data-queue="售后一线"')[1].split("</tr>")[0]
    assert ">1</a>" in row and ">4</a>" not in row
    assert client.get("/tickets/board/?region=nonsense").status_code == 200


def test_a_supervisor_reassigns_from_the_board(desk):
    ticket = desk["pool"][0]
    client = _client(desk["supervisor"])
    cell = client.get("/tickets/board/cell/", {"queue": desk["queue"].pk, "status": "new"}).content.decode()
    assert ticket.number in cell and 'data-testid="board-reassign"' in cell
    form = client.get(f"/tickets/{ticket.pk}/assign/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="board-assign-form"' in form and str(desk["agent"]) in form
    response = client.post(f"/tickets/{ticket.pk}/assign/", {"assignee": desk["agent"].pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-testid="board-assignee"' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == desk["agent"]


def test_an_agent_may_not_open_the_board_nor_reassign(desk):
    client = _client(desk["agent"])
    assert client.get("/tickets/board/").status_code == 403
    assert client.get("/tickets/board/cell/", {"queue": desk["other"].pk, "status": "new"}).status_code == 403
    assert client.get(f"/tickets/{desk['pool'][0].pk}/assign/").status_code == 403


def test_board_cell_refuses_bad_input(desk):
    client = _client(desk["supervisor"])
    assert client.get("/tickets/board/cell/", {"queue": "x", "status": "new"}).status_code == 404
    assert client.get("/tickets/board/cell/", {"queue": desk["queue"].pk, "status": "closed"}).status_code == 404


def test_board_costs_a_bounded_number_of_queries(desk, django_assert_max_num_queries, make_user):
    for n in range(10):
        QueueFactory(organization=desk["org"], team=desk["team"], code=f"extra{n}")
    queues = list(Queue.objects.all())
    for n in range(80):
        TicketFactory(organization=desk["org"], queue=queues[n % len(queues)], status=Status.OPEN)
    ops = make_user(desk["org"], Role.OPS_ADMIN)
    for user in (desk["supervisor"], ops):
        client = _client(user)
        client.get("/tickets/board/")
        with django_assert_max_num_queries(22):  # the counts, and the live figures (tests/tickets/test_board.py)
            assert client.get("/tickets/board/").status_code == 200
        with django_assert_max_num_queries(12):
            assert client.get("/tickets/board/", HTTP_HX_REQUEST="true").status_code == 200
        with django_assert_max_num_queries(14):
            assert client.get("/tickets/board/cell/", {"queue": desk["queue"].pk, "status": "open"}).status_code \
                == 200


# --- the rule tester ----------------------------------------------------------------------------------------------

def test_rule_tester_names_the_rule_that_would_apply(desk, ops_admin):
    RoutingRule.objects.create(organization=desk["org"], name="投诉升级", position=1, keywords="投诉，差评",
                               set_priority=P1, set_queue=desk["other"])
    RoutingRule.objects.create(organization=desk["org"], name="其他", position=2)
    client = _client(ops_admin)
    body = client.get("/tickets/settings/rules/", {"subject": "我要给差评", "channel": "wechat_oa"}).content.decode()
    hit = body.split('data-testid="rule-hit"')[0].rsplit("<tr", 1)[1]
    assert 'data-rule="投诉升级"' in hit
    assert "财务专席" in body.split('data-testid="rule-result"')[1]
    body = client.get("/tickets/settings/rules/", {"subject": "你好"}).content.decode()
    assert 'data-rule="其他" data-testid="rule-hit"' in body.replace('class="table-success" ', "")


def test_rule_tester_is_for_ops_and_rejects_bad_input(desk, ops_admin):
    assert _client(desk["agent"]).get("/tickets/settings/rules/").status_code == 403
    assert _client(desk["supervisor"]).get("/tickets/settings/rules/").status_code == 403
    response = _client(ops_admin).get("/tickets/settings/rules/", {"channel": "pigeon", "region": "999999"})
    assert response.status_code == 200
    assert 'data-testid="rule-result"' not in response.content.decode()


# --- navigation ---------------------------------------------------------------------------------------------------

def test_navigation_lists_the_workspace_pages_per_role(desk, ops_admin):
    body = _client(desk["agent"]).get("/tickets/").content.decode()
    assert 'data-subnav="tickets-mine"' in body and 'data-subnav="tickets-queues"' in body
    assert 'data-subnav="tickets-board"' not in body and 'data-subnav="routing-rules"' not in body
    body = _client(ops_admin).get("/tickets/").content.decode()
    assert 'data-subnav="routing-rules"' in body and 'data-subnav="tickets-mine"' not in body
    assert 'data-subnav="tickets-board"' in body


# --- tenant isolation ---------------------------------------------------------------------------------------------

def _seed_tenant(tenant):
    from tickets.services import ticket_open

    organization, marker = tenant.organization, tenant.marker
    team = TeamFactory(organization=organization, name=f"{marker} 组", leader=tenant.users[Role.SUPERVISOR])
    queue = QueueFactory(organization=organization, name=f"{marker} 售后", team=team, auto_assign=False)
    customer = CustomerFactory(organization=organization, display_name=f"{marker} 王小明")
    tickets = [ticket_open(organization=organization, customer=customer, subject=f"{marker} 空调 {n}",
                           description="", channel="wechat_oa") for n in range(2)]
    for ticket in tickets:
        Ticket.objects.filter(pk=ticket.pk).update(queue=queue, team=team)
    tenant.objects.update(queue=queue, tickets=tickets)


def test_workspace_pages_show_nothing_of_another_organization(platform):
    from tests.tenancy import assert_isolated, assert_not_reachable, tenant_pair

    a, b = tenant_pair(_seed_tenant)
    client = Client()
    for url in ("/tickets/", "/tickets/queues/", f"/tickets/queues/?q={a.marker}", "/tickets/board/",
                f"/tickets/{a.objects['tickets'][0].pk}/"):
        assert_isolated(client, a, b, url, role=Role.OPS_ADMIN)
    assert_isolated(client, a, b, "/tickets/board/", role=Role.SUPERVISOR)
    assert_isolated(client, a, b, f"/tickets/board/cell/?queue={a.objects['queue'].pk}&status=new",
                    role=Role.SUPERVISOR)
    b_ticket = b.objects["tickets"][0]
    for role in (Role.OPS_ADMIN, Role.SUPERVISOR, Role.AGENT):
        assert_not_reachable(client, a, f"/tickets/{b_ticket.pk}/", role=role)
        assert_not_reachable(client, a, f"/tickets/{b_ticket.pk}/conversation/", role=role)
    # Nor can A's supervisor act on it.
    client.force_login(a.users[Role.SUPERVISOR])
    assert client.post(f"/tickets/{b_ticket.pk}/assign/", {"assignee": ""}).status_code == 404
    client.post("/tickets/bulk/", {"action": "priority", "priority": 1, "ids": [b_ticket.pk]})
    with tenant_scope(b.organization):
        assert Ticket.objects.get(pk=b_ticket.pk).priority == P3


def test_the_sla_state_filter_hook_shows_and_applies_a_registered_filter(desk):
    from tickets import filters

    client = _client(desk["agent"])
    late = desk["pool"][0]
    saved = dict(filters._sla_state_filter)
    try:
        filters._sla_state_filter.update(choices=[], apply=None)  # as before anything registers (SLA does)
        assert 'data-testid="sla-filter"' not in client.get("/tickets/queues/").content.decode()
        filters.register_sla_state_filter(choices=[("breached", "Breached")],
                                          apply=lambda queryset, value: queryset.filter(pk=late.pk))
        body = client.get("/tickets/queues/?sla=breached").content.decode()
        assert 'data-testid="sla-filter"' in body
        assert late.number in body and desk["pool"][1].number not in body
    finally:
        filters._sla_state_filter.update(saved)


# --- attachments from the reply box ---------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_reply_with_files_shows_them_in_the_conversation_for_download(desk):
    ticket = desk["pool"][0]
    client = _client(desk["agent"])
    client.post(f"/tickets/{ticket.pk}/reply/", {
        "body": "", "public": "0",
        "attachments": [SimpleUploadedFile("保修卡.pdf", PDF), SimpleUploadedFile("说明.txt", "请按说明操作".encode())],
    })
    comment = Comment.objects.get(ticket=ticket)
    files = list(comment.attachments.order_by("original_name"))
    assert [f.original_name for f in files] == ["保修卡.pdf", "说明.txt"]
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="attachments"' in body and "保修卡.pdf" in body
    download = client.get(f"/files/attachments/{files[0].pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_a_disallowed_file_is_refused_with_its_name_and_nothing_is_written(desk):
    ticket = desk["pool"][0]
    response = _client(desk["agent"]).post(f"/tickets/{ticket.pk}/reply/", {
        "body": "请查收", "public": "1", "attachments": [SimpleUploadedFile("发票.jpg", b"MZ" + b"\0" * 64)],
    }, follow=True)
    assert "发票.jpg" in " ".join(_messages(response))
    assert not Comment.objects.exists()
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_board_counts_are_shared_for_a_few_seconds(desk, monkeypatch):
    from tickets.selectors import board_counts

    monkeypatch.setattr("tickets.selectors.BOARD_COUNTS_CACHE_SECONDS", 30)
    rows, _totals = board_counts(user=desk["supervisor"])
    assert dict(rows)[desk["queue"]] == {"new": 3}
    TicketFactory(organization=desk["org"], queue=desk["queue"])
    rows, _totals = board_counts(user=desk["supervisor"])
    assert dict(rows)[desk["queue"]] == {"new": 3}  # the shared counts, up to 30 s old
    # A ticket assigned to the supervisor outside their queues is counted afresh.
    ticket_assign(ticket=desk["foreign"], assignee=desk["supervisor"], actor=desk["supervisor"])
    rows, _totals = board_counts(user=desk["supervisor"])
    assert dict(rows)[desk["other"]] == {"open": 1}


LONG_MESSAGE = "洗衣机脱水时响声很大，" * 7


def test_the_first_message_of_a_conversation_is_shown_once(desk):
    with tenant_scope(desk["org"]):
        ticket = ticket_add_message(organization=desk["org"], customer=desk["customer"], channel="wechat_oa",
                                    source_ref="conv-once", body=LONG_MESSAGE).ticket
        ticket_assign(ticket=ticket, assignee=desk["agent"], actor=desk["agent"])
    body = _client(desk["agent"]).get(f"/tickets/{ticket.pk}/").content.decode()
    assert body.count(LONG_MESSAGE) == 1  # the subject holds only its first 59 characters
    assert 'data-testid="ticket-description"' not in body

    # A ticket typed in by an agent keeps its description above the conversation.
    logged = TicketFactory(organization=desk["org"], queue=desk["queue"], customer=desk["customer"],
                           assignee=desk["agent"], description="来电：空调外机漏水")
    body = _client(desk["agent"]).get(f"/tickets/{logged.pk}/").content.decode()
    assert 'data-testid="ticket-description"' in body and "来电：空调外机漏水" in body


def test_the_region_filter_keeps_the_region_and_everything_below_it(organization, ops_admin):
    with tenant_scope(organization):
        east = region_create(organization=organization, name="华东", code="EAST", level=Region.Level.AREA)
        js = region_create(organization=organization, name="江苏", code="JS", level=Region.Level.PROVINCE,
                           parent=east)
        west = region_create(organization=organization, name="华西", code="WEST", level=Region.Level.AREA)
        queue = QueueFactory(organization=organization, auto_assign=False)
        TicketFactory(organization=organization, queue=queue, region=js, subject="江苏的工单")
        TicketFactory(organization=organization, queue=queue, region=west, subject="华西的工单")
    client = _client(ops_admin)
    body = client.get(f"/tickets/queues/?region={east.pk}").content.decode()
    assert "江苏的工单" in body and "华西的工单" not in body


def _region_options(body):
    select = body.split('id="id_region"')[1].split("</select>")[0]
    return [option.split(">")[1].split("<")[0] for option in select.split("<option")[1:]]


def test_the_ticket_lists_region_filter_offers_only_the_regions_in_the_agents_reach(desk, make_user):
    """An agent serving 华东 was offered every region of the company in the ticket list's filter, and picking 华西
    showed an empty list. They are offered 华东 and the regions below it, as the board offers a supervisor; a
    region out of reach typed into the address is no filter (as on the board), not an error; ops keep every
    region."""
    org = desk["org"]
    with tenant_scope(org):
        east = region_create(organization=org, name="华东", code="EAST", level=Region.Level.AREA)
        js = region_create(organization=org, name="江苏", code="JS", level=Region.Level.PROVINCE, parent=east)
        west = region_create(organization=org, name="华西", code="WEST", level=Region.Level.AREA)
    desk["agent"].agent_profile.regions.set([east])
    TicketFactory(organization=org, queue=desk["queue"], region=js, subject="江苏的工单")
    client = _client(desk["agent"])

    body = client.get("/tickets/queues/").content.decode()
    assert _region_options(body) == ["全部", "华东", "江苏"]
    response = client.get(f"/tickets/queues/?region={west.pk}")
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="filter-errors"' not in body
    assert "江苏的工单" in body and " selected>" not in body.split('id="id_region"')[1].split("</select>")[0]
    assert "江苏的工单" in client.get(f"/tickets/queues/?region={east.pk}").content.decode()

    ops = _client(make_user(org, Role.OPS_ADMIN)).get("/tickets/queues/").content.decode()
    assert _region_options(ops) == ["全部", "华东", "江苏", "华西"]


def test_the_customers_history_links_only_the_tickets_the_agent_may_open(desk):
    """The ticket page's history listed the customer's ticket in another team's queue with a link that answered
    "not found"; it is still listed, without the link."""
    client = _client(desk["agent"])
    foreign, other = desk["foreign"], desk["pool"][1]
    body = client.get(f"/tickets/{desk['pool'][0].pk}/").content.decode()
    assert "发票问题" in body and f'href="/tickets/{foreign.pk}/"' not in body
    assert f'href="/tickets/{other.pk}/"' in body
    assert client.get(f"/tickets/{foreign.pk}/").status_code == 404
    # Whoever may open it still gets the link.
    body = _client(UserFactory(organization=desk["org"], roles=[Role.OPS_ADMIN])).get(
        f"/tickets/{desk['pool'][0].pk}/").content.decode()
    assert f'href="/tickets/{foreign.pk}/"' in body


def test_an_agent_who_transfers_a_ticket_out_of_their_queues_lands_on_their_list_not_a_404(desk):
    """After sending a ticket to another team's queue the agent was taken back to its page, which they may no longer
    open: "page not found" instead of a confirmation."""
    ticket = desk["pool"][0]
    client = _client(desk["agent"])
    response = client.post(f"/tickets/{ticket.pk}/transfer/", {"queue": desk["other"].pk, "reason": "发票问题归财务"},
                           follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/tickets/"
    assert _messages(response) == [_zh(MSG_TRANSFERRED_AWAY % {"number": ticket.number, "queue": "财务专席"})]
    ticket.refresh_from_db()
    assert ticket.queue == desk["other"]
    # Whoever still sees it (the team's supervisor, to another queue of the team) stays on its page.
    second = QueueFactory(organization=desk["org"], name="售后二线", code="l2", team=desk["team"], auto_assign=False)
    other = desk["pool"][1]
    response = _client(desk["supervisor"]).post(f"/tickets/{other.pk}/transfer/",
                                                {"queue": second.pk, "reason": "转二线"})
    assert response.url == f"/tickets/{other.pk}/"


def test_the_timeline_says_which_sla_was_applied_and_what_an_escalation_did():
    """The conversation showed bare "已应用 SLA" and "已升级" lines: not which policy, target or what was done."""
    from tickets.views import event_summary

    applied = TicketEvent(kind=TicketEvent.Kind.SLA_APPLIED, before={},
                          after={"policy": {"id": 2, "name": "标准服务 7×12"}, "reason": "demo"})
    escalated = TicketEvent(kind=TicketEvent.Kind.ESCALATED, before={},
                            after={"step": 9, "level": 4, "metric": "resolution", "trigger": "75%",
                                   "actions": ["notify_supervisor", "raise_priority"], "notified": [2]})
    with translation.override("en"):
        assert event_summary(applied) == "SLA applied: 标准服务 7×12"
        assert event_summary(escalated) == "Escalated (Resolution, 75%): supervisor notified, priority raised"
    with translation.override("zh-hans"):
        assert "标准服务 7×12" in event_summary(applied)
        assert "解决" in event_summary(escalated) and "75%" in event_summary(escalated)


def test_the_timeline_tells_a_recalculation_a_removed_policy_and_a_missed_target_apart():
    """A priority change under the same policy read "已应用 SLA：标准服务 7×12" a second time, a policy that no longer
    applied read "已应用 SLA", and the sweep's breach mark read a bare "已升级"."""
    from tickets.views import event_summary

    def event(kind, before, after):
        return TicketEvent(kind=kind, before=before, after=after)

    policy = {"id": 2, "name": "标准服务 7×12"}
    first = event(TicketEvent.Kind.SLA_APPLIED, {"policy": None}, {"policy": policy, "reason": "opened"})
    again = event(TicketEvent.Kind.SLA_APPLIED, {"policy": 2}, {"policy": policy, "reason": "priority"})
    other = event(TicketEvent.Kind.SLA_APPLIED, {"policy": 1}, {"policy": policy, "reason": "queue"})
    gone = event(TicketEvent.Kind.SLA_APPLIED, {"policy": 2}, {"policy": None, "reason": "queue"})
    missed = event(TicketEvent.Kind.ESCALATED, {}, {"breached": "first_response", "due": "2026-12-04T08:00:00+00:00"})
    with translation.override("en"):
        assert event_summary(first) == "SLA applied: 标准服务 7×12"
        assert event_summary(again) == "SLA due times recalculated (priority changed): 标准服务 7×12"
        assert event_summary(other) == "SLA applied: 标准服务 7×12"
        assert event_summary(gone) == "No SLA policy applies any more"
        assert event_summary(missed) == "SLA missed: First response (due 2026-12-04 16:00)"  # Beijing time
    with translation.override("zh-hans"):
        assert event_summary(again) == "SLA 时限已重新计算（优先级变更）：标准服务 7×12"
        assert event_summary(gone) == "不再适用任何 SLA 策略"
        assert event_summary(missed) == "SLA 已超时：首次响应（截止 2026-12-04 16:00）"


def test_an_escalations_trigger_reads_in_the_readers_language():
    """The sweep runs in Chinese and wrote its trigger as text: an English page read "Escalated (First response,
    超时)". The event keeps a code; the timeline words it."""
    from tickets.views import event_summary

    def escalated(trigger):
        return event_summary(TicketEvent(kind=TicketEvent.Kind.ESCALATED, before={},
                                         after={"metric": "first_response", "trigger": trigger, "actions": []}))

    with translation.override("en"):
        assert [escalated(code) for code in ("75%", "breach", "breach+30")] == [
            "Escalated (First response, 75%)", "Escalated (First response, breach)",
            "Escalated (First response, breach + 30 min)"]
    with translation.override("zh-hans"):
        assert escalated("breach") == "已升级（首次响应 · 超时）"
        assert escalated("breach+30") == "已升级（首次响应 · 超时后 30 分钟）"


def test_a_closed_ticket_says_why_its_actions_card_is_empty(desk):
    """The 操作 card of a closed ticket was an empty box under its heading."""
    ticket = desk["pool"][0]
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    body = _client(desk["agent"]).get(f"/tickets/{ticket.pk}/").content.decode()
    actions = body.split('data-testid="ticket-actions"')[1].split("</div>\n    </div>")[0]
    assert "<form" not in actions
    assert "此工单已关闭，不能再做任何更改。客户发来新消息时会开启新工单。" in actions


def test_take_next_is_offered_only_to_who_can_take_from_a_queue(desk):
    """A supervisor without an agent profile saw 领取下一个; clicking it only said they cannot take tickets."""
    agent_page = _client(desk["agent"]).get("/tickets/queues/").content.decode()
    boss_page = _client(desk["supervisor"]).get("/tickets/queues/").content.decode()
    assert 'data-testid="take-next"' in agent_page
    assert 'data-testid="take-next"' not in boss_page
    assert 'data-testid="ticket-create"' in boss_page  # what they may do is still offered


def test_an_empty_queue_suggests_take_next_only_to_who_can_take_from_a_queue(desk, make_user):
    """The empty queue said '…或领取下一个工单' to a supervisor without agent profile and to viewers, who have no
    领取下一个 button; the sentence now follows the button's rule."""
    nothing = "/tickets/queues/?q=不存在的工单"
    agent_page = _client(desk["agent"]).get(nothing).content.decode()
    assert _zh(EMPTY_TEXT_TAKE_NEXT) in agent_page and 'data-testid="take-next"' in agent_page
    for user in (desk["supervisor"], make_user(desk["org"], Role.VIEWER)):
        page = _client(user).get(nothing).content.decode()
        assert 'data-testid="take-next"' not in page
        assert _zh(EMPTY_TEXT) in page
        assert _zh(EMPTY_TEXT_TAKE_NEXT) not in page and "领取下一个工单" not in page


def test_an_agent_in_no_queue_is_told_why_no_ticket_reaches_them(desk):
    """A new agent (a team, no queue yet) read '暂无工单。请调整筛选条件，或领取下一个工单。' and 领取下一个 answered
    that no ticket waited in their queues: they have none, and nothing said so or who can change it."""
    newcomer = make_agent(desk["org"], queues=[], username="xiaozhang", team=desk["team"])
    for url in ("/tickets/", "/tickets/queues/"):
        page = _client(newcomer).get(url).content.decode()
        assert _zh(EMPTY_TEXT_NO_QUEUE) in page
        assert "领取下一个工单" not in page and 'data-testid="take-next"' not in page
        assert 'data-testid="ticket-create"' in page  # logging a call still works

    # Once ops add them to a queue, its tickets are there to take.
    QueueMembership.objects.create(organization=desk["org"], queue=desk["queue"],
                                   agent=AgentProfile.objects.get(user=newcomer))
    page = _client(newcomer).get("/tickets/queues/").content.decode()
    assert 'data-testid="take-next"' in page and desk["pool"][0].number in page
    assert _zh(EMPTY_TEXT_NO_QUEUE) not in page


def test_giving_a_ticket_to_a_full_or_offline_agent_says_so(desk):
    """A supervisor gave a ticket to 小李, already at their limit and gone offline, and read only "assigned": the
    ticket then sat with nobody working it. The assignment still stands (their call), with the reason to look twice."""
    agent, pool = desk["agent"], desk["pool"]
    AgentProfile.objects.filter(user=agent).update(max_open_tickets=1)
    client = _client(desk["supervisor"])

    first = client.post(f"/tickets/{pool[0].pk}/assign/", {"assignee": agent.pk}, follow=True)
    assert _messages(first) == [str(MSG_ASSIGNED % {"number": pool[0].number, "user": agent})]

    AgentProfile.objects.filter(user=agent).update(status=AgentProfile.Status.OFFLINE)
    response = client.post(f"/tickets/{pool[1].pk}/assign/", {"assignee": agent.pk, "row": "risk"},
                           HTTP_HX_REQUEST="true")
    row = response.content.decode()
    assert str(MSG_ASSIGNED_NOT_ONLINE % {"user": agent, "status": AgentProfile.Status.OFFLINE.label}) in row
    assert str(MSG_ASSIGNED_OVER_CAPACITY % {"user": agent, "held": 2, "cap": 1}) in row
    assert Ticket.objects.filter(assignee=agent).count() == 2


def test_from_the_board_a_supervisor_lists_one_agents_tickets_to_hand_them_on(desk):
    """小李 went offline holding two tickets: the board showed "2 / 20" and nothing to click, and the team queues
    could not be narrowed to one assignee, so finding their tickets meant reading every row."""
    agent, pool, supervisor = desk["agent"], desk["pool"], desk["supervisor"]
    for ticket in pool[:2]:
        ticket_assign(ticket=ticket, assignee=agent, actor=supervisor)
    AgentProfile.objects.filter(user=agent).update(status=AgentProfile.Status.OFFLINE)
    client = _client(supervisor)

    live = client.get("/tickets/board/live/").content.decode()
    load = live.split('data-agent="xiaoli"')[1].split('data-testid="agent-load">')[1].split("</div>")[0]
    assert f'href="/tickets/queues/?assignee={agent.pk}"' in load and ">2</a> / 20" in load

    page = client.get(f"/tickets/queues/?assignee={agent.pk}")
    listed = {row.record.number for row in page.context["table"].page.object_list}
    assert listed == {pool[0].number, pool[1].number}
    assert 'id="id_assignee"' in page.content.decode()
    assert 'id="id_assignee"' not in _client(agent).get("/tickets/queues/").content.decode()


def test_the_workload_warning_reads_the_load_the_router_reads(desk):
    """The warning counted the agent's open tickets while the router and take next read their load counter
    (AgentLoad, kept by the services, repaired by agent_load_recount): when the two differed, a supervisor read
    nothing about an agent the router already treated as full. The warning now reads the counter too."""
    agent, pool, supervisor = desk["agent"], desk["pool"], desk["supervisor"]
    AgentProfile.objects.filter(user=agent).update(max_open_tickets=2)
    ticket_assign(ticket=pool[0], assignee=agent, actor=supervisor)
    AgentLoad.objects.filter(user=agent).update(open_tickets=2)  # the counter at the cap, one ticket held
    with pytest.raises(TicketError) as refused:
        ticket_take_next(agent=agent)
    assert str(refused.value) == str(MSG_AT_CAPACITY % {"count": 2})  # the router: full

    msgs = _messages(_client(supervisor).post(f"/tickets/{pool[1].pk}/assign/", {"assignee": agent.pk}, follow=True))
    assert msgs == [_zh(MSG_ASSIGNED % {"number": pool[1].number, "user": agent}),
                    _zh(MSG_ASSIGNED_OVER_CAPACITY % {"user": agent, "held": 3, "cap": 2})]
