"""Grant the role groups the settlement permissions of SettlementConfig.ready() (finance and ops read the ledger)."""

from django.db import migrations


def sync(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "settlement")


class Migration(migrations.Migration):
    dependencies = [
        ("settlement", "0001_orders_ledger"),
        ("scrm", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
