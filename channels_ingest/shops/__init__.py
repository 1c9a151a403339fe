"""Online stores: one adapter per platform knows its wire format (signature, payload, answer) and turns its
callbacks into InboundEvents, then, in the worker, into the ledger's snapshots (settlement.snapshots)."""

from channels_ingest.shops.base import SHOP_EVENT_MALFORMED, Adapter, Incoming, LedgerItem, UnknownEvent
from channels_ingest.shops.douyin import DouyinAdapter
from channels_ingest.shops.generic import GenericAdapter
from channels_ingest.shops.shopify import ShopifyAdapter
from channels_ingest.shops.woocommerce import WooCommerceAdapter
from channels_ingest.shops.youzan import YouzanAdapter

ADAPTERS = {adapter.kind: adapter
            for adapter in (GenericAdapter(), YouzanAdapter(), DouyinAdapter(), ShopifyAdapter(),
                                   WooCommerceAdapter())}


def adapter_for(kind):
    return ADAPTERS[kind]


__all__ = ["ADAPTERS", "SHOP_EVENT_MALFORMED", "Adapter", "Incoming", "LedgerItem", "UnknownEvent", "adapter_for"]
