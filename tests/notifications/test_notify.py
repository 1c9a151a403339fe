"""Notifications: who is told what (assignment, transfer), the outbox rows behind email, and the rules of the
service (nobody is told what they did themselves; another organization's ticket is refused)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications.errors import MSG_NOTIFY_OTHER_ORG, NotificationError
from notifications.models import Notification, NotificationDelivery
from notifications.services import notification_delivery_send, notify
from scrm.models import Role
from scrm.platform.outbox import sweep as outbox_sweep
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.scrm.factories import TeamFactory
from tests.tenancy import tenant_pair
from tests.tickets.factories import QueueFactory, TicketFactory, TicketTypeFactory, make_agent
from tickets.services import ticket_assign, ticket_open, ticket_take_next, ticket_transfer

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


def _ticket(organization, **kwargs):
    return TicketFactory(organization=organization, **kwargs)


def test_a_supervisor_assigning_a_ticket_tells_the_agent_in_app_and_queues_an_email(
        scoped, make_user, django_capture_on_commit_callbacks):
    supervisor = make_user(scoped, Role.SUPERVISOR, username="boss")
    agent = make_user(scoped, Role.AGENT, username="xiaoli", email="xiaoli@example.com")
    ticket = _ticket(scoped, subject="空调不制冷")

    with django_capture_on_commit_callbacks() as callbacks:
        ticket_assign(ticket=ticket, assignee=agent, actor=supervisor)

    notification = Notification.objects.get(recipient=agent)
    assert notification.kind == Kind.ASSIGNED
    assert notification.ticket == ticket and notification.actor == supervisor
    assert ticket.number in notification.title
    assert notification.read_at is None
    delivery = NotificationDelivery.objects.get(notification=notification)
    assert (delivery.channel, delivery.address, delivery.status) == ("email", "xiaoli@example.com", "pending")
    assert len(callbacks) == 1  # the delivery task, enqueued only once the assignment commits


def test_taking_the_next_ticket_or_assigning_oneself_tells_nobody(scoped, make_user):
    queue = QueueFactory(organization=scoped, auto_assign=False)
    agent = make_agent(scoped, queues=[queue])
    _ticket(scoped, queue=queue)
    other = _ticket(scoped, queue=queue)

    assert ticket_take_next(agent=agent) is not None
    ticket_assign(ticket=other, assignee=agent, actor=agent)

    assert not Notification.objects.exists()


def test_an_automatic_assignment_tells_the_agent(scoped, customer):
    queue = QueueFactory(organization=scoped)
    agent = make_agent(scoped, queues=[queue])
    ticket_type = TicketTypeFactory(organization=scoped, default_queue=queue)
    ticket = ticket_open(organization=scoped, customer=customer, subject="咨询", description="", channel="manual",
                         type=ticket_type)

    assert ticket.assignee == agent
    assert Notification.objects.get(recipient=agent).kind == Kind.ASSIGNED


def test_a_transfer_tells_the_supervisor_of_the_receiving_queue(scoped, make_user):
    leader = make_user(scoped, Role.SUPERVISOR, username="qa-lead")
    team = TeamFactory(organization=scoped, leader=leader)
    target = QueueFactory(organization=scoped, team=team, name="技术支持")
    agent = make_user(scoped, Role.AGENT)
    ticket = _ticket(scoped, queue=QueueFactory(organization=scoped))

    ticket_transfer(ticket=ticket, queue=target, reason="需要工程师上门", actor=agent)

    notification = Notification.objects.get(recipient=leader)
    assert notification.kind == Kind.TRANSFERRED
    assert notification.body == "需要工程师上门"
    # Transfers are in-app only by default: no email for them.
    assert not NotificationDelivery.objects.exists()


def test_users_without_an_email_get_the_in_app_notification_only(scoped, make_user):
    agent = make_user(scoped, Role.AGENT, email="")
    notify(recipient=agent, kind=Kind.MENTIONED, ticket=_ticket(scoped))

    assert Notification.objects.filter(recipient=agent).count() == 1
    assert not NotificationDelivery.objects.exists()


def test_a_ticket_of_another_organization_is_refused_and_nothing_is_written(db):
    a, b = tenant_pair()
    with tenant_scope(b.organization):
        foreign = TicketFactory(organization=b.organization)
    with pytest.raises(NotificationError) as error:
        notify(recipient=a.users[Role.AGENT], kind=Kind.ASSIGNED, ticket=foreign)
    assert str(error.value) == str(MSG_NOTIFY_OTHER_ORG)
    with platform_scope():
        assert not Notification.objects.exists()


def test_a_delivery_marked_sent_is_never_sent_twice(scoped, make_user, mailoutbox):
    agent = make_user(scoped, Role.AGENT, email="xiaoli@example.com")
    notification = notify(recipient=agent, kind=Kind.MENTIONED, ticket=_ticket(scoped), body="请看一下")
    delivery = notification.deliveries.get()

    assert notification_delivery_send(delivery_id=delivery.pk) is None
    assert notification_delivery_send(delivery_id=delivery.pk) is None  # a redelivered task

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["xiaoli@example.com"]
    assert message.subject == f"[SCRM] 你在工单 {notification.ticket.number} 中被提及"
    assert "请看一下" in message.body
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 1 and delivery.sent_at is not None


def test_a_failed_send_is_scheduled_again_with_back_off_then_dead(scoped, make_user, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_notify.RefusingBackend"
    settings.NOTIFY_MAX_ATTEMPTS, settings.NOTIFY_RETRY_BASE_SECONDS = 3, 30
    agent = make_user(scoped, Role.AGENT)
    delivery = notify(recipient=agent, kind=Kind.ASSIGNED, ticket=_ticket(scoped)).deliveries.get()

    assert 30 <= notification_delivery_send(delivery_id=delivery.pk) <= 36  # 30 s and up to 20 % jitter
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "mail server refused" in delivery.last_error
    # Too early (a duplicate task): nothing happens.
    assert notification_delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.attempts == 1

    NotificationDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    assert 60 <= notification_delivery_send(delivery_id=delivery.pk) <= 72
    NotificationDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    assert notification_delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("dead", 3, None)
    assert len(mail.outbox) == 0


class RefusingBackend:
    """An email backend that always fails, as an unreachable mail server does."""

    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server refused the connection")


def test_the_sweep_sends_deliveries_whose_task_was_lost_or_whose_retry_is_due(scoped, make_user, mailoutbox,
                                                                               eager_tasks):
    agent = make_user(scoped, Role.AGENT, email="xiaoli@example.com")
    lost = notify(recipient=agent, kind=Kind.ASSIGNED, ticket=_ticket(scoped)).deliveries.get()
    fresh = notify(recipient=agent, kind=Kind.MENTIONED, ticket=_ticket(scoped)).deliveries.get()
    retry_due = notify(recipient=agent, kind=Kind.ESCALATED, ticket=_ticket(scoped)).deliveries.get()
    retry_later = notify(recipient=agent, kind=Kind.ASSIGNED, ticket=_ticket(scoped)).deliveries.get()
    long_ago, soon = timezone.now() - timedelta(minutes=10), timezone.now() + timedelta(minutes=1)
    # Their published ids never reached a worker (none ran: this test's transaction never commits).
    NotificationDelivery.objects.filter(pk=lost.pk).update(next_attempt_at=long_ago)
    NotificationDelivery.objects.filter(pk=retry_due.pk).update(status="failed", attempts=1, next_attempt_at=long_ago)
    NotificationDelivery.objects.filter(pk=retry_later.pk).update(status="failed", attempts=1, next_attempt_at=soon)

    assert outbox_sweep()["notification"] == 2

    statuses = dict(NotificationDelivery.objects.values_list("pk", "status"))
    assert statuses == {lost.pk: "sent", retry_due.pk: "sent", fresh.pk: "pending", retry_later.pk: "failed"}
    assert len(mailoutbox) == 2
