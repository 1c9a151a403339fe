"""The demo seeder: the demo organization's Official Account and a few callbacks processed into customers and
tickets, once."""

import pytest

from channels_ingest.models import ChannelAccount, InboundEvent
from demo.channels import DEMO_CALLBACKS, DEMO_SLUG, seed_channels
from demo.management.commands.seed_demo import SEEDERS
from scrm.models import ChannelIdentity
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db


def test_seed_demo_runs_the_channels_seeder_last():
    assert list(SEEDERS.values())[-1] is seed_channels


def test_the_demo_account_and_its_events_are_seeded_once(scoped):
    seed_channels(organization=scoped)
    seed_channels(organization=scoped)
    account = ChannelAccount.objects.get()
    assert account.slug == DEMO_SLUG
    assert InboundEvent.objects.count() == len(DEMO_CALLBACKS)
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {InboundEvent.Status.PROCESSED}
    assert ChannelIdentity.objects.filter(channel="wechat_oa").count() == 4
    assert Ticket.objects.count() == 3  # three customers wrote; a1's two messages share one conversation
    assert Comment.objects.count() == 4
    assert ChannelIdentity.objects.get(external_id="oDEMO-openid-a1").profile["subscribe_scene"] == "store_nanjing"
