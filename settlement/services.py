"""Writes of the orders ledger: stores, orders and refunds as the shops report them.

Shops deliver out of order and retry. Every report carries the platform's version (its update time or version
number); the ledger keeps the newest report of each order and refund, and ignores an older one. The milestone
times (paid, shipped, ...) are the earliest any report gave, and a waiting refund is attached when its order lands,
so any set of reports, delivered in any order and any number of times, ends in the same ledger.
"""

import logging
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import OuterRef, Q, TextField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from scrm.models import Customer, Region, SettingsChange
from scrm.platform.audit import settings_change_record
from scrm.platform.locks import advisory_xact_lock, advisory_xact_locks
from scrm.platform.tenancy import tenant_bulk_update, tenant_scope
from settlement.currencies import ISO_4217
from settlement.errors import (
    MSG_AFTERSALE_TICKET_BODY,
    MSG_AFTERSALE_TICKET_SUBJECT,
    MSG_BAD_REVIEW_SUBJECT,
    MSG_NOT_ISO_4217,
    MSG_REFUND_TICKET_BODY,
    MSG_REFUND_TICKET_SUBJECT,
    SettlementError,
    ledger_refusal,
)
from settlement.models import (
    CASE_WORDS,
    AfterSale,
    LedgerSettings,
    Order,
    OrderLine,
    OrderReport,
    PaymentChannel,
    Refund,
    Store,
)
from settlement.snapshots import currency_code
from tickets.services import ticket_external_change, ticket_open
from tickets.services.external import Outcome

logger = logging.getLogger(__name__)

__all__ = ["aftersale_upsert", "ledger_currencies_parse", "ledger_currencies_set", "order_upsert", "orders_upsert",
           "refund_upsert", "store_ensure"]

# Equal versions (two reports of the same second): the later stage of the life wins, whatever the arrival order.
ORDER_STATUS_RANK = {
    Order.Status.PENDING: 0, Order.Status.PAID: 1, Order.Status.SHIPPED: 2, Order.Status.COMPLETED: 3,
    Order.Status.CANCELLED: 4, Order.Status.CLOSED: 5,
}
REFUND_STATUS_RANK = {
    Refund.Status.REQUESTED: 0, Refund.Status.APPROVED: 1, Refund.Status.REFUSED: 2, Refund.Status.CANCELLED: 3,
    Refund.Status.REFUNDED: 4,
}
_ORDER_MILESTONES = ("placed_at", "paid_at", "shipped_at", "completed_at", "cancelled_at")
_REFUND_MILESTONES = ("requested_at", "resolved_at", "refunded_at")


def _earliest(stored, given):
    if stored is None:
        return given
    if given is None:
        return stored
    return min(stored, given)


def _order_lock(store, number):
    """One order at a time across workers: its reports and its refunds' (a refund arriving while its order is being
    stored must see the order, or be seen by it)."""
    advisory_xact_lock("order", store.organization_id, store.pk, number)


@transaction.atomic
def store_ensure(*, organization, channel, ref, name):
    """The store of a channel account, made on its first order; its name follows the account's."""
    with tenant_scope(organization):
        store, created = Store.objects.get_or_create(
            organization=organization, channel=channel, ref=ref[:128], defaults={"name": name[:100]})
        if not created and name and store.name != name[:100]:
            store.name = name[:100]
            store.save(update_fields=["name"])
        return store


@transaction.atomic
def store_payment_channel_set(*, store, channel):
    """Say where the store's buyers pay when its orders do not say (the reconciliation expects the store's paid
    orders in that channel's statements). `channel` None: nowhere known."""
    with tenant_scope(store.organization_id):
        if channel is not None and channel.organization_id != store.organization_id:
            raise ValueError("the payment channel belongs to another organization")
        store.payment_channel = channel
        store.save(update_fields=["payment_channel"])
        return store


def _region_for(address):
    """The region of a shipping address: the organization's region named like its city, else its province."""
    names = [str(address.get(key) or "").strip() for key in ("city", "province")]
    names = [name for name in names if name]
    if not names:
        return None
    regions = {region.name: region for region in Region.objects.filter(name__in=names)}
    return next((regions[name] for name in names if name in regions), None)


