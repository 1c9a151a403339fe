"""Grant the role groups the tickets permissions of TicketsConfig.ready() (ops configure, agents work tickets)."""

from django.db import migrations


def sync(apps, schema_editor):
    from scrm.roles import sync_role_permissions

    sync_role_permissions(apps, "tickets")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("scrm", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
