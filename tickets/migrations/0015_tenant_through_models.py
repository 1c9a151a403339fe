from functools import partial

import django.db.models.deletion
from django.db import migrations, models


def _fill(table, source_table, source, apps, schema_editor):
    """Each through row takes the organization of its source row."""
    schema_editor.execute(
        f"UPDATE {table} SET organization_id = "  # noqa: S608 - our table names
        f"(SELECT s.organization_id FROM {source_table} AS s WHERE s.id = {table}.{source}_id)"
    )
    # The deferred foreign-key checks of the UPDATE run now, so the ALTER TABLE that follows may run.
    schema_editor.connection.check_constraints(table_names=[table])


def _through(app, model, field, through, table, source, source_model, target, target_model, m2m_kwargs):
    """Turn the plain many-to-many `model.field` into one through the tenant model `through`, keeping its table and
    rows: the state learns the through model over the existing table, then the table gains organization_id
    (filled from the source row), NOT NULL, and a unique constraint that leads with it."""
    return [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name=through,
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        (source, models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                   to=source_model)),
                        (target, models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                   to=target_model)),
                    ],
                    options={"db_table": table, "unique_together": {(source, target)}},
                ),
                migrations.AlterField(
                    model_name=model, name=field,
                    field=models.ManyToManyField(through=f"{app}.{through}", to=target_model, **m2m_kwargs),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name=through.lower(), name="organization",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="scrm.organization", verbose_name="organization"),
        ),
        migrations.RunPython(partial(_fill, table, source_model.replace(".", "_"), source), migrations.RunPython.noop),
        migrations.AlterField(
            model_name=through.lower(), name="organization",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="scrm.organization", verbose_name="organization"),
        ),
        migrations.AlterUniqueTogether(name=through.lower(), unique_together=set()),
        migrations.AddConstraint(
            model_name=through.lower(),
            constraint=models.UniqueConstraint(fields=("organization", source, target),
                                               name=f"{through.lower()}_org_uniq"),
        ),
    ]


class Migration(migrations.Migration):
    """The many-to-manys between tenant models of ticket types, queues and routing rules go through tenant rows
    (organization first); no row is lost."""

    dependencies = [
        ("scrm", "0012_agentprofile_through_models"),
        ("tickets", "0001_squashed_0014_notificationdelivery_outbox"),
    ]

    operations = [
        *_through("tickets", "tickettype", "required_skills", "TicketTypeSkill", "tickets_tickettype_required_skills",
                  "tickettype", "tickets.tickettype", "skill", "scrm.skill",
                  {"blank": True, "related_name": "+", "verbose_name": "required skills",
                   "help_text": "Only agents with every one of these skills are given tickets of this type."}),
        *_through("tickets", "queue", "regions", "QueueRegion", "tickets_queue_regions",
                  "queue", "tickets.queue", "region", "scrm.region",
                  {"blank": True, "related_name": "queues", "verbose_name": "regions served",
                   "help_text": "Leave empty for a queue that serves every region."}),
        *_through("tickets", "queue", "ticket_types", "QueueTicketType", "tickets_queue_ticket_types",
                  "queue", "tickets.queue", "tickettype", "tickets.tickettype",
                  {"blank": True, "related_name": "queues", "verbose_name": "ticket types"}),
        *_through("tickets", "queue", "required_skills", "QueueSkill", "tickets_queue_required_skills",
                  "queue", "tickets.queue", "skill", "scrm.skill",
                  {"blank": True, "related_name": "+", "verbose_name": "required skills",
                   "help_text": "Only agents with every one of these skills are given tickets of this queue."}),
        *_through("tickets", "routingrule", "add_tags", "RoutingRuleTag", "tickets_routingrule_add_tags",
                  "routingrule", "tickets.routingrule", "tag", "scrm.tag",
                  {"blank": True, "related_name": "+", "verbose_name": "add tags"}),
    ]
