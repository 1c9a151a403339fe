import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scrm.models import Customer, PiiReveal


class CustomerTable(tables.Table):
    """The customer list's columns, ordering and pagination; templates/scrm/customers/_table.html renders the
    rows. Personal data is always masked there; the customer page reveals it (logged)."""

    select = tables.CheckBoxColumn(accessor="pk")
    display_name = tables.Column(verbose_name=pgettext_lazy("person", "Name"))
    mobile = tables.Column(verbose_name=_("Mobile"), orderable=False)
    level = tables.Column(verbose_name=_("Level"))
    region = tables.Column(verbose_name=_("Region"), accessor="region__name")
    tags = tables.Column(verbose_name=_("Tags"), empty_values=(), orderable=False)
    channels = tables.Column(verbose_name=_("Channels"), empty_values=(), orderable=False)
    owner = tables.Column(verbose_name=_("Owner"))
    last_contact_at = tables.Column(verbose_name=_("Last contact"))
    created_at = tables.Column(verbose_name=_("Created"))

    class Meta:
        model = Customer
        fields = ("select", "display_name", "mobile", "level", "region", "tags", "channels", "owner",
                  "last_contact_at", "created_at")
        order_by = ("-created_at",)
        empty_text = _("No customers match. Change the filters, or import your customer base.")


def _field_label(name):
    try:
        return Customer._meta.get_field(name).verbose_name
    except FieldDoesNotExist:
        return name


class PiiRevealTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=_("When"), format="Y-m-d H:i:s")
    user = tables.Column(verbose_name=_("Who"))
    customer = tables.Column(verbose_name=_("Whom"), empty_values=())
    fields = tables.Column(verbose_name=_("What"))

    class Meta:
        model = PiiReveal
        fields = ("created_at", "user", "customer", "fields")
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = _("Nobody has revealed a customer's personal data yet.")

    def render_fields(self, value):
        """"mobile,real_name" as the fields' own names: 手机号、真实姓名."""
        return str(pgettext_lazy("list separator", ", ")).join(
            str(_field_label(name)) for name in value.split(",") if name)

    def render_customer(self, record):
        if record.customer_id is None:  # deleted since (an undone import): the name it had
            return format_html('{} <span class="text-muted small">{}</span>', record.customer_name, _("(deleted)"))
        return format_html('<a href="{}">{}</a>', reverse("scrm:customer-detail", args=[record.customer_id]),
                           record.customer.display_name)
