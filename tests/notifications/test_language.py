"""A notification is stored in no language (a coded message: its code and its facts) and worded for whoever reads
it: the centre in the reader's chosen language, what is sent in the recipient's. A row written before, a plain
sentence, still shows as it was."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from notifications.models import Notification
from notifications.services import SENTENCE_LENGTH, TITLE_LENGTH, notification_delivery_send, notify
from scrm.models import Role, User
from scrm.platform.coded import coded
from scrm.platform.tenancy import tenant_scope
from scrm.services import user_language_set
from tests.scrm.factories import TeamFactory
from tests.tickets.factories import QueueFactory, TicketFactory
from tickets.models import Ticket
from tickets.services import ticket_assign, ticket_open

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


def _centre(client, user, language):
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client.get("/notifications/").content.decode()


def test_the_same_notification_reads_in_chinese_or_english_as_its_reader_chose(client, organization, make_user):
    lead = make_user(organization, Role.SUPERVISOR, username="lead", email="")
    agent = make_user(organization, Role.AGENT, username="xiaoli", email="")
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization)
        ticket_assign(ticket=ticket, assignee=agent, actor=lead)
        stored = Notification.objects.get(recipient=agent).title
    assert json.loads(stored)["params"] == {"number": ticket.number}  # the facts, in no language

    assert f"工单 {ticket.number} 已分配给你" in _centre(client, agent, "zh-hans")
    english = _centre(client, agent, "en")
    assert f"Ticket {ticket.number} was assigned to you" in english
    assert "已分配给你" not in english and "&quot;code&quot;" not in english


def test_a_product_word_among_the_facts_is_worded_too(client, organization, make_user, customer):
    """A P1 nobody was given in a queue dispatched by hand: its supervisor's title holds the queue's name (a fact)
    and the priority (a word of the product, worded with the rest)."""
    lead = make_user(organization, Role.SUPERVISOR, username="lead", email="")
    with tenant_scope(organization):
        queue = QueueFactory(organization=organization, name="投诉专席", code="complaints", auto_assign=False,
                             team=TeamFactory(organization=organization, leader=lead))
        ticket = ticket_open(organization=organization, customer=customer, subject="订单丢失，我要投诉",
                             description="", channel="manual", queue=queue, priority=Ticket.Priority.P1)

    assert f"P1 紧急 工单 {ticket.number} 在“投诉专席”等待分配客服" in _centre(client, lead, "zh-hans")
    assert f"P1 urgent ticket {ticket.number} waits for an agent in 投诉专席" in _centre(client, lead, "en")


def test_a_row_stored_as_a_sentence_before_still_shows_as_it_is(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    with tenant_scope(organization):
        Notification.objects.create(organization=organization, recipient=agent, kind=Kind.SLA_BREACH,
                                    title="SLA：工单 T20261101-000001 首次响应已超时", body="首次响应截止时间 …")

    english = _centre(client, agent, "en")
    assert "SLA：工单 T20261101-000001 首次响应已超时" in english
    assert "首次响应截止时间 …" in english


def test_what_people_wrote_stays_as_they_wrote_it(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    with tenant_scope(organization):
        notify(recipient=agent, kind=Kind.MENTIONED, ticket=TicketFactory(organization=organization),
               body="请看一下 {\"code\": 1}")

    assert "请看一下 {&quot;code&quot;: 1}" in _centre(client, agent, "en")


def test_an_email_is_worded_in_the_recipients_language_not_the_workers(scoped, make_user, mailoutbox, settings):
    agent = make_user(scoped, Role.AGENT, email="xiaoli@example.com")
    ticket = TicketFactory(organization=scoped)
    with translation.override("en"):  # made while an English reader's request was active
        first = notify(recipient=agent, kind=Kind.MENTIONED, ticket=ticket)
        # A worker that happens to have English active still writes in the recipient's language (the product's:
        # this user chose none).
        notification_delivery_send(delivery_id=first.deliveries.get().pk)
    assert mailoutbox[-1].subject == f"[SCRM] 你在工单 {ticket.number} 中被提及"

    settings.LANGUAGE_CODE = "en"  # a server set up for English speakers
    second = notify(recipient=agent, kind=Kind.ASSIGNED, ticket=ticket)
    with translation.override("zh-hans"):
        notification_delivery_send(delivery_id=second.deliveries.get().pk)
    assert mailoutbox[-1].subject == f"[SCRM] Ticket {ticket.number} was assigned to you"


def test_each_recipient_gets_an_email_in_the_language_they_chose(scoped, make_user, mailoutbox):
    """Two agents mentioned on one ticket: the one who chose English (the language switch keeps it on their account)
    reads English, the other the product's Chinese, whichever language the worker has active."""
    english = make_user(scoped, Role.AGENT, username="xiaoli", email="xiaoli@example.com")
    chinese = make_user(scoped, Role.AGENT, username="xiaowang", email="xiaowang@example.com")
    user_language_set(user=english, language="en")
    ticket = TicketFactory(organization=scoped)
    for recipient, worker_language in ((english, "zh-hans"), (chinese, "en")):
        recipient = User.objects.get(pk=recipient.pk)  # as the worker loads it
        told = notify(recipient=recipient, kind=Kind.MENTIONED, ticket=ticket)
        with translation.override(worker_language):
            notification_delivery_send(delivery_id=told.deliveries.get().pk)

    subjects = {message.to[0]: message.subject for message in mailoutbox}
    assert subjects == {"xiaoli@example.com": f"[SCRM] You were mentioned on ticket {ticket.number}",
                        "xiaowang@example.com": f"[SCRM] 你在工单 {ticket.number} 中被提及"}


