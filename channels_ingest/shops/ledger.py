"""The worker side of a shop event: the adapter reads the stored event, settlement stores it in the orders ledger.

Runs inside the outbox's transaction of the event: an event that cannot be read (a missing field, an amount that
does not parse, a bad currency) raises a permanent failure, so nothing of it is written and the event is dead with
the reason, replayable once the shop or the code is fixed. A type the ledger does not read is ignored, with why.
"""

from django.utils import timezone

from channels_ingest.models import InboundEvent
from channels_ingest.services.shop_fetch import order_fetch_enqueue
from channels_ingest.shops import SHOP_EVENT_MALFORMED, UnknownEvent, adapter_for
from channels_ingest.shops.accounts import buyer_of, buyers_of, store_of
from channels_ingest.shops.base import (
    Ignored,
    PayloadError,
    TestPush,
)
from channels_ingest.wire import WireError
from scrm.platform.coded import coded
from scrm.platform.outbox import Failure
from settlement.errors import SettlementError, ledger_refusal_recorded
from settlement.services import aftersale_upsert, order_upsert, orders_upsert, refund_upsert
from settlement.snapshots import AfterSaleSnapshot, OrderSnapshot

Status = InboundEvent.Status


def shop_event_process(event):
    """Apply one stored shop event to the ledger. Returns (status, note): the note says why it was ignored."""
    account = event.account
    if event.kind == SHOP_EVENT_MALFORMED:
        raise Failure(coded("channels_ingest.malformed", error=event.fields.get("error", "")), permanent=True)
    try:
        items = adapter_for(account.kind).to_ledger(event)
    except TestPush:
        return Status.IGNORED, coded("channels_ingest.test_push")
    except Ignored as exc:
        return Status.IGNORED, str(exc)
    except UnknownEvent as exc:
        return Status.IGNORED, coded("channels_ingest.unknown_event", type=exc.args[0]) if exc.args else ""
    except SettlementError as exc:
        raise Failure(ledger_refusal_recorded(exc), permanent=True) from None
    except (PayloadError, WireError) as exc:
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
            raise Failure(ledger_refusal_recorded(exc), permanent=True) from None
    return Status.PROCESSED, ""


def shop_events_process_many(events):
    """The outbox's batch handler for shop events (one organization's, in one transaction): the events that only
    report orders in full go to the ledger together, one `orders_upsert` per store, the buyers resolved once per
    batch. Returns {event id: values} of the events it did; the others (refunds, returns, Douyin's status pushes,
    an event that cannot be read or is ignored) run one by one after it, where each records its own outcome."""
    by_account = {}
    for event in events:
        if event.kind == SHOP_EVENT_MALFORMED:
            continue
        try:
            items = adapter_for(event.account.kind).to_ledger(event)
        except Exception:  # noqa: BLE001, S112 - whatever it is, the event runs alone and records it
            continue
        if not items or not all(isinstance(item.snapshot, OrderSnapshot) and item.fetch_details is None
                                for item in items):
            continue
        by_account.setdefault(event.account_id, []).append((event, items))
    done = {}
    for batch in by_account.values():
        account = batch[0][0].account
        buyers = buyers_of(account, [item.buyer for _event, items in batch for item in items])
        reports, customers = [], {}
        for event, items in batch:
            for item in items:
                customer = buyers.get(item.buyer.get("id")) if item.buyer.get("id") else None
                if customer is not None:
                    customers[event.pk] = customer
                reports.append((item.snapshot, customer, f"{event.kind} #{event.pk}"))
        orders_upsert(organization=account.organization, store=store_of(account), reports=reports)
        now = timezone.now()
        for event, _items in batch:
            done[event.pk] = {"status": Status.PROCESSED, "processed_at": now,
                              "customer": customers.get(event.pk, event.customer), "comment": event.comment,
                              "last_error": ""}
    return done

