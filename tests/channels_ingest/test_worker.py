"""The worker side: failures, retries, dead events and replay, the re-enqueue sweep, replies to WeChat through the
outbox, and access tokens shared through the cache. WeChat's API is the local fake server."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from channels_ingest.errors import MSG_NOT_REPLAYABLE, ChannelError
from channels_ingest.models import InboundEvent, OutboundMessage
from channels_ingest.services import event_process, event_replay
from channels_ingest.services.processing import KIND, MAX_ATTEMPTS
from scrm import tasks
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.channels_ingest.wechat import message
from tickets.models import Comment, Ticket, TicketEvent
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db


def _sweep_after(delta):
    """The beat's outbox sweep, run (eagerly) `delta` from now."""
    with time_machine.travel(timezone.now() + delta, tick=False):
        tasks.outbox_sweep.delay()


def _event():
    with platform_scope():
        return InboundEvent.objects.get()


def _store(oa, fields, django_capture_on_commit_callbacks):
    """Post a callback but do not run the worker (as if the broker were down)."""
    with django_capture_on_commit_callbacks(execute=False):
        assert oa.post(fields).content == b"success"
    return _event()


def _break_processing(event):
    """Make the event fail in processing the way a bad payload would (a message with no sender)."""
    fields = {**event.fields, "FromUserName": ""}
    with platform_scope():
        InboundEvent.objects.filter(pk=event.pk).update(fields=fields)


def test_a_failing_event_is_retried_then_dead_then_replayed(oa, django_capture_on_commit_callbacks, eager_tasks,
                                                             organization):
    event = _store(oa, message("text", Content="会失败"), django_capture_on_commit_callbacks)
    fields = event.fields
    with platform_scope():  # a message with no sender cannot be put on a customer's ticket
        InboundEvent.objects.filter(pk=event.pk).update(fields={**fields, "FromUserName": ""})
    assert event_process(event_id=event.pk) == InboundEvent.Status.FAILED
    for attempt in range(1, MAX_ATTEMPTS):  # each retry once its back-off (at most an hour and some) is over
        _sweep_after(timedelta(hours=2 * attempt))
    event = _event()
    assert event.status == InboundEvent.Status.DEAD
    assert event.attempts == MAX_ATTEMPTS
    assert event.last_error
    with platform_scope():
        assert Comment.objects.count() == 0
        InboundEvent.objects.filter(pk=event.pk).update(fields=fields)  # the cause is fixed
    with django_capture_on_commit_callbacks(execute=True):
        event_replay(event=event)
    event = _event()
    assert event.status == InboundEvent.Status.PROCESSED
    with platform_scope():
        assert Comment.objects.get().body == "会失败"


def test_only_failed_or_dead_events_can_be_replayed(oa, deliver):
    deliver(oa, message("text", Content="好的"))
    with pytest.raises(ChannelError) as error:
        event_replay(event=_event())
    assert str(error.value) == str(MSG_NOT_REPLAYABLE)


def test_processing_an_event_twice_changes_nothing(oa, deliver):
    deliver(oa, message("text", Content="一次"))
    event = _event()
    assert event_process(event_id=event.pk) is None
    with platform_scope():
        assert Comment.objects.count() == 1
    assert _event().attempts == 1


def test_the_sweep_processes_events_the_broker_never_delivered(oa, django_capture_on_commit_callbacks, eager_tasks):
    _store(oa, message("text", Content="broker 挂了"), django_capture_on_commit_callbacks)
    tasks.outbox_sweep.delay()
    assert _event().status == InboundEvent.Status.RECEIVED  # under a minute old: maybe still in the queue
    _sweep_after(timedelta(minutes=2))
    assert _event().status == InboundEvent.Status.PROCESSED
    _sweep_after(timedelta(minutes=4))
    with platform_scope():
        assert Comment.objects.count() == 1


