"""A ticket's life: opening, status moves along the transition table, replies and notes."""

import re

import pytest

from scrm.customers.services import customer_merge
from tests.tickets.factories import CustomerFactory
from tickets.errors import (
    MSG_EMPTY_BODY,
    MSG_ILLEGAL_STATUS,
    MSG_REPLY_CLOSED,
    MSG_SAME_PRIORITY,
    MSG_SAME_STATUS,
    TicketError,
)
from tickets.models import Comment, Ticket, TicketEvent
from tickets.selectors import ticket_events
from tickets.services import ticket_add_message, ticket_change_status, ticket_open, ticket_reply, ticket_set_priority

Status = Ticket.Status
pytestmark = pytest.mark.django_db


def _open(organization, customer, **kwargs):
    fields = {"subject": "洗衣机不排水", "description": "滚筒洗衣机，买了三个月", "channel": "wechat_oa",
              "source_ref": "conv-1", **kwargs}
    return ticket_open(organization=organization, customer=customer, **fields)


def _kinds(ticket):
    return [e.kind for e in ticket_events(ticket=ticket)]


def test_ticket_open_numbers_the_ticket_and_records_its_creation(scoped, customer, agent):
    ticket = _open(scoped, customer, actor=agent, order_number="E20261123001")
    assert re.fullmatch(r"T\d{8}-000001", ticket.number)
    assert (ticket.status, ticket.priority, ticket.assignee, ticket.queue) == (Status.NEW, 3, None, None)
    assert ticket.order_number == "E20261123001"
    created = TicketEvent.objects.get(ticket=ticket)
    assert created.kind == TicketEvent.Kind.CREATED
    assert created.actor == agent
    assert created.after["number"] == ticket.number
    assert created.after["source_ref"] == "conv-1"


def test_a_ticket_goes_from_new_to_closed_with_an_event_per_move(scoped, customer, agent):
    ticket = _open(scoped, customer)
    for status in (Status.OPEN, Status.PENDING, Status.OPEN, Status.ON_HOLD, Status.RESOLVED):
        ticket = ticket_change_status(ticket=ticket, status=status, actor=agent)
    assert ticket.resolved_at is not None
    ticket = ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=agent)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at >= ticket.resolved_at
    moves = [(e.before["status"], e.after["status"]) for e in ticket_events(ticket=ticket) if e.kind == "status"]
    assert moves == [("new", "open"), ("open", "pending"), ("pending", "open"), ("open", "on_hold"),
                     ("on_hold", "resolved"), ("resolved", "closed")]
    assert {e.actor for e in ticket_events(ticket=ticket) if e.kind == "status"} == {agent}


def test_reopening_a_resolved_ticket_clears_its_resolution_time(scoped, customer, agent):
    ticket = _open(scoped, customer)
    for status in (Status.OPEN, Status.RESOLVED, Status.OPEN):
        ticket = ticket_change_status(ticket=ticket, status=status, actor=agent)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == (Status.OPEN, None)


@pytest.mark.parametrize(("path", "illegal"), [
    ((), Status.PENDING),                                    # new → pending: nobody has looked at it yet
    ((), Status.RESOLVED),
    ((Status.OPEN,), Status.CLOSED),                         # closing skips the resolution
    ((Status.OPEN,), Status.NEW),
    ((Status.OPEN, Status.RESOLVED), Status.PENDING),
    ((Status.OPEN, Status.RESOLVED, Status.CLOSED), Status.OPEN),  # closed is final
])
def test_an_illegal_status_move_is_refused_and_changes_nothing(scoped, customer, agent, path, illegal):
    ticket = _open(scoped, customer)
    for status in path:
        ticket = ticket_change_status(ticket=ticket, status=status, actor=agent)
    ticket.refresh_from_db()
    before = Ticket.objects.values().get(pk=ticket.pk)
    events = TicketEvent.objects.count()

    with pytest.raises(TicketError) as exc:
        ticket_change_status(ticket=ticket, status=illegal, actor=agent)

    assert str(exc.value) == MSG_ILLEGAL_STATUS % {"before": Status(ticket.status).label,
                                                   "after": Status(illegal).label}
    assert Ticket.objects.values().get(pk=ticket.pk) == before
    assert TicketEvent.objects.count() == events