@transaction.atomic
def order_upsert(*, organization, store, snapshot, customer=None, source=""):
    """Store what a shop reported about an order. Returns (order, applied): `applied` is False when the report was
    older than (or the same as) what the ledger holds; its milestone times are still taken if earlier."""
    [result] = orders_upsert(organization=organization, store=store, reports=[(snapshot, customer, source)])
    return result


# Every column a report may change on an existing order (one UPDATE per batch writes them).
_ORDER_UPDATE_FIELDS = (
    "customer", "region", "shipping_address", "currency", "goods_amount", "discount_amount", "shipping_amount",
    "paid_amount", "platform_fee", "payment_channel", "payment_transaction_id", "status", *_ORDER_MILESTONES,
    "source_version", "source_updated_at", "details_version", "raw", "updated_at",
)
_LINE_SEPARATOR = "\x1f"


def _line_key(sku, name, quantity, unit_price, amount):
    return (sku, name, Decimal(quantity), Decimal(unit_price), Decimal(amount))


def _stored_lines(order):
    """The order's lines as read with it (`line_rows`), comparable with a report's."""
    keys = []
    for row in order.line_rows or []:
        parts = row.split(_LINE_SEPARATOR)
        if len(parts) != 5:
            return None  # a name holding the separator: compare as different (the lines are written again)
        keys.append(_line_key(*parts))
    return keys


def _report_lines(snapshot):
    return [_line_key(line.sku[:100], line.name[:255], line.quantity, line.unit_price, line.amount)
            for line in snapshot.lines]


def _orders_locked(store, numbers):
    """The store's orders of these numbers, locked, each with its lines as text (`line_rows`): one query."""
    rows = (OrderLine.objects.filter(order=OuterRef("pk")).order_by("position")
            .annotate(row=Concat(
                "sku", Value(_LINE_SEPARATOR), "name", Value(_LINE_SEPARATOR), Cast("quantity", TextField()),
                Value(_LINE_SEPARATOR), Cast("unit_price", TextField()), Value(_LINE_SEPARATOR),
                Cast("amount", TextField()), output_field=TextField()))
            .values("row"))
    orders = (Order.objects.select_for_update().filter(store=store, external_number__in=numbers)
              .annotate(line_rows=ArraySubquery(rows)))
    return {order.external_number: order for order in orders}


def _payment_channels(snapshots):
    """{code: PaymentChannel} of the payment channels the full reports name (one query when any does); a code the
    organization has no channel of refuses the batch (SettlementError, nothing written)."""
    codes = {snapshot.payment_channel for snapshot in snapshots if snapshot.payment_channel and not snapshot.partial}
    if not codes:
        return {}
    channels = {channel.code: channel for channel in PaymentChannel.objects.filter(code__in=codes)}
    for code in sorted(codes - set(channels)):
        known = PaymentChannel.objects.order_by("code").values_list("code", flat=True)
        raise ledger_refusal("settlement.unknown_payment_channel", code=code[:32], codes=", ".join(known) or "-")
    return channels


def _order_apply(order, created, snapshot, customer, region_of, payment_channels):
    """One report applied to the order in memory. Returns (applied, details, buyer_found)."""
    for name in _ORDER_MILESTONES:
        setattr(order, name, _earliest(getattr(order, name), getattr(snapshot, name)))
    stored_key = (order.source_version, ORDER_STATUS_RANK.get(order.status, 0))
    applied = created or (snapshot.version, ORDER_STATUS_RANK[snapshot.status]) > stored_key
    if applied:
        order.status, order.source_version = snapshot.status, snapshot.version
        order.source_updated_at = snapshot.updated_at
    # The details (amounts, lines, address) come from the newest full report, whatever the status pushes did.
    details = not snapshot.partial and (
        applied or order.details_version is None or snapshot.version > order.details_version)
    if details:
        order.details_version = max(snapshot.version, order.details_version or 0)
        order.currency = currency_code(snapshot.currency)
        order.goods_amount, order.discount_amount = snapshot.goods_amount, snapshot.discount_amount
        order.shipping_amount, order.paid_amount = snapshot.shipping_amount, snapshot.paid_amount
        order.platform_fee = snapshot.platform_fee
        if snapshot.payment_channel:  # a report that does not say keeps what an earlier one said
            order.payment_channel = payment_channels[snapshot.payment_channel]
        if snapshot.payment_transaction_id:
            order.payment_transaction_id = snapshot.payment_transaction_id[:64]
        if created or order.shipping_address != snapshot.shipping_address:  # else its region stands
            order.region = region_of(snapshot.shipping_address)
        order.shipping_address, order.raw = snapshot.shipping_address, snapshot.raw
    buyer_found = order.customer_id is None and customer is not None
    if buyer_found:
        order.customer = customer
    return applied, details, buyer_found