def test_the_ops_page_shows_failed_events_and_replays_them(oa, client, organization, make_user,
                                                          django_capture_on_commit_callbacks, eager_tasks,
                                                          oa_account, django_assert_max_num_queries):
    event = _store(oa, message("text", Content="等重放"), django_capture_on_commit_callbacks)
    with platform_scope():
        InboundEvent.objects.filter(pk=event.pk).update(status=InboundEvent.Status.DEAD, attempts=5,
                                                        last_error="KeyError: boom")
    ops = make_user(organization, Role.OPS_ADMIN, username="ops-channels")
    client.force_login(ops)
    url = f"/settings/channels/{oa_account.pk}/"
    with django_assert_max_num_queries(15):
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "KeyError: boom" in html
    assert f"replay-{event.pk}" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/settings/channels/{oa_account.pk}/events/{event.pk}/replay/")
    assert response.status_code == 302
    assert _event().status == InboundEvent.Status.PROCESSED


def test_agents_cannot_see_the_channels_pages(client, agent, oa_account):
    client.force_login(agent)
    assert client.get(f"/settings/channels/{oa_account.pk}/").status_code == 403
    assert client.get("/settings/channels/").status_code == 403


def test_a_batch_with_a_failing_event_processes_the_others_and_retries_that_one_alone(
        oa, django_capture_on_commit_callbacks, eager_tasks):
    """The worker runs a published batch of ids; each event is its own transaction, so one bad payload fails alone."""
    texts = ["第一条", "会失败", "第三条", "第四条"]
    for text in texts:
        with django_capture_on_commit_callbacks(execute=False):  # stored, not yet handed to a worker
            assert oa.post(message("text", Content=text)).content == b"success"
    with platform_scope():
        events = list(InboundEvent.objects.order_by("pk"))
    _break_processing(events[1])

    tasks.outbox_run.delay(KIND, [event.pk for event in events])

    with platform_scope():
        statuses = dict(InboundEvent.objects.values_list("pk", "status"))
        assert [statuses[event.pk] for event in events] == [InboundEvent.Status.PROCESSED, InboundEvent.Status.FAILED,
                                                           InboundEvent.Status.PROCESSED, InboundEvent.Status.PROCESSED]
        assert list(Comment.objects.order_by("pk").values_list("body", flat=True)) == ["第一条", "第三条", "第四条"]
        assert Comment.objects.values("ticket").distinct().count() == 1
        failed = InboundEvent.objects.get(pk=events[1].pk)
    assert (failed.attempts, failed.comment_id) == (1, None)
    assert failed.last_error


def test_a_message_appended_to_an_open_ticket_takes_a_bounded_number_of_queries(
        oa, deliver, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    """Claim, read, conversation lock, customer, ticket lock, duplicate check, comment, timeline, customer's last
    contact, ticket, outcome, and the transaction around them: the worker's cost per message, which sets how many
    messages two worker processes turn into ticket messages per second."""
    deliver(oa, message("text", Content="第一条"))  # opens the ticket
    with django_capture_on_commit_callbacks(execute=False):
        assert oa.post(message("text", Content="第二条")).content == b"success"
    with platform_scope():
        event = InboundEvent.objects.get(status=InboundEvent.Status.RECEIVED)

    with django_assert_max_num_queries(13):
        assert event_process(event_id=event.pk) == InboundEvent.Status.PROCESSED

    with platform_scope():
        assert Comment.objects.count() == 2
        assert Comment.objects.values("ticket").distinct().count() == 1


# --- replies ----------------------------------------------------------------------------------------------------

def _ticket_of(oa, deliver):
    deliver(oa, message("text", Content="请问多久能到？"))
    with platform_scope():
        return Comment.objects.select_related("ticket").get().ticket


def test_an_agent_reply_is_sent_through_the_customer_service_api(oa, deliver, fake_wechat, agent,
                                                                 django_capture_on_commit_callbacks):
    import json

    ticket = _ticket_of(oa, deliver)
    with django_capture_on_commit_callbacks(execute=True):
        comment = ticket_reply(ticket=ticket, author=agent, body="您好，明天送达。")
    [call] = fake_wechat.calls_to("/cgi-bin/message/custom/send")
    payload = json.loads(call[2])
    assert payload == {"touser": "oOpenid-customer-0001", "msgtype": "text", "text": {"content": "您好，明天送达。"}}
    assert call[1]["access_token"] == "FAKE-TOKEN"
    with platform_scope():
        outbound = OutboundMessage.objects.get()
    assert outbound.comment_id == comment.pk
    assert outbound.status == OutboundMessage.Status.SENT


def test_internal_notes_are_not_sent(oa, deliver, fake_wechat, agent, django_capture_on_commit_callbacks):
    ticket = _ticket_of(oa, deliver)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=agent, body="内部备注", public=False)
    assert fake_wechat.calls_to("/cgi-bin/message/custom/send") == []


