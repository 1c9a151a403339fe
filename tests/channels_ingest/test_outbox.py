"""The one outbox, on a reply to WeChat (the kind "wechat_reply") against the local fake WeChat server: racing
claimers send it once, a send in flight is not claimed again while its lease runs, a worker killed mid-send is sent
again only after its lease (at-least-once), back-off is honoured by the sweeper, and dead replies are replayed."""

import threading
from datetime import timedelta

import time_machine
from django.db import connection
from django.utils import timezone, translation

from channels_ingest.models import OutboundMessage
from channels_ingest.services import outbound_send
from channels_ingest.services.outbound import KIND, LEASE, MAX_ATTEMPTS
from scrm import tasks
from scrm.models import Role
from scrm.platform import outbox
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.channels_ingest.conftest import make_account
from tests.concurrency import run_at_once
from tests.tickets.factories import TicketFactory
from tickets.models import Comment

SEND = "/cgi-bin/message/custom/send"


def _pending_reply(organization, body="您好，已为您安排。"):
    """A reply waiting in the outbox, as a ticket reply leaves it once committed (its published id not yet run)."""
    account = make_account(organization)
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, source_ref=f"{account.slug}:oOpenid-race")
        comment = Comment.objects.create(organization=organization, ticket=ticket, body=body, is_public=True)
        return OutboundMessage.objects.create(organization=organization, account=account, comment=comment,
                                              to_user="oOpenid-race", body=body)


def _reply(pk):
    with platform_scope():
        return OutboundMessage.objects.get(pk=pk)


def _sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        tasks.outbox_sweep.apply()


def test_two_workers_and_the_sweeper_racing_on_one_reply_send_it_once(transactional_db, organization, fake_wechat,
                                                                     eager_tasks):
    fake_wechat.delays[SEND] = 0.3  # the first claimer is still talking to WeChat when the others look
    reply = _pending_reply(organization)
    with platform_scope():  # its published id was lost: the sweeper may take it too
        OutboundMessage.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))

    run_at_once([
        lambda: outbound_send(outbound_id=reply.pk),
        lambda: outbound_send(outbound_id=reply.pk),
        lambda: tasks.outbox_sweep.apply().get(),
    ])

    assert len(fake_wechat.calls_to(SEND)) == 1
    reply = _reply(reply.pk)
    assert (reply.status, reply.attempts, reply.lease_until, reply.next_attempt_at) == ("sent", 1, None, None)


def test_a_slow_send_in_flight_is_never_claimed_again_while_its_lease_runs(transactional_db, organization,
                                                                           fake_wechat, eager_tasks):
    fake_wechat.delays[SEND] = 1.5
    reply = _pending_reply(organization)
    results = []

    def worker():
        try:
            results.append(outbound_send(outbound_id=reply.pk))
        finally:
            connection.close()

    slow = threading.Thread(target=worker)
    slow.start()
    assert fake_wechat.arrived.wait(10)
    in_flight = _reply(reply.pk)
    assert in_flight.status == "sending" and in_flight.lease_until > timezone.now() + LEASE - timedelta(seconds=10)
    # Another worker's message and the sweeper, while WeChat is still answering: nothing to do for either.
    assert outbound_send(outbound_id=reply.pk) is None
    tasks.outbox_sweep.apply()
    slow.join(20)

    assert results == ["sent"]
    assert len(fake_wechat.calls_to(SEND)) == 1
    assert _reply(reply.pk).status == "sent"


def test_a_worker_killed_mid_send_is_sent_again_only_after_its_lease_expired(organization, fake_wechat,
                                                                             eager_tasks):
    reply = _pending_reply(organization)
    # A worker claimed it and died before recording anything (killed -9 while WeChat answered): in flight.
    [(_pk, _org, attempt)] = outbox.claim(outbox.kind_of(KIND), [reply.pk])
    assert attempt == 1
    claimed = _reply(reply.pk)
    assert claimed.status == "sending"

    _sweep_at(claimed.lease_until - timedelta(seconds=1))
    assert outbound_send(outbound_id=reply.pk) is None
    assert fake_wechat.calls_to(SEND) == []  # still someone's: the lease runs

    _sweep_at(claimed.lease_until + timedelta(seconds=1))
    assert len(fake_wechat.calls_to(SEND)) == 1  # at-least-once: the dead worker may have sent it too
    reply = _reply(reply.pk)
    assert (reply.status, reply.attempts) == ("sent", 2)


def test_a_killed_worker_on_the_last_attempt_leaves_the_reply_dead_and_the_agent_told(organization, fake_wechat,
                                                                                      eager_tasks):
    reply = _pending_reply(organization)
    with platform_scope():
        OutboundMessage.objects.filter(pk=reply.pk).update(attempts=MAX_ATTEMPTS - 1)
    outbox.claim(outbox.kind_of(KIND), [reply.pk])
    _sweep_at(_reply(reply.pk).lease_until + timedelta(seconds=1))
    assert fake_wechat.calls_to(SEND) == []
    reply = _reply(reply.pk)
    assert reply.status == "dead"
    with translation.override("en"):  # the sweep's words, for whoever reads the row
        assert reply.last_error_display == "The last attempt's worker stopped before it finished."
    with translation.override("zh-hans"):
        assert reply.last_error_display == "最后一次尝试的处理进程在完成前停止了。"
    with platform_scope():
        assert Comment.objects.filter(ticket=reply.comment.ticket, is_public=False).count() == 1


def test_the_sweeper_honours_the_back_off_of_a_failed_reply(organization, fake_wechat, eager_tasks):
    fake_wechat.answer(SEND, (502, {"error": "bad gateway"}, None), (200, {"errcode": 0}, None))
    reply = _pending_reply(organization)
    assert outbound_send(outbound_id=reply.pk) == "failed"
    failed = _reply(reply.pk)
    assert timedelta(seconds=30) <= failed.next_attempt_at - timezone.now() <= timedelta(seconds=37)

    _sweep_at(failed.next_attempt_at - timedelta(seconds=1))
    assert len(fake_wechat.calls_to(SEND)) == 1
    assert _reply(reply.pk).status == "failed"

    _sweep_at(failed.next_attempt_at + timedelta(seconds=1))
    assert len(fake_wechat.calls_to(SEND)) == 2
    reply = _reply(reply.pk)
    assert (reply.status, reply.attempts, reply.last_error) == ("sent", 2, "")


def test_ops_send_a_dead_reply_again_from_the_account_page(organization, fake_wechat, eager_tasks, client,
                                                           make_user, django_capture_on_commit_callbacks):
    fake_wechat.answer(SEND, (200, {"errcode": 48001, "errmsg": "api unauthorized"}, None),
                       (200, {"errcode": 0}, None))
    reply = _pending_reply(organization)
    assert outbound_send(outbound_id=reply.pk) == "dead"  # a refusal no retry can fix: dead at once
    ops = make_user(organization, Role.OPS_ADMIN, username="ops-replay")
    client.force_login(ops)
    page = client.get(f"/settings/channels/{reply.account_id}/").content.decode()
    assert f"reply-replay-{reply.pk}" in page and "48001" in page

    with django_capture_on_commit_callbacks(execute=True):  # ops fixed the account's permissions, then:
        response = client.post(f"/settings/channels/{reply.account_id}/replies/{reply.pk}/replay/")
    assert response.status_code == 302
    assert len(fake_wechat.calls_to(SEND)) == 2
    reply = _reply(reply.pk)
    assert (reply.status, reply.attempts, reply.errcode) == ("sent", 1, None)