@transaction.atomic
def orders_upsert(*, organization, store, reports):
    """Store several reports of one store's orders at once, as `order_upsert` would one after the other (it is
    this with one report): `reports` is [(snapshot, customer, source)] in arrival order; returns [(order,
    applied)] in the same order. The orders are locked together (advisory locks in key order, then their rows in
    one query), each report is applied in memory, then the batch is written in a fixed few statements: new orders,
    changed orders, lines (only of orders whose lines changed), the reports. A failure undoes the whole batch."""
    with tenant_scope(organization):
        _currencies_check([snapshot.currency for snapshot, _customer, _source in reports if not snapshot.partial])
        payment_channels = _payment_channels([snapshot for snapshot, _customer, _source in reports])
        numbers = list(dict.fromkeys(snapshot.number for snapshot, _customer, _source in reports))
        advisory_xact_locks([("order", store.organization_id, store.pk, number) for number in numbers])
        existing = _orders_locked(store, numbers)
        orders, created, lines, found, results, history = dict(existing), {}, {}, set(), [], []
        regions = {}

        def region_of(address):
            key = tuple(sorted((k, str(v)) for k, v in address.items() if k in ("city", "province")))
            if key not in regions:
                regions[key] = _region_for(address)
            return regions[key]

        for snapshot, customer, source in reports:
            order = orders.get(snapshot.number)
            if order is None:
                order = orders[snapshot.number] = created[snapshot.number] = Order(
                    organization=organization, store=store, channel=store.channel, external_number=snapshot.number)
                order.line_rows = []
                applied, details, buyer_found = _order_apply(order, True, snapshot, customer, region_of,
                                                             payment_channels)
            else:
                applied, details, buyer_found = _order_apply(order, False, snapshot, customer, region_of,
                                                             payment_channels)
            if details:
                lines[snapshot.number] = snapshot
            if buyer_found:
                found.add(snapshot.number)
            history.append(OrderReport(
                organization_id=store.organization_id, store=store, order_number=snapshot.number,
                kind=OrderReport.Kind.ORDER, number=snapshot.number, status=snapshot.status,
                version=snapshot.version, applied=applied, source=source[:100]))
            results.append((order, applied))
        Order.objects.bulk_create(list(created.values()))
        if existing:
            now = timezone.now()
            for order in existing.values():
                order.updated_at = now
            tenant_bulk_update(existing.values(), _ORDER_UPDATE_FIELDS, organization=organization)
        _lines_write(organization, orders, existing, lines)
        _buyers_locate([(customer, orders[snapshot.number]) for snapshot, customer, _source in reports])
        _waiting_attach(store, [orders[number] for number in numbers if number in created or number in found])
        OrderReport.objects.bulk_create(history)
        return results


def _buyers_locate(pairs):
    """A buyer with no region takes their order's (its shipping address's city or province), so that the region's
    agents find them; a region the customer already has stays, whatever later orders say. [(customer, order)]: no
    query unless a buyer in memory has no region and their order has one."""
    by_region = {}
    for customer, order in pairs:
        if customer is not None and customer.region_id is None and order.region_id is not None:
            customer.region_id = order.region_id
            by_region.setdefault(order.region_id, []).append(customer.pk)
    for region_id, customer_ids in by_region.items():
        Customer.objects.filter(pk__in=customer_ids, region__isnull=True).update(region_id=region_id)


