"""The orders ledger's entries of the customer timeline (registered from SettlementConfig.ready): what the customer
bought and asked back, so an agent sees it beside the conversations (amounts masked for a role that masks them).
No link: agents do not open the ledger."""

from django.utils.translation import gettext_lazy as _

from scrm.platform.timeline import TimelineEntry
from settlement.models import Order, Refund
from settlement.selectors import AMOUNT_MASK, ledger_masks_amounts

ORDER_TITLE = _("Order %(number)s at %(store)s: %(amount)s %(currency)s, %(status)s")
REFUND_TITLE = _("Refund %(number)s of order %(order)s: %(amount)s %(currency)s, %(status)s")


def _older(queryset, field, before, limit):
    queryset = queryset.filter(**{f"{field}__isnull": False})
    if before is not None:
        queryset = queryset.filter(**{f"{field}__lt": before})
    return queryset.order_by(f"-{field}")[:limit]


def order_entries(*, customer, before, limit, user=None):
    masked = user is None or ledger_masks_amounts(user)
    orders = _older(Order.objects.filter(customer=customer).select_related("store").defer("raw"), "placed_at",
                    before, limit)
    for order in orders:
        yield TimelineEntry(at=order.placed_at, kind="order", icon="bi-bag", title=ORDER_TITLE % {
            "number": order.external_number, "store": order.store.name,
            "amount": AMOUNT_MASK if masked else order.paid_amount,
            "currency": order.currency, "status": order.get_status_display()})


def refund_entries(*, customer, before, limit, user=None):
    masked = user is None or ledger_masks_amounts(user)
    for refund in _older(Refund.objects.filter(customer=customer).defer("raw"), "created_at", before, limit):
        yield TimelineEntry(at=refund.created_at, kind="refund", icon="bi-arrow-counterclockwise",
                            title=REFUND_TITLE % {"number": refund.external_number, "order": refund.order_number,
                                                  "amount": AMOUNT_MASK if masked else refund.amount,
                                                  "currency": refund.currency,
                                                  "status": refund.get_status_display()})
