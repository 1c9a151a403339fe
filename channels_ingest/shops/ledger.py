"""The worker side of a shop event: the adapter reads the stored event, settlement stores it in the orders ledger.

Runs inside the outbox's transaction of the event: an event that cannot be read (a missing field, an amount that
does not parse, a bad currency) raises a permanent failure, so nothing of it is written and the event is dead with
the reason, replayable once the shop or the code is fixed. A type the ledger does not read is ignored, with why.
"""

from channels_ingest.models import InboundEvent
from channels_ingest.services.shop_fetch import order_fetch_enqueue
from channels_ingest.shops import SHOP_EVENT_MALFORMED, UnknownEvent, adapter_for
from channels_ingest.shops.accounts import buyer_of, store_of
from channels_ingest.shops.base import (
    MSG_MALFORMED,
    MSG_TEST_PUSH,
    MSG_UNKNOWN_EVENT,
    Ignored,
    PayloadError,
    TestPush,
)
from channels_ingest.wire import WireError
from scrm.platform.outbox import Failure
from settlement.errors import SettlementError
from settlement.services import aftersale_upsert, order_upsert, refund_upsert
from settlement.snapshots import AfterSaleSnapshot, OrderSnapshot

Status = InboundEvent.Status


def shop_event_process(event):
    """Apply one stored shop event to the ledger. Returns (status, note): the note says why it was ignored."""
    account = event.account
    if event.kind == SHOP_EVENT_MALFORMED:
        raise Failure(str(MSG_MALFORMED % {"error": event.fields.get("error", "")}), permanent=True)
    try:
        items = adapter_for(account.kind).to_ledger(event)
    except TestPush:
        return Status.IGNORED, str(MSG_TEST_PUSH)
    except Ignored as exc:
        return Status.IGNORED, str(exc)
    except UnknownEvent as exc:
        return Status.IGNORED, str(MSG_UNKNOWN_EVENT % {"type": exc.args[0]}) if exc.args else ""
    except (PayloadError, SettlementError, WireError) as exc:
        raise Failure(str(exc), permanent=True) from None
    organization = account.organization
    store = store_of(account)
    source = f"{event.kind} #{event.pk}"
    for item in items:
        customer = buyer_of(account, item.buyer)
        if customer is not None:
            event.customer = customer
        try:
            if isinstance(item.snapshot, OrderSnapshot):
                order, applied = order_upsert(organization=organization, store=store, snapshot=item.snapshot,
                                              customer=customer, source=source)
                if item.fetch_details is not None and (applied or order.details_missing):
                    # A status push without the order's details (Douyin): fetch them through the outbox.
                    order_fetch_enqueue(account=account, order_number=order.external_number, **item.fetch_details)
            elif isinstance(item.snapshot, AfterSaleSnapshot):
                aftersale_upsert(organization=organization, store=store, snapshot=item.snapshot, customer=customer,
                                 source=source)
            else:
                refund_upsert(organization=organization, store=store, snapshot=item.snapshot, customer=customer,
                              source=source)
        except SettlementError as exc:
            raise Failure(str(exc), permanent=True) from None
    return Status.PROCESSED, ""
