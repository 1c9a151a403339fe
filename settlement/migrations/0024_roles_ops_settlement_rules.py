"""Ops configure settlement rules as finance do (DESIGN.md's roles; SettlementConfig.ready())."""

from django.db import migrations


def sync(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "settlement")


class Migration(migrations.Migration):
    dependencies = [("settlement", "0023_settlementrule_self_approval_limit")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
