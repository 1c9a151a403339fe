"""Reads of the orders ledger shaped for its pages: each a bounded number of queries whatever its length."""

from django.db.models import Prefetch

from settlement.models import Order, OrderReport, Refund, Store
from tickets.models import Ticket


def store_list():
    return Store.objects.order_by("name", "pk")


def order_list():
    """The orders list: newest first, with the store, customer and region each row shows (no query per row)."""
    return (Order.objects.select_related("store", "customer", "region")
            .defer("raw", "shipping_address").order_by("-placed_at", "-pk"))


def order_detail(*, pk):
    """One order with its lines and refunds (and each refund's ticket), or None."""
    refunds = Refund.objects.select_related("ticket", "ticket__assignee").order_by("created_at", "pk")
    return (Order.objects.select_related("store", "customer", "region")
            .prefetch_related("lines", Prefetch("refunds", queryset=refunds)).filter(pk=pk).first())


def order_tickets(*, order):
    """The tickets about this order: those its refunds opened and those an agent filed with its order number."""
    refund_tickets = [refund.ticket_id for refund in order.refunds.all() if refund.ticket_id]
    by_number = Ticket.objects.filter(order_number=order.external_number)
    if order.customer_id:
        by_number = by_number.filter(customer_id=order.customer_id)
    return (Ticket.objects.filter(pk__in=[*refund_tickets, *by_number.values_list("pk", flat=True)])
            .select_related("assignee", "queue").order_by("-created_at", "-pk"))


def order_list_api():
    """Orders with what the API writes of each (lines and refunds prefetched: a page costs a fixed few queries)."""
    refunds = Refund.objects.defer("raw").order_by("created_at", "pk")
    return (Order.objects.select_related("store", "customer").defer("raw").order_by("-placed_at", "-pk")
            .prefetch_related("lines", Prefetch("refunds", queryset=refunds)))


def refund_list():
    return Refund.objects.defer("raw").order_by("-created_at", "-pk")


def order_history(*, order, limit=100):
    """The reports the store made about the order and its refunds, newest first."""
    return (OrderReport.objects.filter(store_id=order.store_id, order_number=order.external_number)
            .order_by("-received_at", "-pk")[:limit])