def test_moving_to_the_same_status_is_refused(scoped, customer, agent):
    ticket = _open(scoped, customer)
    with pytest.raises(TicketError) as exc:
        ticket_change_status(ticket=ticket, status=Status.NEW, actor=agent)
    assert str(exc.value) == MSG_SAME_STATUS % {"status": Status.NEW.label}


def test_the_first_public_reply_opens_the_ticket_and_stamps_the_first_response(
        scoped, customer, agent, django_capture_on_commit_callbacks):
    ticket = _open(scoped, customer)
    with django_capture_on_commit_callbacks() as callbacks:
        ticket_reply(ticket=ticket, author=agent, body="内部备注：先查物流", public=False)
    assert callbacks == []  # a note goes nowhere
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_response_at) == (Status.NEW, None)

    with django_capture_on_commit_callbacks() as callbacks:
        reply = ticket_reply(ticket=ticket, author=agent, body="您好，请提供订单号")
    assert len(callbacks) == 1  # the hook where the channel outbox will send it
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.first_response_at == reply.created_at

    later = ticket_reply(ticket=ticket, author=agent, body="已为您登记")
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at != later.created_at
    assert [c.is_public for c in Comment.objects.filter(ticket=ticket)] == [False, True, True]
    assert _kinds(ticket) == ["created", "comment", "comment", "status", "comment"]


def test_a_reply_on_a_closed_ticket_is_refused_and_writes_nothing(scoped, customer, agent):
    ticket = _open(scoped, customer)
    ticket = ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=agent)
    events = TicketEvent.objects.count()
    for public in (True, False):
        with pytest.raises(TicketError) as exc:
            ticket_reply(ticket=ticket, author=agent, body="还在吗？", public=public)
        assert str(exc.value) == MSG_REPLY_CLOSED % {"number": ticket.number}
    assert not Comment.objects.exists()
    assert TicketEvent.objects.count() == events


def test_an_empty_reply_is_refused(scoped, customer, agent):
    ticket = _open(scoped, customer)
    with pytest.raises(TicketError) as exc:
        ticket_reply(ticket=ticket, author=agent, body="  \n")
    assert str(exc.value) == MSG_EMPTY_BODY
    assert not Comment.objects.exists()


def test_a_priority_change_is_recorded_and_the_same_priority_refused(scoped, customer, agent):
    ticket = _open(scoped, customer)
    ticket = ticket_set_priority(ticket=ticket, priority=Ticket.Priority.P1, actor=agent)
    assert ticket.priority == Ticket.Priority.P1
    event = TicketEvent.objects.get(ticket=ticket, kind="priority")
    assert (event.actor, event.before, event.after) == (agent, {"priority": 3}, {"priority": 1})
    with pytest.raises(TicketError) as exc:
        ticket_set_priority(ticket=ticket, priority=Ticket.Priority.P1, actor=agent)
    assert str(exc.value) == MSG_SAME_PRIORITY % {"priority": Ticket.Priority.P1.label}


def test_merging_two_customers_brings_the_duplicates_tickets_and_messages_along(scoped, agent):
    primary, duplicate = CustomerFactory(organization=scoped), CustomerFactory(organization=scoped)
    message = ticket_add_message(organization=scoped, customer=duplicate, channel="wechat_oa", source_ref="c",
                                 body="你好", message_id="m1")
    customer_merge(primary=primary, duplicate=duplicate, actor=agent)
    message.refresh_from_db()
    assert (message.customer, message.ticket.customer) == (primary, primary)
