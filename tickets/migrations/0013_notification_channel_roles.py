"""Grant ops admins the notification channel configuration of TicketsConfig.ready()."""

from django.db import migrations


def sync(apps, schema_editor):
    from scrm.roles import sync_role_permissions

    sync_role_permissions(apps, "tickets")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0012_notification_channel_config"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