def test_a_closed_reply_window_is_shown_on_the_ticket(oa, deliver, fake_wechat, agent,
                                                      django_capture_on_commit_callbacks):
    fake_wechat.answer("/cgi-bin/message/custom/send", (200, {"errcode": 45015, "errmsg": "response out of time limit"},
                                                        None))
    ticket = _ticket_of(oa, deliver)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=agent, body="抱歉久等")
    assert len(fake_wechat.calls_to("/cgi-bin/message/custom/send")) == 1  # not retried: it cannot succeed
    with platform_scope():
        outbound = OutboundMessage.objects.get()
        note = Comment.objects.filter(ticket=ticket, is_public=False).get()
        event = TicketEvent.objects.get(comment=note)
    assert outbound.status == OutboundMessage.Status.DEAD
    assert outbound.errcode == 45015
    assert "45015" in note.body
    assert event.after["delivery_failed"] == outbound.comment_id


def test_a_server_error_is_retried_with_backoff_until_sent(oa, deliver, fake_wechat, agent,
                                                           django_capture_on_commit_callbacks):
    fake_wechat.answer("/cgi-bin/message/custom/send", (502, {"error": "bad gateway"}, None),
                       (200, {"errcode": -1, "errmsg": "system busy"}, None), (200, {"errcode": 0}, None))
    ticket = _ticket_of(oa, deliver)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=agent, body="稍等")
    with platform_scope():
        outbound = OutboundMessage.objects.get()
    assert outbound.status == OutboundMessage.Status.FAILED
    assert outbound.last_error
    _sweep_after(timedelta(seconds=20))  # its back-off (30 s and some jitter) is not over: nothing is sent
    assert len(fake_wechat.calls_to("/cgi-bin/message/custom/send")) == 1
    _sweep_after(timedelta(seconds=40))
    assert len(fake_wechat.calls_to("/cgi-bin/message/custom/send")) == 2
    _sweep_after(timedelta(minutes=5))
    assert len(fake_wechat.calls_to("/cgi-bin/message/custom/send")) == 3
    with platform_scope():
        outbound = OutboundMessage.objects.get()
    assert outbound.status == OutboundMessage.Status.SENT
    assert outbound.attempts == 3


def test_wecom_replies_go_through_the_app_message_api(wecom, deliver, fake_wechat, agent,
                                                      django_capture_on_commit_callbacks):
    import json

    deliver(wecom, message("text", Content="企业微信客户", openid="wmCUSTOMER", to="ww"))
    with platform_scope():
        ticket = Comment.objects.select_related("ticket").get().ticket
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=agent, body="收到")
    [call] = fake_wechat.calls_to("/cgi-bin/message/send")
    payload = json.loads(call[2])
    assert payload["touser"] == "wmCUSTOMER"
    assert payload["agentid"] == "1000002"
    assert payload["text"] == {"content": "收到"}
    assert len(fake_wechat.calls_to("/cgi-bin/gettoken")) == 1


