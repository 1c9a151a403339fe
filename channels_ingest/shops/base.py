"""What every shop adapter shares: exact JSON, the platforms' times, and the shape of what an adapter returns.

Numbers in a shop's JSON are read as their exact text: an order id above 2^53 stays the id it was (a JavaScript
client or a float would have changed its last digits), and an amount keeps its fen.

Strings are read as text PostgreSQL can store: JSON may escape a NUL (`\u0000`) or half of a surrogate pair (a
JavaScript shop system that cut a nickname in the middle of an emoji writes `\ud83d` alone), neither of which a
text or jsonb column accepts (the insert failed: the callback answered 500 and the platform pushed it again for
ever). Each such character is read as U+FFFD, the replacement character, as a lenient UTF-8 decoder does.
"""

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.http import HttpResponseForbidden, JsonResponse
from django.utils.translation import gettext_lazy as _

from channels_ingest.wire import SignatureError, WireError
from scrm.platform.coded import coded, coded_messages_register

SHOP_EVENT_MALFORMED = "shop:malformed"
PLATFORM_TZ = ZoneInfo("Asia/Shanghai")  # the Chinese platforms give local times without an offset

MSG_MALFORMED = _("The callback was signed correctly but its body is not usable: %(error)s")
MSG_UNKNOWN_EVENT = _("Event type %(type)s is not one the orders ledger reads; stored and acknowledged.")
MSG_TEST_PUSH = _("The platform's test push; nothing to record.")
# Why a stored event cannot be read, by code: the worker records the code with its parameters
# (scrm.platform.coded) and the account's events page words it in the reader's language.
FIELD_PROBLEMS = coded_messages_register({
    "channels_ingest.field_missing": _("Field %(field)s: missing"),
    "channels_ingest.field_not_string": _("Field %(field)s: not a string"),
    "channels_ingest.field_too_long": _("Field %(field)s: longer than %(limit)s characters"),
    "channels_ingest.field_not_number": _("Field %(field)s: not a number"),
    "channels_ingest.field_not_quantity": _("Field %(field)s: not a positive quantity"),
    "channels_ingest.field_not_time": _("Field %(field)s: not a time"),
    "channels_ingest.field_not_json_object": _("Field %(field)s: not a JSON object"),
    "channels_ingest.field_not_object": _("Field %(field)s: not an object"),
    "channels_ingest.field_missing_or_not_object": _("Field %(field)s: missing or not an object"),
    "channels_ingest.field_not_one_of": _("Field %(field)s: %(value)s is not one of %(allowed)s"),
    "channels_ingest.field_not_list": _("Field %(field)s: not a list of objects"),
    "channels_ingest.field_bad_rating": _("Field %(field)s: not a whole number of stars from 1 to 5"),
    "channels_ingest.field_not_fen": _("Field %(field)s: not an amount in fen"),
    "channels_ingest.field_unknown_status": _("Field %(field)s: unknown status %(value)s"),
    "channels_ingest.malformed": MSG_MALFORMED,
})
MSG_GOOD_REVIEW = _("A review of %(rating)s stars: only a bad review (%(bad)s stars or fewer) opens a ticket.")
# Why an event was ignored, coded the same way (a worker has no reader's language): the note is worded on the page.
IGNORED_NOTES = coded_messages_register({
    "channels_ingest.unknown_event": MSG_UNKNOWN_EVENT,
    "channels_ingest.test_push": MSG_TEST_PUSH,
    "channels_ingest.good_review": MSG_GOOD_REVIEW,
})


class UnknownEvent(Exception):  # noqa: N818 - an outcome: the event is stored as ignored
    pass


class Ignored(Exception):  # noqa: N818 - an outcome: the event is stored as ignored, with why
    """An event the ledger reads and has nothing to do with (a good review): its message (a coded note,
    scrm.platform.coded) says why."""


class TestPush(UnknownEvent):
    """The platform's test message (sent when the callback URL is set up): stored as ignored, saying so."""


class PayloadError(Exception):
    """A stored event that cannot become ledger rows as it is (a missing field, a bad time): recorded on it."""


def bad_field(name, problem, **params):
    """The PayloadError of field `name`: `problem` names its FIELD_PROBLEMS message (without the prefix)."""
    return PayloadError(coded(f"channels_ingest.field_{problem}", field=name, **params))


def _no_constants(name):
    raise WireError(f"{name} is not a JSON number")


