import django_tables2 as tables
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from settlement.models import Order
from settlement.money_text import money_display
from settlement.selectors import AMOUNT_MASK


class MoneyColumn(tables.Column):
    """An amount as finance reads it on a page, grouped by thousands (1,234,567.89; fractions of a fen kept)."""

    def render(self, value):
        return money_display(value)


class OrderTable(tables.Table):
    external_number = tables.LinkColumn("settlement:order-detail", args=[tables.A("pk")],
                                        verbose_name=_("Order number"))
    store = tables.Column(verbose_name=_("Store"), orderable=False)
    customer = tables.Column(verbose_name=_("Customer"), accessor="customer__display_name", orderable=False,
                             default="—")
    status = tables.Column(verbose_name=_("Status"))
    paid_amount = MoneyColumn(verbose_name=_("Paid amount"), attrs={"td": {"class": "text-end"}})
    currency = tables.Column(verbose_name=_("Currency"), orderable=False)
    region = tables.Column(verbose_name=_("Region"), orderable=False, default="—")
    placed_at = tables.DateTimeColumn(verbose_name=_("Placed"), order_by=("placed_at", "pk"), format="Y-m-d H:i",
                                      attrs={"td": {"class": "fin-nowrap"}})

    def __init__(self, *args, mask_amounts=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.mask_amounts = mask_amounts
        if mask_amounts:  # sorting by a hidden amount would tell it
            self.columns["paid_amount"].column.orderable = False

    def render_paid_amount(self, value):
        return AMOUNT_MASK if self.mask_amounts else money_display(value)

    def render_status(self, record):
        # The statuses are lower case to sit inside a sentence ("…, paid"); alone in a cell they start a label.
        return capfirst(record.get_status_display())

    class Meta:
        model = Order
        fields = ("external_number", "store", "customer", "status", "paid_amount", "currency", "region",
                  "placed_at")
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "orders"}
        empty_text = _("No order matches. Orders appear here as the connected stores report them.")