def test_the_access_token_is_fetched_once_and_shared(oa, deliver, fake_wechat, agent,
                                                     django_capture_on_commit_callbacks):
    ticket = _ticket_of(oa, deliver)
    for body in ("一", "二", "三"):
        with django_capture_on_commit_callbacks(execute=True):
            ticket_reply(ticket=ticket, author=agent, body=body)
    assert len(fake_wechat.calls_to("/cgi-bin/message/custom/send")) == 3
    assert len(fake_wechat.calls_to("/cgi-bin/token")) == 1
    [token_call] = fake_wechat.calls_to("/cgi-bin/token")
    assert token_call[1] == {"grant_type": "client_credential", "appid": oa.app_id, "secret": "s3cret-app-secret"}


def test_an_expired_token_is_fetched_again(oa, deliver, fake_wechat, agent, django_capture_on_commit_callbacks):
    fake_wechat.answer("/cgi-bin/message/custom/send",
                       (200, {"errcode": 42001, "errmsg": "access_token expired"}, None), (200, {"errcode": 0}, None))
    ticket = _ticket_of(oa, deliver)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=agent, body="重新取 token")
    assert len(fake_wechat.calls_to("/cgi-bin/token")) == 2
    with platform_scope():
        assert OutboundMessage.objects.get().status == OutboundMessage.Status.SENT


def test_the_shared_token_expires_before_wechats(oa_account, fake_wechat, organization):
    from django.core.cache import cache

    from channels_ingest.services.wechat_api import REFRESH_MARGIN, client_for

    with tenant_scope(organization):
        client = client_for(oa_account)
        assert client.access_token == "FAKE-TOKEN"
    ttl = cache._cache.get_client().ttl(cache.make_and_validate_key(f"wechatpy:{oa_account.app_id}_access_token"))
    assert 7200 - REFRESH_MARGIN - 5 <= ttl <= 7200 - REFRESH_MARGIN


def test_the_sweep_sends_replies_whose_task_was_lost(oa, deliver, fake_wechat, agent,
                                                     django_capture_on_commit_callbacks):
    ticket = _ticket_of(oa, deliver)
    with django_capture_on_commit_callbacks(execute=False):  # the broker took the reply's task and lost it
        ticket_reply(ticket=ticket, author=agent, body="丢了的任务")
    from channels_ingest.services import outbound_create

    with platform_scope():
        comment = Comment.objects.get(body="丢了的任务")
    with django_capture_on_commit_callbacks(execute=False):
        outbound_create(organization_id=ticket.organization_id, comment_id=comment.pk)
    tasks.outbox_sweep.delay()
    assert fake_wechat.calls_to("/cgi-bin/message/custom/send") == []  # its published id may still be coming
    _sweep_after(timedelta(minutes=2))
    assert len(fake_wechat.calls_to("/cgi-bin/message/custom/send")) == 1
    with platform_scope():
        assert OutboundMessage.objects.get().status == OutboundMessage.Status.SENT


def test_a_reply_handed_over_by_comment_id_alone_is_sent(oa, deliver, fake_wechat, agent,
                                                         django_capture_on_commit_callbacks):
    """Other ticket services may hand over the comment id and its organization only: its ticket decides the
    channel."""
    from tickets.services.lifecycle import _send_reply

    ticket = _ticket_of(oa, deliver)
    with django_capture_on_commit_callbacks(execute=False):
        comment = ticket_reply(ticket=ticket, author=agent, body="请为本次服务打分")
    with django_capture_on_commit_callbacks(execute=True):
        _send_reply(comment.pk, organization_id=ticket.organization_id)
    [call] = fake_wechat.calls_to("/cgi-bin/message/custom/send")
    assert "请为本次服务打分".encode() in call[2]


