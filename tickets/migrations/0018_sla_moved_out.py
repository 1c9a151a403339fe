"""The SLA models left for the sla app, which now owns their tables (renamed there): the state only forgets them
here, and the ticket's policy (its column and constraint unchanged) points to sla.SLAPolicy."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sla', '0001_moved_from_tickets'),
        ('tickets', '0017_notifications_moved_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='slapolicy',
                name='calendar',
            ),
            migrations.RemoveField(
                model_name='calendarday',
                name='calendar',
            ),
            migrations.RemoveField(
                model_name='calendarday',
                name='organization',
            ),
            migrations.RemoveField(
                model_name='escalationstep',
                name='notify_team',
            ),
            migrations.RemoveField(
                model_name='escalationstep',
                name='organization',
            ),
            migrations.RemoveField(
                model_name='escalationstep',
                name='policy',
            ),
            migrations.RemoveField(
                model_name='escalationstep',
                name='reassign_queue',
            ),
            migrations.RemoveField(
                model_name='slapolicy',
                name='organization',
            ),
            migrations.RemoveField(
                model_name='slapolicy',
                name='queue',
            ),
            migrations.RemoveField(
                model_name='slapolicy',
                name='ticket_type',
            ),
            migrations.RemoveField(
                model_name='slatarget',
                name='policy',
            ),
            migrations.AlterField(
                model_name='ticket',
                name='sla_policy',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='sla.slapolicy', verbose_name='SLA policy'),
            ),
            migrations.RemoveField(
                model_name='slatarget',
                name='organization',
            ),
            migrations.DeleteModel(
                name='BusinessCalendar',
            ),
            migrations.DeleteModel(
                name='CalendarDay',
            ),
            migrations.DeleteModel(
                name='EscalationStep',
            ),
            migrations.DeleteModel(
                name='SLAPolicy',
            ),
            migrations.DeleteModel(
                name='SLATarget',
            ),
        ]),
    ]
