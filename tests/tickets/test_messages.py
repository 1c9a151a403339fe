"""Inbound messages: they join the conversation's open ticket or open one; a redelivered message is recorded once."""


import pytest

from scrm.platform.tenancy import tenant_scope
from tests.concurrency import run_at_once
from tests.tickets.factories import CustomerFactory
from tickets.models import Comment, Ticket, TicketEvent
from tickets.services import ticket_add_message, ticket_change_status

Status = Ticket.Status


def _message(organization, customer, body, *, source_ref="conv-1", message_id=None, channel="wechat_oa"):
    return ticket_add_message(organization=organization, customer=customer, channel=channel, source_ref=source_ref,
                              body=body, message_id=message_id)


@pytest.mark.django_db
def test_a_first_message_opens_a_ticket_and_the_next_ones_join_it(scoped, customer):
    first = _message(scoped, customer, "你好\n我的冰箱不制冷了，买了一个月", message_id="m1")
    ticket = first.ticket
    assert (ticket.subject, ticket.channel, ticket.source_ref) == ("你好", "wechat_oa", "conv-1")
    assert ticket.description == "你好\n我的冰箱不制冷了，买了一个月"
    assert (first.customer, first.author, first.is_public, first.message_id) == (customer, None, True, "m1")

    second = _message(scoped, customer, "型号是 BCD-470", message_id="m2")
    other_conversation = _message(scoped, customer, "另外一个问题", source_ref="conv-2", message_id="m3")

    assert second.ticket == ticket
    assert other_conversation.ticket != ticket
    assert list(Comment.objects.filter(ticket=ticket).values_list("body", flat=True)) == [
        "你好\n我的冰箱不制冷了，买了一个月", "型号是 BCD-470"]
    assert [e.kind for e in TicketEvent.objects.filter(ticket=ticket)] == ["created", "comment", "comment"]


@pytest.mark.django_db
def test_a_long_first_line_is_cut_for_the_subject(scoped, customer):
    comment = _message(scoped, customer, "很" * 100)
    assert comment.ticket.subject == "很" * 59 + "…"


@pytest.mark.django_db
def test_a_message_reopens_a_pending_ticket(scoped, customer, agent):
    ticket = _message(scoped, customer, "在吗").ticket
    ticket_change_status(ticket=ticket, status=Status.OPEN, actor=agent)
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent)

    assert _message(scoped, customer, "订单号 E123").ticket == ticket

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    reopened = TicketEvent.objects.filter(ticket=ticket, kind="status").last()
    assert (reopened.actor, reopened.before, reopened.after) == (
        None, {"status": "pending"}, {"status": "open", "reason": "customer_replied"})


@pytest.mark.django_db
def test_a_message_after_resolution_opens_a_new_ticket(scoped, customer, agent):
    ticket = _message(scoped, customer, "在吗").ticket
    for status in (Status.OPEN, Status.RESOLVED):
        ticket_change_status(ticket=ticket, status=status, actor=agent)
    again = _message(scoped, customer, "又坏了")
    assert again.ticket != ticket
    assert again.ticket.status == Status.NEW


@pytest.mark.django_db
def test_a_redelivered_message_is_recorded_once(scoped, customer):
    first = _message(scoped, customer, "你好", message_id="wx-msg-1")
    again = _message(scoped, customer, "你好", message_id="wx-msg-1")
    assert again == first
    assert Comment.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.filter(kind="comment").count() == 1


@pytest.mark.django_db
def test_the_same_message_id_on_another_channel_is_another_message(scoped, customer):
    _message(scoped, customer, "你好", message_id="123", channel="wechat_oa")
    _message(scoped, customer, "你好", message_id="123", channel="jd", source_ref="order-9")
    assert Comment.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_message_delivered_ten_times_at_once_makes_one_ticket_and_one_comment(organization):
    with tenant_scope(organization):
        customer = CustomerFactory(organization=organization)
    results = [comment.pk for comment in
               run_at_once([lambda: _message(organization, customer, "冰箱不制冷", message_id="wx-dup")] * 10)]

    with tenant_scope(organization):
        assert Comment.objects.count() == 1
        assert Ticket.objects.count() == 1
        assert set(results) == {Comment.objects.get().pk}
        assert Ticket.objects.get().number.endswith("-000001")  # the losers' numbers were given back