def _lines_write(organization, orders, existing, lines):
    """The lines of each order whose newest full report in the batch changed them: one DELETE, one INSERT."""
    changed = {number: snapshot for number, snapshot in lines.items()
               if number not in existing or _stored_lines(existing[number]) != _report_lines(snapshot)}
    stale = [existing[number].pk for number in changed if number in existing]
    if stale:
        OrderLine.objects.filter(order_id__in=stale).delete()
    OrderLine.objects.bulk_create([
        OrderLine(organization=organization, order=orders[number], position=n, sku=line.sku[:100],
                  name=line.name[:255], quantity=line.quantity, unit_price=line.unit_price, amount=line.amount)
        for number, snapshot in changed.items() for n, line in enumerate(snapshot.lines, start=1)
    ])


def _waiting_attach(store, orders):
    """What waited for these new orders, or for their buyer (a Douyin order pushed before its details), now
    points at them and opens its tickets; the returns first, so a return's refund shares the return's ticket.
    One query finds whether anything waits at all."""
    if not orders:
        return
    numbers = [order.external_number for order in orders]
    waiting_q = Q(order__isnull=True) | Q(customer__isnull=True)
    waiting = set(Refund.objects.filter(waiting_q, store=store, order_number__in=numbers)
                  .values_list("order_number", flat=True)
                  .union(AfterSale.objects.filter(waiting_q, store=store, order_number__in=numbers)
                         .values_list("order_number", flat=True)))
    for order in orders:
        if order.external_number in waiting:
            _aftersales_attach(order)
            _refunds_attach(order)


def _report(store, order_number, kind, number, snapshot, applied, source):
    OrderReport.objects.create(organization_id=store.organization_id, store=store, order_number=order_number,
                               kind=kind, number=number, status=snapshot.status, version=snapshot.version,
                               applied=applied, source=source[:100])


def _refunds_attach(order):
    """Refunds that arrived before their order (or its buyer) now point at it, and open their tickets if they
    could not yet."""
    waiting = list(Refund.objects.select_for_update().filter(
        Q(order__isnull=True) | Q(customer__isnull=True), store=order.store_id,
        order_number=order.external_number).order_by("pk"))
    for refund in waiting:
        refund.order = order
        refund.customer = refund.customer or order.customer
        refund.save(update_fields=["order", "customer", "updated_at"])
        _refund_ticket(refund)


@transaction.atomic
def refund_upsert(*, organization, store, snapshot, customer=None, source=""):
    """Store what a shop reported about a refund, attached to its order if the ledger has it (else it waits for
    it). A refund with a known customer opens one after-sales ticket, routed by the ticket rules and carrying the
    order number. Returns (refund, applied)."""
    with tenant_scope(organization):
        _currencies_check([snapshot.currency])
        _order_lock(store, snapshot.order_number)
        refund = Refund.objects.select_for_update().filter(store=store, external_number=snapshot.number).first()
        created = refund is None
        if created:
            refund = Refund(organization=organization, store=store, external_number=snapshot.number,
                            order_number=snapshot.order_number, amount=snapshot.amount)
        for name in _REFUND_MILESTONES:
            setattr(refund, name, _earliest(getattr(refund, name), getattr(snapshot, name)))
        stored_key = (refund.source_version, REFUND_STATUS_RANK.get(refund.status, 0))
        applied = created or (snapshot.version, REFUND_STATUS_RANK[snapshot.status]) > stored_key
        was = None if created else refund.status
        if applied:
            refund.status, refund.source_version = snapshot.status, snapshot.version
            refund.amount, refund.currency = snapshot.amount, currency_code(snapshot.currency)
            refund.reason, refund.raw = snapshot.reason[:255], snapshot.raw
        if refund.order_id is None:
            refund.order = Order.objects.filter(store=store, external_number=refund.order_number).first()
        refund.customer = refund.customer or customer or (refund.order.customer if refund.order else None)
        refund.save()
        _refund_ticket(refund)
        if applied:
            _ticket_tell(refund, "refund", was, REFUND_FINISHED)
        _report(store, snapshot.order_number, OrderReport.Kind.REFUND, snapshot.number, snapshot, applied, source)
        return refund, applied


