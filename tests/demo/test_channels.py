"""The demo seeder: the demo organization's Official Account and WeCom application, and a few callbacks processed
into customers and tickets, once; the demo's WeChat tickets are conversations on those accounts."""

import pytest

from channels_ingest.models import ChannelAccount, InboundEvent
from demo.channels import DEMO_CALLBACKS, DEMO_SLUG, DEMO_WECOM_SLUG, seed_channels
from demo.management.commands.seed_demo import SEEDERS
from scrm.models import ChannelIdentity
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db


def test_seed_demo_runs_the_channels_seeder_last():
    assert list(SEEDERS.values())[-1] is seed_channels


def test_the_demo_account_and_its_events_are_seeded_once(scoped):
    seed_channels(organization=scoped)
    seed_channels(organization=scoped)
    assert sorted(ChannelAccount.objects.values_list("slug", "kind")) == [(DEMO_SLUG, "wechat_oa"),
                                                                          (DEMO_WECOM_SLUG, "wecom")]
    assert InboundEvent.objects.count() == len(DEMO_CALLBACKS)
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {InboundEvent.Status.PROCESSED}
    assert ChannelIdentity.objects.filter(channel="wechat_oa").count() == 4
    assert Ticket.objects.count() == 3  # three customers wrote; a1's two messages share one conversation
    assert Comment.objects.count() == 4
    assert ChannelIdentity.objects.get(external_id="oDEMO-openid-a1").profile["subscribe_scene"] == "store_nanjing"


@pytest.mark.django_db
def test_the_demos_wechat_tickets_are_conversations_and_its_replies_were_delivered(demo_seeded, demo_after_commit,
                                                                                   caplog):
    """The demo opened its WeChat tickets with no conversation: each public reply it wrote logged "reply not sent:
    the ticket has no WeChat conversation" into `make run`'s terminal once the seed committed (some 380 lines),
    and an agent could not have answered those customers. Each is now a conversation with the customer's openid on
    the demo's account, and the replies the demo wrote read as delivered when they were written."""
    import logging

    from channels_ingest.models import OutboundMessage
    from scrm.platform.tenancy import tenant_scope
    from tickets.services.lifecycle import _send_reply

    replies = [func for func in demo_after_commit if getattr(func, "func", None) is _send_reply]
    assert len(replies) >= 100
    with caplog.at_level(logging.INFO):
        for send in replies:  # what the seed's commit runs
            send()
    assert not [r for r in caplog.records if "no WeChat conversation" in r.getMessage()]

    with tenant_scope(demo_seeded):
        accounts = {a.slug: a for a in ChannelAccount.objects.filter(kind__in=["wechat_oa", "wecom"])}
        assert {a.channel for a in accounts.values()} == {"wechat_oa", "wecom"}
        wechat = list(Ticket.objects.filter(channel__in=["wechat_oa", "wecom"]))
        assert len(wechat) >= 100
        for ticket in wechat:
            slug, _sep, openid = ticket.source_ref.partition(":")
            assert slug in accounts and accounts[slug].channel == ticket.channel, ticket.number
            assert ChannelIdentity.objects.filter(customer_id=ticket.customer_id, channel=ticket.channel,
                                                  app_id=accounts[slug].app_id, external_id=openid).exists()
        sent = Comment.objects.filter(ticket__in=wechat, is_public=True, customer__isnull=True)
        rows = list(OutboundMessage.objects.select_related("comment"))
        assert sorted(row.comment_id for row in rows) == sorted(sent.values_list("pk", flat=True))
        for row in rows:
            assert row.status == OutboundMessage.Status.SENT and row.sent_at == row.comment.created_at