def test_after_ops_rename_the_accounts_slug_its_conversations_and_replies_carry_on(
        oa, oa_account, deliver, fake_wechat, agent, client, django_capture_on_commit_callbacks):
    from channels_ingest.services import channel_account_update
    from tests.channels_ingest.wechat import WeChatSender

    ticket = _ticket_of(oa, deliver)
    with django_capture_on_commit_callbacks(execute=True):
        channel_account_update(account=oa_account, name=oa_account.name, slug="acme-renamed",
                               app_id=oa_account.app_id)
    renamed = WeChatSender(client, "/hooks/wechat/acme-renamed/")
    deliver(renamed, message("text", Content="还在吗？"))
    with platform_scope():
        assert set(Comment.objects.values_list("ticket_id", flat=True)) == {ticket.pk}
        ticket.refresh_from_db()
    assert ticket.source_ref == "acme-renamed:oOpenid-customer-0001"
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=agent, body="在的，您说。")
    with platform_scope():
        assert OutboundMessage.objects.get().status == OutboundMessage.Status.SENT
    assert len(fake_wechat.calls_to("/cgi-bin/message/custom/send")) == 1


@pytest.mark.django_db(transaction=True)
def test_processing_commits_without_waiting_for_the_disk_but_never_relaxes_a_callers_transaction(oa_account):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from channels_ingest import wire

    def stored(text):
        fields = message("text", Content=text)
        fields = {key: str(value) for key, value in fields.items()}
        with tenant_scope(oa_account.organization_id):
            return InboundEvent.objects.create(
                organization_id=oa_account.organization_id, account=oa_account, kind="text",
                dedupe_key=wire.dedupe_key(fields), from_user=fields["FromUserName"], raw="<xml/>", fields=fields)

    first, second = stored("第一条"), stored("第二条")
    with CaptureQueriesContext(connection) as own:
        assert event_process(event_id=first.pk) == InboundEvent.Status.PROCESSED
    with transaction.atomic(), CaptureQueriesContext(connection) as callers:
        assert event_process(event_id=second.pk) == InboundEvent.Status.PROCESSED

    relaxed = "SET LOCAL synchronous_commit TO OFF"
    assert [q["sql"] for q in own.captured_queries].count(relaxed) == 1
    assert relaxed not in [q["sql"] for q in callers.captured_queries]
    with tenant_scope(oa_account.organization_id):
        assert Comment.objects.count() == 2


# --- a published batch of messages on open conversations ------------------------------------------------------------

def _opened(oa, deliver, *openids):
    """Each sender's first message, processed: a customer and an open ticket per conversation."""
    for openid in openids:
        deliver(oa, message("text", openid=openid, Content=f"{openid} 你好"))


def _stored(oa, django_capture_on_commit_callbacks, messages):
    """Callbacks stored and not yet processed (their ids are published together below, as the batcher does)."""
    for fields in messages:
        with django_capture_on_commit_callbacks(execute=False):
            assert oa.post(fields).content == b"success"
    with platform_scope():
        return list(InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).order_by("pk"))


def _conversations():
    """Each ticket's customer messages and timeline, in the order an agent reads them."""
    with platform_scope():
        result = {}
        for comment in Comment.objects.select_related("ticket").order_by("created_at", "pk"):
            result.setdefault(comment.ticket.source_ref, {"bodies": [], "timeline": []})["bodies"].append(comment.body)
        for event in TicketEvent.objects.select_related("ticket").order_by("created_at", "pk"):
            entry = result.setdefault(event.ticket.source_ref, {"bodies": [], "timeline": []})
            entry["timeline"].append((event.kind, event.comment.body if event.comment_id else None))
        return result


