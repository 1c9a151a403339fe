"""Transfer to another queue with a reason, merge duplicates, split one ticket into two."""

import pytest

from scrm.models import Tag, TagGroup
from tests.scrm.factories import TeamFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketTypeFactory, make_agent
from tickets.errors import (
    MSG_CLOSED,
    MSG_MERGE_CLOSED,
    MSG_MERGE_OTHER_CUSTOMER,
    MSG_MERGE_SELF,
    MSG_SPLIT_FOREIGN_COMMENT,
    MSG_TRANSFER_REASON,
    MSG_TRANSFER_SAME_QUEUE,
    TicketError,
)
from tickets.models import AgentLoad, Comment, Ticket, TicketEvent, TicketTag, TicketWatcher
from tickets.services import (
    agent_load_recount,
    ticket_add_message,
    ticket_change_status,
    ticket_merge,
    ticket_open,
    ticket_reply,
    ticket_split,
    ticket_transfer,
)

Status = Ticket.Status
pytestmark = pytest.mark.django_db


def _open(organization, customer, queue=None, **kwargs):
    ticket_type = TicketTypeFactory(organization=organization, default_queue=queue) if queue else None
    return ticket_open(organization=organization, customer=customer, subject=kwargs.pop("subject", "空调不制冷"),
                       description="", channel="wechat_oa", source_ref=kwargs.pop("source_ref", "conv-1"),
                       type=ticket_type, **kwargs)


def _snapshot(*tickets):
    return ([Ticket.objects.values().get(pk=t.pk) for t in tickets], TicketEvent.objects.count(),
            list(Comment.objects.values_list("pk", "ticket_id")))


def test_a_transfer_moves_the_ticket_to_the_new_queue_and_its_team_and_reassigns_it(scoped, customer, queue):
    technical = QueueFactory(organization=scoped, name="技术支持", team=TeamFactory(organization=scoped, name="技术"))
    first_line = make_agent(scoped, queues=[queue], username="l1")
    engineer = make_agent(scoped, queues=[technical], username="engineer")
    ticket = _open(scoped, customer, queue)
    assert ticket.assignee == first_line

    ticket = ticket_transfer(ticket=ticket, queue=technical, reason="需要工程师上门", actor=first_line)

    assert (ticket.queue, ticket.team, ticket.assignee) == (technical, technical.team, engineer)
    event = TicketEvent.objects.get(ticket=ticket, kind="transferred")
    assert event.actor == first_line
    assert event.before["queue"]["id"] == queue.pk
    assert event.before["assignee"]["id"] == first_line.pk
    assert event.after == {"queue": {"id": technical.pk, "name": "技术支持"},
                           "team": {"id": technical.team.pk, "name": "技术"}, "reason": "需要工程师上门"}
    assert AgentLoad.objects.get(user=first_line).open_tickets == 0
    assert AgentLoad.objects.get(user=engineer).open_tickets == 1


def test_a_transfer_to_a_queue_nobody_can_serve_leaves_the_ticket_in_its_pool(scoped, customer, queue):
    empty = QueueFactory(organization=scoped, name="夜班")
    make_agent(scoped, queues=[queue])
    ticket = ticket_transfer(ticket=_open(scoped, customer, queue), queue=empty, reason="夜间", actor=None)
    assert (ticket.queue, ticket.assignee, ticket.status) == (empty, None, Status.OPEN)


@pytest.mark.parametrize(("reason", "same_queue", "closed", "message"), [
    ("  ", False, False, MSG_TRANSFER_REASON),
    ("换组", True, False, MSG_TRANSFER_SAME_QUEUE),
    ("换组", False, True, MSG_CLOSED),
])
def test_a_refused_transfer_changes_nothing(scoped, customer, queue, agent, reason, same_queue, closed, message):
    other = QueueFactory(organization=scoped, name="二线")
    ticket = _open(scoped, customer, queue)
    if closed:
        ticket = ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=agent)
    before = _snapshot(ticket)
    with pytest.raises(TicketError) as exc:
        ticket_transfer(ticket=ticket, queue=queue if same_queue else other, reason=reason, actor=agent)
    assert str(exc.value) == str(message) % {"queue": queue.name, "number": ticket.number}
    assert _snapshot(ticket) == before


