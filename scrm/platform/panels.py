"""Panels other apps add to a page they do not own: the ticket page shows the customer's orders, yet tickets never
imports settlement. An app registers a provider for a page from its AppConfig.ready(); the page asks every provider
for its panel and includes the template each names.

    register_panel("ticket", "settlement.orders", ticket_orders_panel)

A provider is called with the page's subject as keyword arguments (the ticket page: `ticket=`, `user=`) and
answers a `Panel`, or None when it has nothing to show. It runs a bounded number of queries (a few, whatever the
history's length), and decides itself what the user may see.
"""

from dataclasses import dataclass, field

_providers = {}


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: dict = field(default_factory=dict)


def register_panel(page, name, provider):
    """Add (or replace, by name) a provider of a panel on `page`; panels show in the order they registered."""
    _providers.setdefault(page, {})[name] = provider


def panels_for(page, **subject):
    """The panels of the page for this subject (those whose provider had something to show)."""
    panels = []
    for provider in _providers.get(page, {}).values():
        panel = provider(**subject)
        if panel is not None:
            panels.append(panel)
    return panels


def panel_providers(page):
    return dict(_providers.get(page, {}))
