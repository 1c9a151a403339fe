"""Create the role groups (ops admin, supervisor, agent, finance, viewer) and grant the core app's permissions."""

from django.db import migrations


def sync(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "scrm")


class Migration(migrations.Migration):
    dependencies = [
        ("scrm", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