REPLACEMENT = "\ufffd"
# A JSON escape of NUL or of a surrogate (a pair of them json.loads joins into one character itself): only a body
# holding one is walked (a false alarm, an escaped backslash before "u0000", costs a walk that changes nothing).
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(value):
    """`value` with every NUL and lone surrogate of its strings (keys included) replaced by U+FFFD."""
    if isinstance(value, str):
        return _UNSTORABLE.sub(REPLACEMENT, value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


def json_exact(data):
    """Parse JSON keeping every number as its text (ids and amounts stay exact); WireError if it is not JSON."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise WireError("the body is not UTF-8") from None
    try:
        parsed = json.loads(data, parse_int=str, parse_float=str, parse_constant=_no_constants)
        return _storable(parsed) if _UNSTORABLE_ESCAPE.search(data) else parsed
    except RecursionError:
        raise WireError("the JSON is nested too deeply") from None
    except ValueError as exc:
        raise WireError(f"malformed JSON: {exc}") from None


def text(value, name, *, max_length, required=True):
    """A string field (an id given as a number is taken as its exact digits)."""
    if value is None or value == "":
        if required:
            raise bad_field(name, "missing")
        return ""
    if not isinstance(value, str):
        raise bad_field(name, "not_string")
    if len(value) > max_length:
        raise bad_field(name, "too_long", limit=max_length)
    return value


def quantity(value, name):
    """A quantity (up to three decimals: kilograms, metres)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise bad_field(name, "not_number") from None
    if not amount.is_finite() or amount <= 0 or amount >= 10**9:
        raise bad_field(name, "not_quantity")
    return amount.quantize(Decimal("0.001"))


def time_of(value, name, *, required=False):
    """An aware datetime from ISO 8601 (with its offset), a platform's local 'YYYY-MM-DD HH:MM:SS', or Unix
    seconds."""
    if value in (None, ""):
        if required:
            raise bad_field(name, "missing")
        return None
    if not isinstance(value, str):
        raise bad_field(name, "not_time")
    if value.isdigit():
        seconds = int(value)
        if seconds > 10**11:  # milliseconds
            seconds //= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, ValueError, OSError):
            raise bad_field(name, "not_time") from None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_field(name, "not_time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=PLATFORM_TZ)


def version_of(moment):
    """A time as the ledger's version: microseconds since the epoch."""
    return int(moment.timestamp() * 1_000_000)


@dataclass(frozen=True)
class Incoming:
    """One event of a callback, ready to be stored."""

    kind: str
    dedupe_key: str
    raw: str
    fields: dict = field(default_factory=dict)
    from_user: str = ""


@dataclass(frozen=True)
class LedgerItem:
    """One ledger write of an event: an OrderSnapshot or RefundSnapshot, and the buyer as the shop names them
    ({"id", "mobile", "name"}; empty when the event does not say)."""

    snapshot: object
    buyer: dict = field(default_factory=dict)
    # A status-only order report whose details are fetched from the platform's API: the fetch's arguments
    # ({"shop_ref": ...}); None when the event carries the whole order.
    fetch_details: dict | None = None


def base64_hmac_check(account, body, headers, header):
    """Shopify's and WooCommerce's signature: `header` holds base64(HMAC-SHA256(secret, raw body))."""
    given = headers.get(header, "").strip()
    expected = base64.b64encode(hmac.new(account.secret.encode(), body, hashlib.sha256).digest()).decode()
    if not (account.secret and hmac.compare_digest(expected, given)):
        raise SignatureError(f"bad {header}")


class Adapter:
    kind = ""

    def handshake(self, account, headers, body):
        """The answer to a platform's unsigned set-up call (WooCommerce's ping), stored nowhere; None otherwise."""
        return None

    def verify(self, account, headers, body):
        """Raise wire.SignatureError unless the body is signed with the account's secret."""
        raise NotImplementedError

    def split(self, account, headers, body):
        """The events of a verified body, as Incoming; WireError when it is not the platform's JSON."""
        raise NotImplementedError

    def to_ledger(self, event):
        """The ledger writes of a stored event; UnknownEvent for a type the ledger does not read, PayloadError
        (or settlement's SettlementError) when the event cannot be read."""
        raise NotImplementedError

    def ack(self, incoming):
        return JsonResponse({"code": 0, "msg": "success"})

    def forbid(self, error):
        """The 403 of a callback whose signature does not hold (nothing is stored)."""
        return HttpResponseForbidden("bad signature")

    def refuse(self, message):
        return JsonResponse({"code": 400, "msg": message}, status=400)
