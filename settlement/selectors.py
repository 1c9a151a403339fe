"""Reads of the orders ledger shaped for its pages: each a bounded number of queries whatever its length.

Who sees which orders and refunds, and whether their amounts show, is written once here (`order_visible_q`,
`refund_visible_q`, `ledger_masks_amounts`, `ledger_masks_address`): the orders pages, the API and the customer
timeline call them, and so must every later settlement page (reconciliation, statements). docs/roles.md.
"""

from django.db.models import Prefetch, Q

from scrm.models import MaskedField, SettingsChange
from scrm.platform.access import user_masks, user_roles
from scrm.platform.roles import ROLE_PERMISSIONS
from scrm.selectors import ALL_ROWS, combine_scopes, custom_scope_q
from settlement.models import AfterSale, LedgerSettings, Order, OrderReport, Refund, Store
from tickets.models import Ticket

# What a masked amount (or address) shows, on pages and in the API.
AMOUNT_MASK = "***"
ORDER_AMOUNT_FIELDS = ("goods_amount", "discount_amount", "shipping_amount", "paid_amount", "platform_fee")


def _preset_reads(user, permission):
    """Whether one of the user's preset roles holds `permission` (finance and ops hold the ledger's)."""
    app_label, codename = permission.split(".")
    model = codename.removeprefix("view_")
    table = ROLE_PERMISSIONS.get(app_label, {})
    return any("view" in table.get(role, {}).get(model, ()) for role in user_roles(user))


def _ledger_q(user, permission, region):
    if user.is_superuser:
        return Q()
    preset = ALL_ROWS if _preset_reads(user, permission) else None
    custom = custom_scope_q(user=user, permission=permission, own=Q(customer__owner=user),
                            team=lambda teams: Q(customer__owner__agent_profile__team__in=teams), region=region)
    return combine_scopes(preset, custom)


def order_visible_q(*, user):
    """A Q of the orders the user may read in the ledger (pages, API, and later settlement pages).

    Finance and ops admins (the preset roles holding `settlement.view_order`): every order of the organization. A
    custom role granting `settlement.view_order`: its data scope, read through the order's customer (own = orders
    of customers the user owns, team = of customers owned by the team's members) and the order's region (own
    region, region and sub-regions). Anyone else: none; agents and supervisors see a customer's orders only on the
    customer's timeline (the customer page, the ticket page), through the customer rule."""
    return _ledger_q(user, "settlement.view_order", "region")


def refund_visible_q(*, user):
    """The refunds the user may read: the same rule as orders (`settlement.view_refund`; region: the order's)."""
    return _ledger_q(user, "settlement.view_refund", "order__region")


def aftersale_visible_q(*, user):
    """The returns, exchanges and complaints the user may read: the same rule as orders
    (`settlement.view_aftersale`; region: the order's)."""
    return _ledger_q(user, "settlement.view_aftersale", "order__region")


def ledger_masks_amounts(user):
    """Whether the user sees order and refund amounts masked (a role masking "order amounts")."""
    return user_masks(user, MaskedField.ORDER_AMOUNT)


def ledger_masks_address(user):
    """Whether the user sees an order's shipping address masked (finance, and a role masking addresses)."""
    return user_masks(user, MaskedField.ADDRESS)


def order_mask_amounts(order):
    """Replace the amounts of a loaded order, its lines and refunds by AMOUNT_MASK, for a page (never saved)."""
    for name in ORDER_AMOUNT_FIELDS:
        setattr(order, name, AMOUNT_MASK)
    for line in order.lines.all():
        line.unit_price = line.amount = AMOUNT_MASK
    for refund in order.refunds.all():
        refund.amount = AMOUNT_MASK
    return order


def store_list():
    return Store.objects.order_by("name", "pk")


def order_list(*, user):
    """The orders list: newest first, with the store, customer and region each row shows (no query per row)."""
    return (Order.objects.filter(order_visible_q(user=user)).select_related("store", "customer", "region")
            .defer("raw", "shipping_address").order_by("-placed_at", "-pk"))


def order_detail(*, pk, user):
    """One order the user may read, with its lines, refunds and after-sales cases (returns, exchanges, complaints;
    each with its ticket), or None. The cases show only to a user who may read them (`aftersale_visible_q`)."""
    refunds = Refund.objects.select_related("ticket", "ticket__assignee").order_by("created_at", "pk")
    cases = (AfterSale.objects.filter(aftersale_visible_q(user=user)).select_related("ticket", "ticket__assignee")
             .defer("raw").order_by("created_at", "pk"))
    return (Order.objects.filter(order_visible_q(user=user)).select_related("store", "customer", "region")
            .prefetch_related("lines", Prefetch("refunds", queryset=refunds),
                              Prefetch("aftersales", queryset=cases)).filter(pk=pk).first())


def order_tickets(*, order):
    """The tickets about this order: those its refunds and after-sales cases opened and those an agent filed with
    its order number."""
    refund_tickets = [refund.ticket_id for refund in order.refunds.all() if refund.ticket_id]
    refund_tickets += [case.ticket_id for case in order.aftersales.all() if case.ticket_id]
    by_number = Ticket.objects.filter(order_number=order.external_number)
    if order.customer_id:
        by_number = by_number.filter(customer_id=order.customer_id)
    return (Ticket.objects.filter(pk__in=[*refund_tickets, *by_number.values_list("pk", flat=True)])
            .select_related("assignee", "queue").order_by("-created_at", "-pk"))


def order_list_api(*, user):
    """Orders with what the API writes of each (lines and refunds prefetched: a page costs a fixed few queries)."""
    refunds = Refund.objects.defer("raw").order_by("created_at", "pk")
    return (Order.objects.filter(order_visible_q(user=user)).select_related("store", "customer").defer("raw")
            .order_by("-placed_at", "-pk").prefetch_related("lines", Prefetch("refunds", queryset=refunds)))


def refund_list(*, user):
    return Refund.objects.filter(refund_visible_q(user=user)).defer("raw").order_by("-created_at", "-pk")


def aftersale_list(*, user):
    """Returns, exchanges and complaints for the API, newest first, with the store and customer each row names."""
    return (AfterSale.objects.filter(aftersale_visible_q(user=user)).select_related("store", "customer")
            .defer("raw").order_by("-created_at", "-pk"))


def order_history(*, order, limit=100):
    """The reports the store made about the order and its refunds, newest first."""
    return (OrderReport.objects.filter(store_id=order.store_id, order_number=order.external_number)
            .order_by("-received_at", "-pk")[:limit])


def ledger_settings_get():
    """The organization's ledger settings (in the open scope), or None when never set (every currency accepted)."""
    return LedgerSettings.objects.first()


def ledger_settings_changes(*, limit=20):
    """The latest changes of the accepted currencies (the settings audit trail), newest first, with who made them."""
    return (SettingsChange.objects.filter(subject=LedgerSettings._meta.label_lower).select_related("by")
            .order_by("-at", "-pk")[:limit])