def _refund_ticket(refund):
    """Open the refund's after-sales ticket once its customer is known (a ticket is always someone's)."""
    if refund.ticket_id is not None or refund.customer is None:
        return
    # The refund of a return shares the return's ticket (opened, or to be opened once its customer is known).
    case = AfterSale.objects.filter(store_id=refund.store_id, kind=AfterSale.Kind.RETURN,
                                    external_number=refund.external_number).only("pk", "ticket_id").first()
    if case is not None:
        if case.ticket_id is not None:
            refund.ticket_id = case.ticket_id
            refund.save(update_fields=["ticket", "updated_at"])
        return
    store = refund.store
    values = {"store": store.name, "order": refund.order_number, "refund": refund.external_number,
              "amount": refund.amount, "currency": refund.currency, "status": refund.get_status_display(),
              "reason": refund.reason or "-"}
    refund.ticket = ticket_open(
        organization=refund.organization, customer=refund.customer,
        subject=str(MSG_REFUND_TICKET_SUBJECT % values), description=str(MSG_REFUND_TICKET_BODY % values),
        channel=store.channel, source_ref=f"refund:{store.pk}:{refund.external_number}"[:128],
        order_number=refund.order_number,
    )
    refund.save(update_fields=["ticket", "updated_at"])


# What ends a case on the platform; a move out of one of these back to an open status reopens it.
REFUND_FINISHED = frozenset({Refund.Status.REFUSED, Refund.Status.REFUNDED, Refund.Status.CANCELLED})


def _ticket_tell(case, kind, was, finished):
    """Tell the case's ticket that the platform moved the case from status `was` (None: it just arrived, and
    opening the ticket said it) to its status now. Called for an applied report only: a replay or an older report
    changes nothing, so it tells nothing."""
    if was is None or was == case.status or case.ticket_id is None:
        return
    if case.status in finished:
        outcome = Outcome.FINISHED
    elif was in finished:
        outcome = Outcome.REOPENED
    else:
        outcome = Outcome.PROGRESS
    ticket_external_change(organization=case.organization, ticket=case.ticket_id, case=kind,
                           number=case.external_number, before=was, after=case.status, outcome=outcome,
                           words=CASE_WORDS)


# --- returns, exchanges, complaints ----------------------------------------------------------------------------------

AFTERSALE_STATUS_RANK = {
    AfterSale.Status.REQUESTED: 0, AfterSale.Status.APPROVED: 1, AfterSale.Status.REFUSED: 2,
    AfterSale.Status.CANCELLED: 3, AfterSale.Status.COMPLETED: 4,
}
AFTERSALE_FINISHED = frozenset({AfterSale.Status.REFUSED, AfterSale.Status.COMPLETED, AfterSale.Status.CANCELLED})


@transaction.atomic
def aftersale_upsert(*, organization, store, snapshot, customer=None, source=""):
    """Store what a shop reported about a return, an exchange or a complaint, attached to its order if the ledger
    has it (else it waits for it). The newest report wins, as for refunds. Once its customer is known it opens one
    after-sales ticket, routed by the ticket rules and carrying the order number; replays open nothing more.
    Returns (case, applied)."""
    with tenant_scope(organization):
        _order_lock(store, snapshot.order_number)
        case = AfterSale.objects.select_for_update().filter(
            store=store, kind=snapshot.kind, external_number=snapshot.number).first()
        created = case is None
        if created:
            case = AfterSale(organization=organization, store=store, kind=snapshot.kind,
                             external_number=snapshot.number, order_number=snapshot.order_number)
        case.requested_at = _earliest(case.requested_at, snapshot.requested_at)
        stored_key = (case.source_version, AFTERSALE_STATUS_RANK.get(case.status, 0))
        applied = created or (snapshot.version, AFTERSALE_STATUS_RANK[snapshot.status]) > stored_key
        was = None if created else case.status
        if applied:
            case.status, case.source_version = snapshot.status, snapshot.version
            case.reason, case.detail, case.rating = snapshot.reason[:255], snapshot.detail, snapshot.rating
            case.raw = snapshot.raw
        if case.order_id is None and case.order_number:
            case.order = Order.objects.filter(store=store, external_number=case.order_number).first()
        case.customer = case.customer or customer or (case.order.customer if case.order else None)
        case.save()
        _aftersale_ticket(case)
        if applied:
            _ticket_tell(case, case.kind, was, AFTERSALE_FINISHED)
        return case, applied


