"""Notification deliveries in the one outbox: the mail server is called with no row lock and no transaction held,
so a stalled SMTP server blocks nobody else working on the delivery's row; and a dead delivery can be replayed."""

import threading

from django.db import connection, transaction
from django.utils import translation

from notifications.models import Notification, NotificationDelivery
from notifications.services import notification_delivery_replay, notification_delivery_send, notify
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.notifications.fake_smtp import fake_smtp_server
from tests.tickets.factories import TicketFactory

Kind = Notification.Kind


def _smtp(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


def _delivery(organization, make_user):
    agent = make_user(organization, Role.AGENT, username="xiaoli", email="xiaoli@example.com")
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, subject="空调不制冷")
        with transaction.atomic():
            delivery = notify(recipient=agent, kind=Kind.ASSIGNED, ticket=ticket).deliveries.get()
            transaction.set_rollback(False)
    return delivery


def test_no_row_lock_is_held_while_the_mail_server_stalls(transactional_db, organization, make_user, settings):
    with fake_smtp_server(stall=True) as (server, port):
        _smtp(settings, port)
        delivery = _delivery(organization, make_user)
        results = []

        def worker():
            try:
                with tenant_scope(organization):
                    results.append(notification_delivery_send(delivery_id=delivery.pk))
            finally:
                connection.close()

        sending = threading.Thread(target=worker)
        sending.start()
        try:
            assert server.holding.wait(10)
            # Another transaction takes the row's lock at once: the sender holds none while SMTP stalls.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT status FROM notifications_notificationdelivery WHERE id = %s FOR UPDATE NOWAIT",
                               [delivery.pk])
                assert cursor.fetchone() == ("sending",)
        finally:
            server.hold.set()
            sending.join(20)

    assert results == [None]
    with platform_scope():
        delivery = NotificationDelivery.objects.get(pk=delivery.pk)
    assert (delivery.status, delivery.attempts, delivery.lease_until) == ("sent", 1, None)
    assert len(server.messages) == 1


def test_a_dead_delivery_is_replayed_and_sent(organization, make_user, settings, mailoutbox,
                                              django_capture_on_commit_callbacks, eager_tasks):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    with fake_smtp_server(refuse_all=True) as (_server, port):
        _smtp(settings, port)
        delivery = _delivery(organization, make_user)
        with tenant_scope(organization):
            assert notification_delivery_send(delivery_id=delivery.pk) is None
            delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    assert "451" in delivery.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the mail server is fixed
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_delivery_replay(delivery=delivery) is not None
    with platform_scope():
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert len(mailoutbox) == 1
    assert notification_delivery_replay(delivery=delivery) is None  # sent: nothing to replay


def test_a_recipient_the_mail_server_refuses_for_good_goes_dead_at_once_saying_why(organization, make_user,
                                                                                   settings):
    """550: the mailbox does not exist; no retry delivers it (it was retried five times, over hours)."""
    with fake_smtp_server(rcpt_answer="550 5.1.1 <xiaoli@example.com>: user unknown") as (server, port):
        _smtp(settings, port)
        delivery = _delivery(organization, make_user)
        with tenant_scope(organization):
            assert notification_delivery_send(delivery_id=delivery.pk) is None
            delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    with translation.override("en"):
        assert delivery.last_error_display == ("The mail server refused xiaoli@example.com: "
                                               "550 5.1.1 <xiaoli@example.com>: user unknown")
    with translation.override("zh-hans"):  # the server's own answer stays as it came
        assert delivery.last_error_display == ("邮件服务器拒收 xiaoli@example.com："
                                               "550 5.1.1 <xiaoli@example.com>: user unknown")
    assert server.messages == []


def test_a_recipient_refused_for_now_is_retried(organization, make_user, settings):
    with fake_smtp_server(rcpt_answer="450 4.2.1 mailbox busy") as (_server, port):
        _smtp(settings, port)
        delivery = _delivery(organization, make_user)
        with tenant_scope(organization):
            assert notification_delivery_send(delivery_id=delivery.pk) is not None  # seconds to its retry
            delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "450" in delivery.last_error
