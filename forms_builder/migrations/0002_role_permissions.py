from django.db import migrations


def sync_roles(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "forms_builder")


class Migration(migrations.Migration):
    dependencies = [("forms_builder", "0001_forms_versions_submissions"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
