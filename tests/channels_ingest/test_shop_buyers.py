"""A worker's batch of shop events resolves its buyers together (`customers_resolve_many`): the same customers as
`customer_resolve` one by one, in a few statements when the buyers are new."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_ingest.models import InboundEvent
from channels_ingest.services.processing import KIND
from scrm.customers.services import customer_create, customer_merge, customer_resolve, customers_resolve_many
from scrm.models import ChannelIdentity, Customer
from scrm.platform import outbox
from scrm.platform.tenancy import tenant_scope
from settlement.models import Order
from tests.channels_ingest.shops import GENERIC_SECRET
from tests.channels_ingest.test_shop_hooks import make_shop
from tests.channels_ingest.test_shop_queries import stored_events

pytestmark = pytest.mark.django_db


def resolve_many(organization, people):
    return customers_resolve_many(organization=organization, channel="shop", app_id="acme-store", people=people)


def test_new_known_merged_and_mobile_buyers_resolve_as_one_by_one(organization, make_user):
    with tenant_scope(organization):
        known = customer_resolve(organization=organization, channel="shop", app_id="acme-store", external_id="b1",
                                 profile={"name": "老客"})
        gone = customer_resolve(organization=organization, channel="shop", app_id="acme-store", external_id="b2")
        primary = customer_create(organization=organization, display_name="主档")
        customer_merge(primary=primary, duplicate=gone, actor=make_user(organization, "supervisor"))
        by_mobile = customer_create(organization=organization, display_name="有手机", mobile="13800138000")
    found = resolve_many(organization, [
        ("b1", None, {"name": "老客"}), ("b2", None, {}), ("b3", "13800138000", {"name": "新名"}),
        ("b4", None, {"name": "张三"}), ("b5", None, {}), ("b4", None, {"name": "张三"}),
    ])
    with tenant_scope(organization):
        assert (found["b1"], found["b2"], found["b3"]) == (known, primary, by_mobile)
        new = {key: Customer.objects.get(pk=found[key].pk) for key in ("b4", "b5")}
        assert new["b4"].display_name == "张三" and new["b5"].display_name.endswith("b5")
        assert {customer.source_channel for customer in new.values()} == {"shop"}
        assert ChannelIdentity.objects.filter(channel="shop", external_id="b4").get().customer_id == found["b4"].pk
        assert ChannelIdentity.objects.filter(channel="shop", external_id="b3").get().customer_id == by_mobile.pk
    # Again: everyone is known now, and nobody new is made.
    again = resolve_many(organization, [("b4", None, {"name": "张三"}), ("b5", None, {})])
    assert (again["b4"], again["b5"]) == (found["b4"], found["b5"])
    with tenant_scope(organization):
        assert Customer.objects.count() == 6  # b1, b2 (merged away), 主档, 有手机, b4, b5


def test_one_buyer_named_twice_differently_ends_with_the_later_name(organization):
    found = resolve_many(organization, [("b1", None, {"name": "旧名"}), ("b1", None, {"name": "新名"})])
    with tenant_scope(organization):
        identity = ChannelIdentity.objects.get(external_id="b1")
        assert (identity.customer_id, identity.profile) == (found["b1"].pk, {"name": "新名"})


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_new_buyers_costs_a_bounded_number_of_queries(organization):
    account = make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    ids = stored_events(account, 10, buyers=10)  # 40 events of 10 buyers no one has seen
    with CaptureQueriesContext(connection) as queries:
        outcomes = outbox.run(KIND, ids)
    assert {outcome.status for outcome in outcomes.values()} == {InboundEvent.Status.PROCESSED}
    with tenant_scope(organization):
        assert Order.objects.filter(customer__isnull=False).count() == 10
        assert Customer.objects.count() == 10
    # One by one, each new buyer cost about 8 statements (read, savepoint, customer, identity, ...).
    assert len(queries) / len(ids) <= 1.5
