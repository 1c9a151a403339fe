"""The left navigation: one entry per module, shown only to roles that may use it."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scrm.platform.access import user_can_use_module


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


@dataclass(frozen=True)
class NavGroup:
    """A run of a module's pages that belong together (finance's daily work, its configuration, ...)."""

    key: str
    label: str


@dataclass(frozen=True)
class NavChild:
    """A page of a module listed under its entry: `allowed(user)` says who sees it (the page checks again)."""

    key: str
    label: str
    url_name: str
    icon: str = "bi-dot"
    allowed: object = None
    # What the page answers, in a line: shown where the module lists its pages as cards (the reports page).
    description: str = ""
    # The NavGroup of the pages it sits among (None for none): a module's home lists its pages under their groups'
    # captions, and the sidebar shows the caption above each run of pages of one group.
    group: object = None


_children = {}


def register_nav_children(module, children):
    """Other apps list their module's pages from their AppConfig.ready() (the core app imports none of them):
    `register_nav_children("tickets", [NavChild("mine", _("My tickets"), "tickets:index"), ...])`. Several apps may
    add pages to one module (settings); registering a key again replaces that page."""
    entries = {child.key: child for child in _children.get(module, ())}
    entries.update((child.key, child) for child in children)
    _children[module] = list(entries.values())


def _children_for(user, module):
    entries = []
    previous = None
    for child in _children.get(module, ()):
        if child.allowed is not None and not child.allowed(user):
            continue
        url = reverse(child.url_name)
        # The first page of a group the user sees carries its caption (the sidebar's heading above the run).
        caption = child.group.label if child.group is not None and child.group != previous else ""
        previous = child.group
        entries.append({"child": child, "url": url, "active": False, "caption": caption})
    return entries


def _mark_current(items, current_path):
    """Light up the section the page belongs to and its page: the entry whose address is the longest start of the
    current path wins, so /tickets/settings/queues/1/ is Settings › Queues (not Tickets) and an edit page lights its
    list's entry. On a tie a module's own entry wins over a page another module lists under it (/forms/3/ is Forms).
    A page at its module's own address (/tickets/ is 我的工单) lights on that address only: it starts every address of
    the module, and a ticket opened from the team queues or the board is not one of 我的工单."""
    best = None  # (length of the matching address, 1 for a module's own entry, the module's entry)

    def lights(item, sub):
        if sub["url"] == item["url"]:
            return current_path == sub["url"]
        return current_path.startswith(sub["url"])

    for item in items:
        matches = [(len(sub["url"]), 0) for sub in item["children"] if lights(item, sub)]
        if current_path.startswith(item["url"]):
            matches.append((len(item["url"]), 1))
        for match in matches:
            if best is None or match > best[:2]:
                best = (*match, item)
    if best is None:
        return
    item = best[2]
    item["active"] = True
    matches = [sub for sub in item["children"] if lights(item, sub)]
    if matches:
        max(matches, key=lambda sub: len(sub["url"]))["active"] = True


def nav_children_for(user, module):
    """The pages other apps registered under a module that this user may open, with their URLs."""
    return _children_for(user, module)


def nav_groups_for(user, module):
    """The pages of a module this user may open, grouped by their `group` in registration order:
    [{"group": NavGroup or None, "entries": [...]}, ...], one item per run of pages of one group."""
    groups = []
    for entry in _children_for(user, module):
        group = entry["child"].group
        if not groups or groups[-1]["group"] != group:
            groups.append({"group": group, "entries": []})
        groups[-1]["entries"].append(entry)
    return groups


def nav_for(user, current_path=""):
    """The navigation entries a user may see, each with its URL, whether it is the current section, and the
    pages of the module registered with register_nav_children."""
    items = []
    for item in NAV_ITEMS:
        if user_can_use_module(user, item.module):
            url = reverse(item.url_name)
            items.append({"item": item, "url": url, "active": False,
                          "children": _children_for(user, item.module)})
    _mark_current(items, current_path)
    return items
