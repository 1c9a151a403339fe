from django.db import migrations


def sync(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "scrm")


class Migration(migrations.Migration):
    dependencies = [("scrm", "0003_customers")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
