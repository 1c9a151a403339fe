"""An order report's source in a finance reader's words (`OrderReport.source_label`).

The channel app records what delivered a report as a short code: "<what> #<id>", the store's own event name and our
event's id ("order.updated #555", "shopify:orders/paid #7", "youzan:trade_TradePaid #9"), or a details fetch
("shop_order_fetch #12"); or a plain word ("demo"). The code stays stored as it came (support reads it); the page
says what happened: "订单更新（事件 #555）". Only the words of the code are read here (order, refund, paid, ...), never
a platform's format, so a store's new event name still reads as a message from the store.
"""

import re

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

_REFERENCE = re.compile(r"^(?P<code>\S+) #(?P<id>\d+)$")
# The words of a code: "trade_TradePaid" → trade, trade, paid; "orders/updated" → orders, updated.
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

_NOUNS = {
    "order": pgettext_lazy("order report source", "Order"),
    "refund": pgettext_lazy("order report source", "Refund"),
    "return": pgettext_lazy("order report source", "Return"),
    "exchange": pgettext_lazy("order report source", "Exchange"),
    "aftersale": pgettext_lazy("order report source", "After-sale"),
}
_NOUN_WORDS = {"order": "order", "orders": "order", "trade": "order", "refund": "refund", "refunds": "refund",
               "return": "return", "returns": "return", "exchange": "exchange", "aftersale": "aftersale"}
# A refund or a return is named in an order's event ("trade_refund_..."): the more particular noun wins.
_NOUN_RANK = ["refund", "return", "exchange", "aftersale", "order"]

_VERBS = {
    "created": pgettext_lazy("order report source", "created"),
    "updated": pgettext_lazy("order report source", "updated"),
    "paid": pgettext_lazy("order report source", "paid"),
    "shipped": pgettext_lazy("order report source", "shipped"),
    "completed": pgettext_lazy("order report source", "completed"),
    "cancelled": pgettext_lazy("order report source", "cancelled"),
    "requested": pgettext_lazy("order report source", "requested"),
    "approved": pgettext_lazy("order report source", "approved"),
    "refused": pgettext_lazy("order report source", "refused"),
}
_VERB_WORDS = {
    "create": "created", "created": "created", "update": "updated", "updated": "updated", "modified": "updated",
    "paid": "paid", "shipped": "shipped", "fulfilled": "shipped", "send": "shipped", "completed": "completed",
    "success": "completed", "cancel": "cancelled", "cancelled": "cancelled", "canceled": "cancelled",
    "closed": "cancelled", "request": "requested", "requested": "requested", "approve": "approved",
    "approved": "approved", "agree": "approved", "decline": "refused", "declined": "refused", "refuse": "refused",
}

MSG_SOURCE_EVENT = _("%(what)s (event #%(id)s)")
MSG_SOURCE_FETCH = _("Order details fetched from the store (job #%(id)s)")
MSG_NOUN_VERB = _("%(noun)s %(verb)s")
MSG_NOUN_ONLY = _("%(noun)s message from the store")
MSG_DEMO = _("Demo data")


def source_words(source, *, kind=""):
    """The words for `source` ("" when there is none); `kind` (order, refund) names a code whose words do not."""
    source = (source or "").strip()
    if not source:
        return ""
    if source == "demo":
        return str(MSG_DEMO)
    match = _REFERENCE.match(source)
    if match is None:
        return source  # a word nobody taught us: shown as it was written
    words = [word.lower() for word in _WORDS.findall(match["code"])]
    if "fetch" in words:
        return str(MSG_SOURCE_FETCH) % {"id": match["id"]}
    nouns = {_NOUN_WORDS[word] for word in words if word in _NOUN_WORDS}
    noun = next((name for name in _NOUN_RANK if name in nouns), kind if kind in _NOUNS else "order")
    verb = next((_VERB_WORDS[word] for word in reversed(words) if word in _VERB_WORDS), None)
    if verb is None:
        what = str(MSG_NOUN_ONLY) % {"noun": _NOUNS[noun]}
    else:
        what = str(MSG_NOUN_VERB) % {"noun": _NOUNS[noun], "verb": _VERBS[verb]}
    return str(MSG_SOURCE_EVENT) % {"what": what, "id": match["id"]}
