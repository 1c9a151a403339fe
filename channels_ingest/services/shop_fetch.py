"""Order details a store's push did not carry, fetched from the platform's API through the outbox (kind
"shop_order_fetch", scrm.platform.outbox; docs/outbox.md): claimed under a lease, the API called with no lock or
transaction held, then the details stored by settlement's `order_upsert` in a transaction of their own. A network
error or an API error is retried with back-off; an answer that cannot be read, or an authorization Douyin refuses
(douyin_api.PERMANENT_CODES), is dead at once with the reason.
Douyin is the platform that needs it: its pushes carry the order's ids and status, never its amounts or lines.

One row per order: a newer push queues the same row again (pending, a fresh attempt budget), so the ledger ends
with the details of the order's latest state whatever the order of the pushes.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels_ingest.models import FETCH_STATES, ShopOrderFetch
from channels_ingest.services.douyin_api import DouyinApiError, order_detail
from channels_ingest.shops.accounts import buyer_of, store_of
from channels_ingest.shops.base import PayloadError
from channels_ingest.shops.douyin import detail_to_ledger
from scrm.platform import outbox
from settlement.errors import SettlementError, ledger_refusal_recorded
from settlement.services import order_upsert

KIND = "shop_order_fetch"
# The one place its attempts and back-off are declared: 6 attempts, 30 s × 4ⁿ (≤ 1 h) plus the outbox's jitter.
MAX_ATTEMPTS = 6
BACKOFF = outbox.exponential(30, factor=4)
# Two calls of at most TIMEOUT seconds each (the token, the details) and the write: well within two minutes.
LEASE = timedelta(minutes=2)


def order_fetch_enqueue(*, account, order_number, shop_ref=""):
    """Queue a fetch of the order's details (call it in the transaction that learned they are missing or stale):
    a new row, or the order's row queued again unless it is waiting or in flight already."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                fetch = ShopOrderFetch.objects.create(organization_id=account.organization_id, account=account,
                                                      order_number=order_number[:64], shop_ref=shop_ref[:64])
        except IntegrityError:
            fetch = ShopOrderFetch.objects.get(account=account, order_number=order_number[:64])
            if fetch.status in (FETCH_STATES.pending, FETCH_STATES.inflight):
                return fetch
            outbox.enqueue(KIND, fetch)
            return fetch
        outbox.publish_on_commit(KIND, fetch.pk)
        return fetch


def order_fetch_run(*, fetch_id):
    """Run one fetch now if it is due (tests, a command). Returns its status after this attempt, or None."""
    outcome = outbox.run(KIND, [fetch_id]).get(fetch_id)
    return outcome.status if outcome else None


def _fetch(fetch):
    """The outbox handler: the API call first (no transaction), then the ledger write."""
    account = fetch.account
    if not account.secret:
        raise outbox.Failure("the store has no app secret", permanent=True)
    try:
        answer = order_detail(account, order_number=fetch.order_number, shop_ref=fetch.shop_ref)
    except DouyinApiError as exc:
        # An authorization Douyin refuses (the app's permissions, the shop's grant) is dead at once with why;
        # the order's next push queues it again. Anything else may pass on a retry.
        raise outbox.Failure(str(exc), permanent=exc.permanent) from exc
    try:
        item = detail_to_ledger(answer)
    except SettlementError as exc:
        raise outbox.Failure(ledger_refusal_recorded(exc), permanent=True) from exc
    except PayloadError as exc:
        raise outbox.Failure(str(exc), permanent=True) from exc
    _store(fetch, item)
    return {"fetched_at": timezone.now()}


@transaction.atomic
def _store(fetch, item):
    account = fetch.account
    try:
        order_upsert(organization=account.organization, store=store_of(account), snapshot=item.snapshot,
                     customer=buyer_of(account, item.buyer), source=f"{KIND} #{fetch.pk}")
    except SettlementError as exc:
        raise outbox.Failure(str(exc), permanent=True) from exc


outbox.register(
    KIND, model=ShopOrderFetch, handler=_fetch, max_attempts=MAX_ATTEMPTS, backoff=BACKOFF, lease=LEASE,
    states=FETCH_STATES, select_related=("account", "account__organization"),
)
