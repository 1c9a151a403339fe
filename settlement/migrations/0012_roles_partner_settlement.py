"""Finance and ops get their permissions on the partner settlement tables (SettlementConfig.ready())."""

from django.db import migrations


def sync(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "settlement")


class Migration(migrations.Migration):
    dependencies = [("settlement", "0011_partner_settlement")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
