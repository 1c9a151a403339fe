"""The channel account's page lists its failed and dead events by default; ops also filter the events received and
deliberately ignored (a test push, a good review, a callback type the product does not act on), each with why, to
answer "did the shop's message arrive?"."""

import pytest

from channels_ingest.models import InboundEvent
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.channels_ingest.conftest import make_account
from tests.channels_ingest.shops import GENERIC_SECRET, ShopSender, generic_headers, generic_order
from tests.channels_ingest.test_shop_aftersales import review
from tests.channels_ingest.test_shop_hooks import make_shop
from tests.channels_ingest.wechat import message
from tests.scrm.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

GOOD_REVIEW = {"zh-hans": "5 星评价：只有差评（2 星及以下）才会建工单。",
               "en": "A review of 5 stars: only a bad review (2 stars or fewer) opens a ticket."}


@pytest.fixture
def generic(client, organization):
    make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    return ShopSender(client, "/hooks/shop/acme-shop/", generic_headers)


def events_table(client, account_id, query=""):
    response = client.get(f"/settings/channels/{account_id}/{query}")
    assert response.status_code == 200
    return response.content.decode().split('data-testid="problem-events"', 1)[1].split("</table>", 1)[0]


def shop_events(organization):
    with tenant_scope(organization):
        return {event.status: event for event in InboundEvent.objects.all()}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_ignored_event_shows_under_its_filter_with_why_and_not_by_default(generic, deliver, client, ops_admin,
                                                                              organization, language):
    deliver(generic, review(event_id="evt-v2", number="RV2002", rating="5"))
    deliver(generic, generic_order(event_id="evt-bad", status="maybe"))
    by_status = shop_events(organization)
    ignored, dead = by_status[InboundEvent.Status.IGNORED], by_status[InboundEvent.Status.DEAD]
    account_id = ignored.account_id
    client.force_login(ops_admin)
    client.cookies["django_language"] = language

    default = events_table(client, account_id)
    assert f'data-testid="replay-{dead.pk}"' in default
    assert GOOD_REVIEW[language] not in default and "review.created" not in default

    only_ignored = events_table(client, account_id, "?show=ignored")
    assert GOOD_REVIEW[language] in only_ignored and "review.created" in only_ignored
    assert "order" not in only_ignored.split("<tbody", 1)[1]  # the dead order event is not among them
    assert f"replay-{ignored.pk}" not in only_ignored  # nothing to replay: it was read and left alone

    everything = events_table(client, account_id, "?show=all")
    assert GOOD_REVIEW[language] in everything and f'data-testid="replay-{dead.pk}"' in everything


def test_an_ignored_wechat_callback_says_which_type_it_was(client, oa, deliver, ops_admin, organization):
    deliver(oa, message("event", Event="TEMPLATESENDJOBFINISH", Status="success"))
    [event] = shop_events(organization).values()
    assert event.status == InboundEvent.Status.IGNORED
    client.force_login(ops_admin)
    client.cookies["django_language"] = "zh-hans"
    table = events_table(client, event.account_id, "?show=ignored")
    assert "微信的 event:templatesendjobfinish 不在本产品处理范围内；已保存并应答。" in table


def test_another_organizations_events_never_show(generic, deliver, client, ops_admin, organization):
    deliver(generic, review(event_id="evt-v2", number="RV2002", rating="5"))
    with platform_scope():
        other = OrganizationFactory(slug="globex", name="格罗贝克斯")
    theirs = make_account(other, kind="generic", slug="globex-shop", app_id="globex-store", secret=GENERIC_SECRET)
    with tenant_scope(other):
        InboundEvent.objects.create(
            organization=other, account=theirs, kind="review.created", dedupe_key="globex-1", raw="{}",
            status=InboundEvent.Status.IGNORED, last_error="GLOBEX-IGNORED-NOTE")
    [ours] = shop_events(organization).values()
    client.force_login(ops_admin)

    for show in ("ignored", "all", "problems"):
        assert "GLOBEX-IGNORED-NOTE" not in events_table(client, ours.account_id, f"?show={show}")
        assert client.get(f"/settings/channels/{theirs.pk}/?show={show}").status_code == 404


def test_the_filter_is_the_page_permission(generic, deliver, client, agent):
    deliver(generic, review(event_id="evt-v2", number="RV2002", rating="5"))
    with tenant_scope(agent.organization):
        event = InboundEvent.objects.get()
    client.force_login(agent)
    assert client.get(f"/settings/channels/{event.account_id}/?show=ignored").status_code == 403