def test_a_batch_of_messages_on_open_conversations_lands_in_order_as_one_by_one(
        oa, deliver, django_capture_on_commit_callbacks, eager_tasks):
    """Messages of three known senders, interleaved, published as one batch: every message becomes its ticket's
    comment, in the order sent, with its timeline entry, the events record their comment and customer, and the
    customers' last contact moves to their last message: what processing them one at a time gives."""
    _opened(oa, deliver, "oA", "oB", "oC")
    sent = [("oA", "A1"), ("oB", "B1"), ("oA", "A2"), ("oC", "C1"), ("oA", "A3"), ("oB", "B2")]
    events = _stored(oa, django_capture_on_commit_callbacks,
                     [message("text", openid=openid, Content=text) for openid, text in sent])

    tasks.outbox_run.delay(KIND, [event.pk for event in events])

    conversations = _conversations()
    assert {ref.split(":")[1]: c["bodies"] for ref, c in conversations.items()} == {
        "oA": ["oA 你好", "A1", "A2", "A3"], "oB": ["oB 你好", "B1", "B2"], "oC": ["oC 你好", "C1"]}
    for ref, conversation in conversations.items():
        comments = [entry for entry in conversation["timeline"] if entry[0] == TicketEvent.Kind.COMMENT]
        assert [body for _kind, body in comments] == conversation["bodies"], ref
    with platform_scope():
        processed = list(InboundEvent.objects.filter(pk__in=[e.pk for e in events]).select_related("comment")
                         .order_by("pk"))
        assert [e.status for e in processed] == [InboundEvent.Status.PROCESSED] * len(sent)
        assert [e.comment.body for e in processed] == [text for _openid, text in sent]
        assert all(e.customer_id == e.comment.customer_id and e.processed_at for e in processed)
        for customer_id in {e.customer_id for e in processed}:
            last = Comment.objects.filter(customer_id=customer_id).order_by("-created_at").first()
            assert last.customer.last_contact_at == last.created_at


def test_in_a_batch_a_pending_ticket_reopens_and_a_new_sender_opens_a_ticket(
        oa, deliver, django_capture_on_commit_callbacks, eager_tasks):
    """What the batch leaves to the one-by-one path still happens, in order: a message on a ticket waiting for the
    customer reopens it, a first message opens a ticket, a repeated message id is recorded once."""
    _opened(oa, deliver, "oPending", "oOpen")
    with platform_scope():
        pending = Comment.objects.select_related("ticket").get(body="oPending 你好").ticket
        tickets_before = Comment.objects.values("ticket").distinct().count()
    with platform_scope():
        Ticket.objects.filter(pk=pending.pk).update(status=Ticket.Status.PENDING)
    events = _stored(oa, django_capture_on_commit_callbacks, [
        message("text", openid="oPending", Content="P1"), message("text", openid="oOpen", Content="O1"),
        message("text", openid="oNew", Content="N1"), message("text", openid="oPending", Content="P2"),
        message("text", openid="oOpen", Content="O2"), message("text", openid="oOpen", Content="O2 again",
                                                               msg_id=424242)])
    # WeChat delivered the last message twice (two stored events when the first one's dedupe key differs).
    with platform_scope():
        InboundEvent.objects.filter(pk=events[-1].pk).update(
            fields={**events[-1].fields, "MsgId": events[-2].fields["MsgId"]})

    tasks.outbox_run.delay(KIND, [event.pk for event in events])

    bodies = {ref.split(":")[1]: c["bodies"] for ref, c in _conversations().items()}
    assert bodies == {"oPending": ["oPending 你好", "P1", "P2"], "oOpen": ["oOpen 你好", "O1", "O2"],
                      "oNew": ["N1"]}
    with platform_scope():
        assert Ticket.objects.get(pk=pending.pk).status == Ticket.Status.OPEN
        assert Comment.objects.values("ticket").distinct().count() == tickets_before + 1
        statuses = set(InboundEvent.objects.filter(pk__in=[e.pk for e in events]).values_list("status", flat=True))
        assert statuses == {InboundEvent.Status.PROCESSED}
        twice = InboundEvent.objects.filter(pk__in=[events[-2].pk, events[-1].pk])
        assert len({event.comment_id for event in twice}) == 1


