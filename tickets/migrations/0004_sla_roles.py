"""Grant the role groups the SLA permissions of TicketsConfig.ready() (ops edit calendars and policies,
supervisors read them)."""

from django.db import migrations


def sync(apps, schema_editor):
    from scrm.roles import sync_role_permissions

    sync_role_permissions(apps, "tickets")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_sla_calendars_policies_ticket_fields"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
