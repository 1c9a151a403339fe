"""Stores on the generic shop feed (an organization's in-house shop system) had no Channel value of their own and
counted as `manual`; they are now `shop`. Moves, per generic channel account still `manual`: its store (found by the
account's organization and app id, as `channels_ingest.shops.accounts.store_of` makes it) and the store's orders,
the account's channel identities of its buyers, and the tickets its refunds and after-sales cases opened (with their
public comments, which carry the ticket's channel). An identity whose `shop` twin already exists stays (the
uniqueness of organization + channel + app id + external id); so does a store whose `shop` twin exists (events that
arrived between deploy and migrate made it). Routing rules on `manual` stay as ops wrote them.

The reverse moves the same rows back from `shop` to `manual`, with the same skips. No tenant scope in migrations:
the historical models' base managers."""

from django.db import migrations
from django.db.models import Exists, OuterRef

GENERIC = "generic"


def _move(apps, source, target):
    account_model = apps.get_model("channels_ingest", "ChannelAccount")
    store_model = apps.get_model("settlement", "Store")
    order_model = apps.get_model("settlement", "Order")
    refund_model = apps.get_model("settlement", "Refund")
    aftersale_model = apps.get_model("settlement", "AfterSale")
    identity_model = apps.get_model("scrm", "ChannelIdentity")
    ticket_model = apps.get_model("tickets", "Ticket")
    comment_model = apps.get_model("tickets", "Comment")
    accounts = account_model._base_manager.filter(kind=GENERIC).values_list("organization_id", "app_id")
    for organization_id, app_id in accounts:
        identities = identity_model._base_manager.filter(organization_id=organization_id, channel=source,
                                                         app_id=app_id or "")
        twin = identity_model._base_manager.filter(organization_id=organization_id, channel=target,
                                                   app_id=OuterRef("app_id"), external_id=OuterRef("external_id"))
        identities.filter(~Exists(twin)).update(channel=target)
        stores = store_model._base_manager.filter(organization_id=organization_id, channel=source, ref=app_id[:128])
        if store_model._base_manager.filter(organization_id=organization_id, channel=target,
                                            ref=app_id[:128]).exists():
            continue
        store_ids = list(stores.values_list("pk", flat=True))
        if not store_ids:
            continue
        stores.update(channel=target)
        order_model._base_manager.filter(store_id__in=store_ids, channel=source).update(channel=target)
        ticket_ids = set()
        for model in (refund_model, aftersale_model):
            ticket_ids.update(model._base_manager.filter(store_id__in=store_ids, ticket__isnull=False)
                              .values_list("ticket_id", flat=True))
        tickets = ticket_model._base_manager.filter(pk__in=ticket_ids, channel=source)
        comment_model._base_manager.filter(ticket__in=tickets, channel=source).update(channel=target)
        tickets.update(channel=target)


def forward(apps, schema_editor):
    _move(apps, "manual", "shop")


def backward(apps, schema_editor):
    _move(apps, "shop", "manual")


class Migration(migrations.Migration):
    dependencies = [
        ("settlement", "0014_roles_ledger_settings"),
        ("channels_ingest", "0006_shop_order_fetch"),
        ("scrm", "0025_channel_shop"),
        ("tickets", "0022_channel_shop"),
    ]

    operations = [migrations.RunPython(forward, backward)]