def test_a_batch_with_a_failing_event_of_a_known_sender_processes_the_others(
        oa, deliver, django_capture_on_commit_callbacks, eager_tasks):
    """A bad payload in a batch of messages on open conversations fails alone; the others are recorded."""
    _opened(oa, deliver, "oA", "oB")
    events = _stored(oa, django_capture_on_commit_callbacks,
                     [message("text", openid=openid, Content=text)
                      for openid, text in [("oA", "A1"), ("oB", "B1"), ("oA", "A2"), ("oB", "B2")]])
    _break_processing(events[1])

    tasks.outbox_run.delay(KIND, [event.pk for event in events])

    with platform_scope():
        statuses = dict(InboundEvent.objects.values_list("pk", "status"))
        assert [statuses[e.pk] for e in events] == [InboundEvent.Status.PROCESSED, InboundEvent.Status.FAILED,
                                                   InboundEvent.Status.PROCESSED, InboundEvent.Status.PROCESSED]
    bodies = {ref.split(":")[1]: c["bodies"] for ref, c in _conversations().items()}
    assert bodies == {"oA": ["oA 你好", "A1", "A2"], "oB": ["oB 你好", "B2"]}


@pytest.mark.parametrize("senders", [2, 8])
def test_a_batch_of_appended_messages_takes_the_same_queries_whatever_its_size(
        oa, deliver, django_capture_on_commit_callbacks, eager_tasks, django_assert_max_num_queries, senders):
    """The worker's cost per batch, not per message: claim, read, the conversations' locks, their customers,
    tickets and message ids, the comments, their timeline, the customers' last contact, the tickets, the
    outcomes."""
    openids = [f"oS{n}" for n in range(senders)]
    _opened(oa, deliver, *openids)
    events = _stored(oa, django_capture_on_commit_callbacks,
                     [message("text", openid=openid, Content=f"{openid} 第{n}条") for n in range(3)
                      for openid in openids])

    with django_assert_max_num_queries(19):
        tasks.outbox_run.delay(KIND, [event.pk for event in events])

    with platform_scope():
        assert InboundEvent.objects.filter(status=InboundEvent.Status.PROCESSED).count() == senders * 4


def test_a_batch_whose_event_was_claimed_again_meanwhile_is_undone_and_its_events_run_alone(
        oa, deliver, django_capture_on_commit_callbacks, eager_tasks, monkeypatch):
    """Another worker claims one event of the batch again after this worker claimed it (its lease expired): nothing
    of the batch stays, the other events are recorded one by one, and the event claimed again is left to its new
    owner (no comment from this worker)."""
    from scrm.platform import outbox

    _opened(oa, deliver, "oA", "oB")
    events = _stored(oa, django_capture_on_commit_callbacks,
                     [message("text", openid=openid, Content=text)
                      for openid, text in [("oA", "A1"), ("oB", "B1"), ("oA", "A2")]])
    taken = events[1]
    load_claimed = outbox._load_claimed

    def claimed_again_meanwhile(kind, claimed):
        rows = load_claimed(kind, claimed)
        with platform_scope():
            InboundEvent.objects.filter(pk=taken.pk).update(attempts=5)  # what another worker's claim does
        return rows

    monkeypatch.setattr(outbox, "_load_claimed", claimed_again_meanwhile)

    tasks.outbox_run.delay(KIND, [event.pk for event in events])

    with platform_scope():
        statuses = dict(InboundEvent.objects.values_list("pk", "status"))
        assert [statuses[e.pk] for e in events] == [InboundEvent.Status.PROCESSED, InboundEvent.Status.PROCESSING,
                                                   InboundEvent.Status.PROCESSED]
    bodies = {ref.split(":")[1]: c["bodies"] for ref, c in _conversations().items()}
    assert bodies == {"oA": ["oA 你好", "A1", "A2"], "oB": ["oB 你好"]}
