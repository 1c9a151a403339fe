"""Notifications through a real Celery worker and the Redis broker: the email leaves after the assignment
commits, and a mail server that refuses for a while is retried with back-off until it takes the message."""

import time

import tickets.tasks  # noqa: F401 - registers the tasks with the worker's app
from notifications.models import Notification, NotificationDelivery
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.notifications.fake_smtp import fake_smtp_server
from tests.tickets.factories import TicketFactory
from tickets.services import ticket_assign


def _wait_for_delivery(statuses, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with platform_scope():
            delivery = NotificationDelivery.objects.select_related("notification").first()
        if delivery is not None and delivery.status in statuses:
            return delivery
        time.sleep(0.2)
    raise AssertionError(f"delivery still {delivery and delivery.status} after {timeout}s (is the worker running?)")


def _assign(organization, make_user):
    supervisor = make_user(organization, Role.SUPERVISOR, username="boss")
    agent = make_user(organization, Role.AGENT, username="xiaoli", email="xiaoli@example.com")
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, subject="空调不制冷")
    ticket_assign(ticket=ticket, assignee=agent, actor=supervisor)
    return ticket, agent


def test_a_real_worker_emails_the_agent_a_ticket_was_assigned_to(celery_worker, organization, make_user,  # noqa: F811
                                                                 mailoutbox):
    ticket, agent = _assign(organization, make_user)

    delivery = _wait_for_delivery({"sent", "dead", "failed"})

    assert delivery.status == "sent", delivery.last_error
    assert delivery.attempts == 1
    with tenant_scope(organization):
        assert Notification.objects.get(recipient=agent).pk == delivery.notification_id
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["xiaoli@example.com"]
    assert ticket.number in mailoutbox[0].subject


def test_a_mail_server_refusing_twice_is_retried_until_it_takes_the_message(celery_worker, organization,  # noqa: F811
                                                                            make_user, settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 1
    with fake_smtp_server(refuse_first=2) as (server, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        ticket, _agent = _assign(organization, make_user)

        delivery = _wait_for_delivery({"sent", "dead"})

    assert delivery.status == "sent", delivery.last_error
    assert delivery.attempts == 3
    assert server.attempts == 3
    assert len(server.messages) == 1
    assert "xiaoli@example.com" in server.messages[0]


def test_a_mail_server_that_never_answers_well_leaves_the_delivery_dead(celery_worker, organization,  # noqa: F811
                                                                        make_user, settings):
    settings.NOTIFY_RETRY_BASE_SECONDS, settings.NOTIFY_MAX_ATTEMPTS = 0, 2
    with fake_smtp_server(refuse_all=True) as (server, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        _assign(organization, make_user)

        delivery = _wait_for_delivery({"dead"})

    assert delivery.attempts == 2
    assert "451" in delivery.last_error
    assert server.messages == []
