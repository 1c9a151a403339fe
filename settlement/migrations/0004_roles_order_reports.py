"""Finance and ops read the order reports too (SettlementConfig.ready())."""

from django.db import migrations


def sync(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "settlement")


class Migration(migrations.Migration):
    dependencies = [("settlement", "0003_order_reports")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
