"""A user's own choice of what is emailed to them (个人设置): nothing changes for one who never chose, a kind turned
off stops its email but never the in-app notification, a kind turned on gets one, the channels an SLA escalation
step names are the organization's rule and ignore the choice, and one user's choice is nobody else's."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from notifications.errors import MSG_PREFERENCE_KIND_NOT_OFFERED, MSG_PREFERENCES_NO_ORGANIZATION, NotificationError
from notifications.models import Notification, NotificationDelivery, NotificationPreference
from notifications.selectors import email_kinds_offered
from notifications.senders import EMAIL_KINDS
from notifications.services import (
    email_kinds_sent,
    notification_delivery_send,
    notification_preferences_set,
    notify,
)
from scrm.models import Role, User
from scrm.platform.tenancy import platform_scope
from sla.services import sla_sweep
from tests.sla.factories import office_calendar, sla_policy, staffed_queue
from tests.tickets.factories import TicketFactory
from tickets.services import ticket_assign, ticket_open

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
SH = ZoneInfo("Asia/Shanghai")


def _emails(user):
    return sorted(NotificationDelivery.objects.filter(notification__recipient=user, channel="email")
                  .values_list("notification__kind", flat=True))


def _tell_of_every_kind(user, ticket, kinds=None):
    for kind in kinds or Kind:
        if kind not in (Kind.CHANNEL_TEST, Kind.CUSTOMER_SMS):  # never through notify
            notify(recipient=user, kind=kind, ticket=ticket)


def test_a_user_who_never_chose_gets_exactly_the_emails_everyone_got(scoped, make_user):
    agent = make_user(scoped, Role.AGENT, email="xiaoli@example.com")
    ticket = TicketFactory(organization=scoped)

    _tell_of_every_kind(agent, ticket)

    assert _emails(agent) == sorted(str(kind) for kind in EMAIL_KINDS)
    assert email_kinds_sent(user=agent) == EMAIL_KINDS
    assert not NotificationPreference.objects.exists()


def test_saving_the_defaults_unchanged_stores_nothing_and_sends_the_same(scoped, make_user):
    agent = make_user(scoped, Role.AGENT, email="xiaoli@example.com")
    offered = email_kinds_offered(user=agent)

    sent = notification_preferences_set(user=agent, email_kinds=[kind for kind in offered if kind in EMAIL_KINDS])

    assert sent == EMAIL_KINDS
    assert not NotificationPreference.objects.exists()


def test_turning_assigned_off_stops_its_email_but_keeps_the_notification_in_the_product(
        scoped, make_user, django_capture_on_commit_callbacks):
    supervisor = make_user(scoped, Role.SUPERVISOR)
    agent = make_user(scoped, Role.AGENT, email="xiaoli@example.com")
    notification_preferences_set(user=agent, email_kinds=[Kind.MENTIONED, Kind.WAITING, Kind.RATING_LOW])
    ticket = TicketFactory(organization=scoped, subject="空调不制冷")

    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, assignee=agent, actor=supervisor)

    notification = Notification.objects.get(recipient=agent)
    assert notification.kind == Kind.ASSIGNED and notification.read_at is None
    assert not notification.deliveries.exists()
    assert mail.outbox == []
    # The other kinds they kept still go out.
    notify(recipient=agent, kind=Kind.MENTIONED, ticket=ticket, actor=supervisor)
    assert _emails(agent) == ["mentioned"]


def test_turning_sla_breach_on_sends_one_email_when_the_ladder_tells_them(scoped, customer, settings):
    settings.SMS_PROVIDER, settings.WECOM_CORP_ID = "", ""  # no WeCom, no SMS: email is the only channel
    calendar = office_calendar(scoped, china=False)
    _queue, ticket_type, _agent, supervisor = staffed_queue(scoped)
    with platform_scope():
        User.all_objects.filter(pk=supervisor.pk).update(email="lead@example.com")
    supervisor.refresh_from_db()
    notification_preferences_set(user=supervisor,
                                 email_kinds=[*sorted(EMAIL_KINDS & set(email_kinds_offered(user=supervisor))),
                                              Kind.SLA_BREACH])
    sla_policy(scoped, calendar, steps=[{"metric": "first_response", "trigger": "breach", "notify_supervisor": True}])
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):
        ticket = ticket_open(organization=scoped, customer=customer, subject="冰箱不制冷", description="",
                             channel="wechat_oa", type=ticket_type)

    sla_sweep(now=datetime(2026, 11, 23, 11, 30, tzinfo=SH))

    delivery = NotificationDelivery.objects.get(notification__recipient=supervisor, channel="email")
    assert delivery.notification.kind == Kind.SLA_BREACH and delivery.address == "lead@example.com"
    assert notification_delivery_send(delivery_id=delivery.pk) is None
    assert len(mail.outbox) == 1 and ticket.number in mail.outbox[0].subject


def test_an_escalation_steps_wecom_and_sms_are_sent_whatever_the_user_chose(scoped, customer, settings):
    settings.WECOM_CORP_ID, settings.WECOM_SECRET, settings.WECOM_AGENT_ID = "corp", "secret", 1000002
    settings.SMS_PROVIDER = "aliyun"
    calendar = office_calendar(scoped, china=False)
    _queue, ticket_type, _agent, supervisor = staffed_queue(scoped)
    with platform_scope():
        User.all_objects.filter(pk=supervisor.pk).update(mobile="+8613812345678", email="lead@example.com")
    supervisor.refresh_from_db()
    notification_preferences_set(user=supervisor, email_kinds=[])  # every email off
    sla_policy(scoped, calendar, steps=[{"metric": "first_response", "trigger": "breach", "notify_supervisor": True,
                                         "via_wecom": True, "via_sms": True}])
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False):
        ticket_open(organization=scoped, customer=customer, subject="冰箱不制冷", description="",
                    channel="wechat_oa", type=ticket_type)

    sla_sweep(now=datetime(2026, 11, 23, 11, 30, tzinfo=SH))

    notification = Notification.objects.get(recipient=supervisor, kind=Kind.SLA_BREACH)
    assert sorted(notification.deliveries.values_list("channel", "address")) == [
        ("sms", "+8613812345678"), ("wecom", supervisor.username)]


def test_one_users_choice_leaves_another_users_emails_alone(scoped, make_user):
    quiet = make_user(scoped, Role.AGENT, email="quiet@example.com")
    colleague = make_user(scoped, Role.AGENT, email="colleague@example.com")
    ticket = TicketFactory(organization=scoped)

    notification_preferences_set(user=quiet, email_kinds=[Kind.SLA_BREACH])
    offered = email_kinds_offered(user=quiet)
    _tell_of_every_kind(quiet, ticket, offered)
    _tell_of_every_kind(colleague, ticket, offered)

    assert _emails(quiet) == ["sla_breach"]
    assert _emails(colleague) == sorted(str(kind) for kind in EMAIL_KINDS & set(offered))
    assert email_kinds_sent(user=colleague) == EMAIL_KINDS
    assert set(NotificationPreference.objects.values_list("user_id", flat=True)) == {quiet.pk}


def test_a_kind_not_sent_to_the_user_is_refused_and_nothing_is_saved(scoped, make_user):
    agent = make_user(scoped, Role.AGENT, email="xiaoli@example.com")
    assert Kind.REGION_ALERT not in email_kinds_offered(user=agent)  # finance's

    with pytest.raises(NotificationError) as refused:
        notification_preferences_set(user=agent, email_kinds=[Kind.REGION_ALERT])

    assert str(refused.value) == MSG_PREFERENCE_KIND_NOT_OFFERED % {"kind": Kind.REGION_ALERT.label}
    assert not NotificationPreference.objects.exists()


def test_finance_chooses_the_region_alerts_and_no_ticket_kinds(scoped, make_user):
    finance = make_user(scoped, Role.FINANCE, email="cw@example.com")

    assert email_kinds_offered(user=finance) == (Kind.REGION_ALERT,)
    notification_preferences_set(user=finance, email_kinds=[Kind.REGION_ALERT])
    notify(recipient=finance, kind=Kind.REGION_ALERT, title="华东区退款率上升")

    assert _emails(finance) == ["region_alert"]


def test_a_user_of_no_organization_has_nothing_to_choose(db):
    with platform_scope():
        operator = User.objects.create_superuser("platform-operator", password="Sl0w-Turtle!")  # noqa: S106

    assert email_kinds_offered(user=operator) == ()
    with pytest.raises(NotificationError) as refused:
        notification_preferences_set(user=operator, email_kinds=[])
    assert str(refused.value) == str(MSG_PREFERENCES_NO_ORGANIZATION)
