"""Grant the role groups the channels permissions of ChannelsIngestConfig.ready() (ops configure and replay)."""

from django.db import migrations


def sync(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "channels_ingest")


class Migration(migrations.Migration):
    dependencies = [
        ("channels_ingest", "0001_channel_accounts_events_outbox"),
        ("scrm", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