def _aftersales_attach(order):
    """Returns, exchanges and complaints that arrived before their order (or its buyer) now point at it, and open
    their tickets if they could not yet."""
    waiting = list(AfterSale.objects.select_for_update().filter(
        Q(order__isnull=True) | Q(customer__isnull=True), store=order.store_id,
        order_number=order.external_number).order_by("pk"))
    for case in waiting:
        case.order = order
        case.customer = case.customer or order.customer
        case.save(update_fields=["order", "customer", "updated_at"])
        _aftersale_ticket(case)


def _aftersale_ticket(case):
    """Open the case's ticket once its customer is known. A return shares the ticket of the refund of the same
    number, whichever of the two came first."""
    if case.ticket_id is not None or case.customer is None:
        return
    store = case.store
    if case.kind == AfterSale.Kind.RETURN:
        refund = Refund.objects.filter(store=store, external_number=case.external_number).only(
            "pk", "ticket_id").first()
        if refund is not None and refund.ticket_id is not None:
            case.ticket_id = refund.ticket_id
            case.save(update_fields=["ticket", "updated_at"])
            return
    values = {"store": store.name, "order": case.order_number or "-", "number": case.external_number,
              "kind": case.get_kind_display(), "status": case.get_status_display(), "reason": case.reason or "-",
              "detail": case.detail, "rating": case.rating}
    if case.kind == AfterSale.Kind.COMPLAINT and case.rating is not None:
        subject = MSG_BAD_REVIEW_SUBJECT % values
    else:
        subject = MSG_AFTERSALE_TICKET_SUBJECT[case.kind] % values
    case.ticket = ticket_open(
        organization=case.organization, customer=case.customer, subject=str(subject),
        description=str(MSG_AFTERSALE_TICKET_BODY % values).strip(), channel=store.channel,
        source_ref=f"{case.kind}:{store.pk}:{case.external_number}"[:128], order_number=case.order_number,
    )
    case.save(update_fields=["ticket", "updated_at"])
    if case.kind == AfterSale.Kind.RETURN:
        Refund.objects.filter(store=store, external_number=case.external_number, ticket__isnull=True).update(
            ticket=case.ticket)


# --- the currencies the organization accepts ------------------------------------------------------------------------

def _currencies_check(currencies):
    """Refuse (SettlementError, nothing written) reports in a currency the organization does not accept."""
    settings = LedgerSettings.objects.filter().only("accepted_currencies").first()
    accepted = settings.currencies if settings is not None else set()
    if not accepted:
        return
    for currency in currencies:
        code = currency_code(currency)
        if code not in accepted:
            raise ledger_refusal("settlement.currency_not_accepted", accepted=", ".join(sorted(accepted)),
                                 currency=code)


def ledger_currencies_parse(text):
    """The ISO 4217 codes in `text` (or a list of them), upper case, sorted, without repeats; SettlementError naming
    every code that is not one (nothing is set)."""
    parts = text.replace("，", ",").replace(" ", ",").split(",") if isinstance(text, str) else list(text)
    codes = {str(part).strip().upper() for part in parts if str(part).strip()}
    unknown = sorted(code for code in codes if code not in ISO_4217)
    if unknown:
        raise SettlementError(MSG_NOT_ISO_4217 % {"codes": ", ".join(code[:10] for code in unknown)})
    return sorted(codes)


@transaction.atomic
def ledger_currencies_set(*, organization, currencies, by=None):
    """Set the currencies the organization's ledger accepts (ISO 4217 codes; empty: any), with one row of the
    settings audit trail (before and after) when it changes. An unknown code: SettlementError, nothing written."""
    codes = ledger_currencies_parse(currencies)
    with tenant_scope(organization):
        settings = LedgerSettings.objects.select_for_update().filter(organization=organization).first()
        before = settings.accepted_currencies if settings is not None else None
        after = ",".join(codes)
        if settings is None:
            settings = LedgerSettings.objects.create(organization=organization, accepted_currencies=after)
        elif before != after:
            settings.accepted_currencies = after
            settings.save(update_fields=["accepted_currencies", "updated_at"])
        if before != after:
            settings_change_record(
                instance=settings, by=by,
                action=SettingsChange.Action.CREATED if before is None else SettingsChange.Action.CHANGED,
                detail={"accepted_currencies": {"before": before or "", "after": after}})
        return settings
