"""Finance and ops read and change the currencies the ledger accepts (SettlementConfig.ready())."""

from django.db import migrations


def sync(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "settlement")


class Migration(migrations.Migration):
    dependencies = [("settlement", "0013_reconciliation_matching_keys")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
