"""The currencies an organization's ledger accepts: a report in another currency is refused with a clear reason on
its event, nothing of it written; none set accepts every currency."""

import pytest
from django.core.management import call_command

from channels_ingest.models import InboundEvent
from scrm.platform.tenancy import tenant_scope
from settlement.errors import MSG_CURRENCY_NOT_ACCEPTED, SettlementError
from settlement.models import Order
from settlement.services import ledger_currencies_set, order_upsert, store_ensure
from tests.settlement.ledger import order

pytestmark = pytest.mark.django_db


def test_an_order_in_a_currency_the_organization_does_not_accept_is_refused(organization):
    store = store_ensure(organization=organization, channel="shopify", ref="s.myshopify.com", name="S")
    order_upsert(organization=organization, store=store, snapshot=order(number="A", currency="USD"))  # any, unset
    ledger_currencies_set(organization=organization, currencies=["cny", "HKD"])
    with pytest.raises(SettlementError) as refused:
        order_upsert(organization=organization, store=store, snapshot=order(number="B", currency="USD"))
    assert str(refused.value) == str(MSG_CURRENCY_NOT_ACCEPTED % {"accepted": "CNY, HKD", "currency": "USD"})
    order_upsert(organization=organization, store=store, snapshot=order(number="C", currency="HKD"))
    with tenant_scope(organization):
        assert sorted(Order.objects.values_list("external_number", flat=True)) == ["A", "C"]


def test_the_shops_event_is_dead_with_the_reason_and_can_be_replayed_after_the_fix(organization, client,
                                                                                  django_capture_on_commit_callbacks,
                                                                                  eager_tasks):
    from channels_ingest.services import event_replay
    from tests.channels_ingest.shops import GENERIC_SECRET, ShopSender, generic_headers, generic_order
    from tests.channels_ingest.test_shop_hooks import make_shop

    make_shop(organization, "generic", "acme-shop", "acme-store", GENERIC_SECRET)
    call_command("set_accepted_currencies", "--organization", organization.slug, "CNY")
    sender = ShopSender(client, "/hooks/shop/acme-shop/", generic_headers)
    with django_capture_on_commit_callbacks(execute=True):
        assert sender.post(generic_order(currency="EUR")).status_code == 200
    with tenant_scope(organization):
        event = InboundEvent.objects.get()
        assert event.status == InboundEvent.Status.DEAD
        assert event.last_error_display == str(MSG_CURRENCY_NOT_ACCEPTED % {"accepted": "CNY", "currency": "EUR"})
        assert not Order.objects.exists()
    call_command("set_accepted_currencies", "--organization", organization.slug, "CNY", "EUR")
    with django_capture_on_commit_callbacks(execute=True):
        event_replay(event=event)
    with tenant_scope(organization):
        assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED
        assert Order.objects.get().currency == "EUR"