def test_merging_moves_the_conversation_to_the_primary_and_closes_the_duplicate(scoped, customer, queue, agent):
    make_agent(scoped, queues=[queue], username="holder")
    group = TagGroup.objects.create(organization=scoped, name="工单")
    broken = Tag.objects.create(organization=scoped, group=group, name="破损")
    primary = ticket_add_message(organization=scoped, customer=customer, channel="wechat_oa", source_ref="conv-1",
                                 body="收到的杯子碎了").ticket
    duplicate = ticket_add_message(organization=scoped, customer=customer, channel="jd", source_ref="order-77",
                                   body="杯子碎了，要求退款").ticket
    Ticket.objects.filter(pk=duplicate.pk).update(priority=Ticket.Priority.P1)
    TicketTag.objects.create(organization=scoped, ticket=duplicate, tag=broken)
    TicketWatcher.objects.create(organization=scoped, ticket=duplicate, user=agent)

    ticket_merge(primary=primary, duplicate=duplicate, actor=agent)

    primary.refresh_from_db()
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Status.CLOSED, primary)
    assert primary.status != Status.CLOSED
    assert primary.priority == Ticket.Priority.P1
    assert list(primary.comments.values_list("body", flat=True)) == ["收到的杯子碎了", "杯子碎了，要求退款"]
    assert list(primary.tags.all()) == [broken]
    assert list(primary.watchers.all()) == [agent]
    assert TicketEvent.objects.get(ticket=primary, kind="merged").after == {
        "duplicate": {"id": duplicate.pk, "name": str(duplicate)}, "comments": 1}
    assert TicketEvent.objects.get(ticket=duplicate, kind="merged").after["merged_into"]["id"] == primary.pk
    assert agent_load_recount(organization=scoped) == {}
    # The customer writes again in the duplicate's conversation: it lands on the primary.
    again = ticket_add_message(organization=scoped, customer=customer, channel="jd", source_ref="order-77",
                               body="什么时候退？")
    assert again.ticket == primary


def test_a_refused_merge_changes_nothing(scoped, customer, agent):
    one, two = _open(scoped, customer), _open(scoped, customer, source_ref="conv-2")
    someone_else = _open(scoped, CustomerFactory(organization=scoped), source_ref="conv-3")
    closed = ticket_change_status(ticket=_open(scoped, customer, source_ref="conv-4"), status=Status.CLOSED,
                                  actor=agent)
    before = _snapshot(one, two, someone_else, closed)
    cases = [(one, one, MSG_MERGE_SELF), (one, someone_else, MSG_MERGE_OTHER_CUSTOMER),
             (one, closed, MSG_MERGE_CLOSED % {"number": closed.number})]
    for primary, duplicate, message in cases:
        with pytest.raises(TicketError) as exc:
            ticket_merge(primary=primary, duplicate=duplicate, actor=agent)
        assert str(exc.value) == str(message)
    assert _snapshot(one, two, someone_else, closed) == before


def test_splitting_moves_the_chosen_comments_to_a_new_child_ticket(scoped, customer, queue, agent):
    make_agent(scoped, queues=[queue], username="l1")
    ticket = _open(scoped, customer, queue)
    kept = ticket_reply(ticket=ticket, author=agent, body="空调的问题我们来处理")
    moved = ticket_add_message(organization=scoped, customer=customer, channel="wechat_oa", source_ref="conv-1",
                               body="另外，洗衣机的安装什么时候来？")

    child = ticket_split(ticket=ticket, subject="洗衣机安装预约", comment_ids=[moved.pk], actor=agent)

    assert child.parent == ticket
    assert (child.customer, child.channel, child.source_ref, child.queue, child.priority) == (
        customer, "wechat_oa", "conv-1", queue, ticket.priority)
    assert child.number != ticket.number
    assert list(child.comments.all()) == [moved]
    assert list(ticket.comments.all()) == [kept]
    assert child.assignee is not None
    assert TicketEvent.objects.get(ticket=ticket, kind="split").after["child"]["id"] == child.pk
    assert TicketEvent.objects.get(ticket=child, kind="created").after["split_from"]["id"] == ticket.pk
    # The conversation stays with the original ticket.
    assert ticket_add_message(organization=scoped, customer=customer, channel="wechat_oa", source_ref="conv-1",
                              body="好的").ticket == ticket


def test_a_split_of_someone_elses_comment_is_refused_and_changes_nothing(scoped, customer, agent):
    ticket, other = _open(scoped, customer), _open(scoped, customer, source_ref="conv-2")
    foreign = ticket_reply(ticket=other, author=agent, body="别的工单")
    before, tickets = _snapshot(ticket, other), Ticket.objects.count()
    with pytest.raises(TicketError) as exc:
        ticket_split(ticket=ticket, subject="拆分", comment_ids=[foreign.pk], actor=agent)
    assert str(exc.value) == MSG_SPLIT_FOREIGN_COMMENT % {"number": ticket.number}
    assert (_snapshot(ticket, other), Ticket.objects.count()) == (before, tickets)
