"""The orders panel of the ticket page (registered from SettlementConfig.ready(); tickets never imports settlement):
the order the ticket is about, with its lines, refunds, returns and complaints and its status, and the customer's
latest orders. At most five queries whatever the customer's history: the latest orders, the ticket's order, its
lines, its refunds, its after-sales cases."""

from django.db.models import Case, IntegerField, Prefetch, Value, When

from scrm.platform.panels import Panel
from settlement.models import AfterSale, Order, Refund

RECENT_ORDERS = 5
TEMPLATE = "settlement/_ticket_orders.html"


def _ticket_order(ticket):
    """The order named by the ticket's order number: the customer's own, else the organization's only order of
    that number (two stores may share a number; then the ticket names none for sure)."""
    if not ticket.order_number:
        return None
    refunds = Refund.objects.defer("raw").order_by("created_at", "pk")
    candidates = list(
        Order.objects.filter(external_number=ticket.order_number).select_related("store").defer("raw")
        .annotate(mine=Case(When(customer_id=ticket.customer_id, then=Value(1)), default=Value(0),
                            output_field=IntegerField()))
        .prefetch_related("lines", Prefetch("refunds", queryset=refunds),
                          Prefetch("aftersales", queryset=AfterSale.objects.defer("raw").order_by("created_at", "pk")))
        .order_by("-mine", "-placed_at", "-pk")[:2])
    if not candidates:
        return None
    if candidates[0].mine or len(candidates) == 1:
        return candidates[0]
    return None


def ticket_orders_panel(*, ticket, user):
    """The panel, or None when the customer has no order and the ticket names none."""
    focus = _ticket_order(ticket)
    recent = []
    if ticket.customer_id is not None:  # an internal ticket has no customer, so no "latest orders"
        recent = list(Order.objects.filter(customer_id=ticket.customer_id).select_related("store")
                      .defer("raw", "shipping_address").order_by("-placed_at", "-pk")[:RECENT_ORDERS + 1])
    if focus is None and not recent and not ticket.order_number:
        return None
    more = len(recent) > RECENT_ORDERS
    recent = [order for order in recent[:RECENT_ORDERS] if focus is None or order.pk != focus.pk]
    return Panel(name="settlement.orders", template=TEMPLATE, context={
        "focus": focus, "recent": recent, "more": more, "limit": RECENT_ORDERS, "ticket": ticket,
        "may_open_orders": user.has_perm("settlement.view_order"),
        "order_number_unmatched": bool(ticket.order_number) and focus is None,
    })
