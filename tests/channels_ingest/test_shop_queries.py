"""What applying shop events costs the database: queries per event of a batch the worker runs."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_ingest.models import InboundEvent
from channels_ingest.services.processing import KIND
from channels_ingest.shops import adapter_for
from scrm.platform import outbox
from scrm.platform.tenancy import tenant_scope
from settlement.models import Order
from tests.channels_ingest.shops import GENERIC_SECRET, generic_order
from tests.channels_ingest.test_shop_hooks import make_shop

pytestmark = pytest.mark.django_db(transaction=True)

STAGES = ("pending", "paid", "shipped", "completed")


def stored_events(account, orders, buyers=3):
    adapter, rows = adapter_for(account.kind), []
    for n in range(orders):
        for step, stage in enumerate(STAGES):
            payload = generic_order(f"evt-{n}-{stage}", number=f"SO{n:04d}", status=stage,
                                    updated_at=f"2026-11-11T1{step}:00:00+08:00",
                                    buyer={"id": f"b{n % buyers}", "name": f"买家{n % buyers}"})
            [item] = adapter.split(account, {}, json.dumps(payload, ensure_ascii=False).encode())
            rows.append(InboundEvent(organization_id=account.organization_id, account=account, kind=item.kind,
                                     dedupe_key=item.dedupe_key, raw=item.raw, fields=item.fields,
                                     status=InboundEvent.Status.RECEIVED))
    with tenant_scope(account.organization_id):
        return [row.pk for row in InboundEvent.objects.bulk_create(rows)]


def test_a_batch_of_order_events_costs_a_bounded_number_of_queries_per_event(organization):
    account = make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    ids = stored_events(account, 10)
    with CaptureQueriesContext(connection) as queries:
        outcomes = outbox.run(KIND, ids)
    assert {outcome.status for outcome in outcomes.values()} == {InboundEvent.Status.PROCESSED}
    with tenant_scope(organization):
        assert set(Order.objects.values_list("status", flat=True)) == {"completed"}
    # 17.4 before the store was remembered per process and the region looked up only for a new address, 13.8 before
    # the batch handler (one transaction and one orders_upsert per store for the batch): 0.9 now.
    assert len(queries) / len(ids) <= 1.5


def test_an_unreadable_event_in_a_batch_fails_alone_and_the_others_are_applied(organization):
    account = make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    ids = stored_events(account, 3)
    bad = generic_order("evt-bad", number="SO9999", paid_amount="12.3.4")
    [item] = adapter_for(account.kind).split(account, {}, json.dumps(bad).encode())
    with tenant_scope(organization):
        row = InboundEvent.objects.create(organization_id=organization.pk, account=account, kind=item.kind,
                                          dedupe_key=item.dedupe_key, raw=item.raw, fields=item.fields)
    outcomes = outbox.run(KIND, [*ids[:6], row.pk, *ids[6:]])
    assert outcomes[row.pk].status == InboundEvent.Status.DEAD
    assert {outcomes[pk].status for pk in ids} == {InboundEvent.Status.PROCESSED}
    with tenant_scope(organization):
        assert "order.paid_amount" in InboundEvent.objects.get(pk=row.pk).last_error
        assert sorted(Order.objects.values_list("external_number", "status")) == [
            ("SO0000", "completed"), ("SO0001", "completed"), ("SO0002", "completed")]


def test_a_batch_resolves_known_buyers_at_once_and_still_records_a_new_name(organization):
    from scrm.models import ChannelIdentity

    account = make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    outbox.run(KIND, stored_events(account, 3))
    adapter, rows = adapter_for(account.kind), []
    for n, name in enumerate(["买家0", "新名字"]):
        payload = generic_order(f"evt-again-{n}", number=f"SX{n}", buyer={"id": f"b{n}", "name": name})
        [item] = adapter.split(account, {}, json.dumps(payload, ensure_ascii=False).encode())
        rows.append(InboundEvent(organization_id=organization.pk, account=account, kind=item.kind,
                                 dedupe_key=item.dedupe_key, raw=item.raw, fields=item.fields))
    with tenant_scope(organization):
        ids = [row.pk for row in InboundEvent.objects.bulk_create(rows)]
    outbox.run(KIND, ids)
    with tenant_scope(organization):
        profiles = dict(ChannelIdentity.objects.values_list("external_id", "profile__name"))
        owners = dict(Order.objects.filter(external_number__in=["SX0", "SX1"])
                      .values_list("external_number", "customer__identities__external_id"))
    assert profiles == {"b0": "买家0", "b1": "新名字", "b2": "买家2"}
    assert owners == {"SX0": "b0", "SX1": "b1"}