def test_a_channel_test_reads_in_the_readers_language(client, organization, make_user, settings):
    from notifications.services import notification_channel_test

    admin = make_user(organization, Role.OPS_ADMIN, email="ops@example.com", display_name="运营小王")
    notification_channel_test(organization=organization, by=admin, channel="email")

    english = _centre(client, admin, "en")
    assert "Test message from SCRM: this channel works" in english
    assert "Sent by" in english
    assert "SCRM 测试消息：此渠道可正常发送" in _centre(client, admin, "zh-hans")


def test_a_long_name_keeps_the_title_whole(scoped, make_user):
    """A title's JSON is longer than its sentence: the column has room for the longest facts a title holds, and
    a coded title too long for it anyway is worded rather than cut (cut JSON would show as JSON)."""
    agent = make_user(scoped, Role.AGENT)
    ticket = TicketFactory(organization=scoped)
    author = "长" * 300  # longer than any name a user has
    mention = notify(recipient=agent, kind=Kind.MENTIONED, ticket=ticket,
                     title=coded("tickets.mention_title", actor=author, number=ticket.number))
    stored = Notification.objects.get(pk=mention.pk).title
    assert len(stored) <= TITLE_LENGTH and json.loads(stored)["params"]["actor"] == author

    huge = coded("tickets.waiting_title", priority=coded("tickets.priority_1"), number="长" * 500, queue="长" * 500)
    assert len(huge) > TITLE_LENGTH
    told = notify(recipient=agent, kind=Kind.WAITING, ticket=ticket, title=huge)
    stored = Notification.objects.get(pk=told.pk).title
    assert stored.startswith("P1 紧急 工单 长长") and len(stored) == SENTENCE_LENGTH


def test_every_notification_text_reads_in_a_fresh_process():
    """A page is served by a process that may never have made a notification: every app's codes are registered
    once Django is set up (a code it did not know would show its JSON)."""
    texts = [coded("notifications.title_assigned", number="T1"), coded("notifications.kind_waiting"),
             coded("tickets.mention_title", actor="Li", number="T1"),
             coded("tickets.waiting_title", priority=coded("tickets.priority_2"), number="T1", queue="Q"),
             coded("tickets.low_rating_title", number="T1", rating=1, review="T2"),
             coded("sla.escalation_after_breach", number="T1", metric=coded("sla.metric_in_sentence_resolution"),
                   value=30),
             coded("sla.escalation_body", metric=coded("sla.metric_first_response"), due="2026-12-05 10:00",
                   subject="S"),
             coded("settlement.region_alert_title", region="华东", metric=coded("settlement.region_metric_margin"),
                   value="12.50", month="2026-11", baseline="20.00")]
    script = ("import json, sys, django; django.setup()\n"
              "from django.utils import translation\n"
              "from scrm.platform.coded import coded_render\n"
              "translation.activate('en')\n"
              "print(json.dumps([coded_render(t) for t in json.load(sys.stdin)]))\n")
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "scrm.settings"}
    done = subprocess.run(  # noqa: S603 - our own script, with this Python
        [sys.executable, "-c", script], input=json.dumps(texts), capture_output=True, text=True, env=environment,
        cwd=django_settings.BASE_DIR, check=True, timeout=120)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        "Ticket T1 was assigned to you", "Urgent ticket waiting", "Li mentioned you on ticket T1",
        "P2 high ticket T1 waits for an agent in Q", "Ticket T1 was rated 1/5: review T2 opened",
        "SLA: ticket T1 missed its resolution target 30 min ago", "First response due 2026-12-05 10:00 · S",
        "华东: Service margin 12.50% in 2026-11 (trailing average 20.00%)"]
