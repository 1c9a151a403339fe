"""The left navigation: one entry per module, shown only to roles that may use it."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scrm.access import user_can_use_module


@dataclass(frozen=True)
class NavItem:
    module: str
    label: str
    url_name: str
    icon: str


NAV_ITEMS = [
    NavItem("tickets", _("Tickets"), "tickets:index", "bi-inbox"),
    NavItem("customers", _("Customers"), "scrm:customers", "bi-people"),
    NavItem("forms", _("Forms"), "forms_builder:index", "bi-ui-checks"),
    NavItem("settlement", _("Settlement"), "settlement:index", "bi-cash-coin"),
    NavItem("reports", _("Reports"), "scrm:reports", "bi-bar-chart"),
    NavItem("settings", _("Settings"), "scrm:settings", "bi-gear"),
]


def nav_for(user, current_path=""):
    """The navigation entries a user may see, each with its URL and whether it is the current section."""
    items = []
    for item in NAV_ITEMS:
        if user_can_use_module(user, item.module):
            url = reverse(item.url_name)
            items.append({"item": item, "url": url, "active": current_path.startswith(url)})
    return items
