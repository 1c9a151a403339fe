"""The store and the buyers of a shop account, as the ledger writes need them (the worker's events and the order
details fetched from a platform's API)."""

from functools import partial

from django.db import transaction

from scrm.customers.services import customer_resolve, customers_resolve_many
from settlement.services import store_ensure

# (organization, channel, ref, name) -> Store: a worker applies many events of the same store; the store row is made
# once and never deleted while its organization lives, so each process looks it up once (a rename looks again).
_STORES = {}
_STORES_MAX = 1000


def store_of(account):
    key = (account.organization_id, account.channel, account.app_id, account.name)
    store = _STORES.get(key)
    if store is None:
        store = store_ensure(organization=account.organization, channel=account.channel, ref=account.app_id,
                             name=account.name)
        # Remembered once its row is committed: an event that fails after making the store rolls the row back,
        # and a remembered store that does not exist would fail every later event of the account.
        transaction.on_commit(partial(_remember, key, store))
    return store


def _remember(key, store):
    if len(_STORES) >= _STORES_MAX:
        _STORES.clear()
    _STORES[key] = store


def _profile(buyer):
    return {"name": buyer["name"]} if buyer.get("name") else {}


def buyer_of(account, buyer):
    """The customer of the buyer the shop names (by the shop's buyer id, then the mobile it gives); None when the
    event names nobody."""
    if not buyer.get("id"):
        return None
    return customer_resolve(organization=account.organization, channel=account.channel, app_id=account.app_id,
                            external_id=buyer["id"], mobile=buyer.get("mobile") or None, profile=_profile(buyer))


def buyers_of(account, buyers):
    """`buyer_of` for a batch's buyers at once, in arrival order: {buyer id: customer} (`customers_resolve_many`);
    a buyer without an id names nobody and is left out."""
    people = [(buyer["id"], buyer.get("mobile") or None, _profile(buyer)) for buyer in buyers if buyer.get("id")]
    if not people:
        return {}
    return customers_resolve_many(organization=account.organization, channel=account.channel,
                                  app_id=account.app_id, people=people)

