"""The business calendars, SLA policies, their targets and escalation steps move here from the tickets app with
their data: their state is created here as it was there (tables tickets_*), then the tables are renamed to this
app's names; their content types, and so the permissions the role groups hold on them, follow."""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ('businesscalendar', 'calendarday', 'escalationstep', 'slapolicy', 'slatarget')


def content_types_forward(apps, schema_editor):
    """The models' content types (and with them their permissions, granted to the role groups, and the admin's log)
    follow them to their new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = set(content_type.objects.filter(app_label="sla", model__in=MODELS).values_list("model", flat=True))
    content_type.objects.filter(app_label="tickets", model__in=set(MODELS) - taken).update(app_label="sla")


def content_types_backward(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="sla", model__in=MODELS).update(app_label="tickets")


def sync_roles(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "sla")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('scrm', '0013_customertag_unique_leads_with_organization'),
        ('tickets', '0017_notifications_moved_out'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        # The models' state moves here from the tickets app; their tables, rows and indexes stay as they are...
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='BusinessCalendar',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(max_length=100, verbose_name='name')),
                    ('time_zone', models.CharField(default='Asia/Shanghai', max_length=64, verbose_name='time zone')),
                    ('preset', models.CharField(choices=[('24x7', '7×24'), ('7x12', '7×12 (08:00–20:00)'), ('office', 'Office hours (Mon–Fri 09:00–12:00, 13:30–18:00)'), ('custom', 'Custom')], default='custom', max_length=8, verbose_name='preset')),
                    ('weekly_hours', models.JSONField(default=dict, help_text='Per weekday a list of spans, e.g. {"mon": ["09:00-12:00", "13:30-18:00"], "sat": []}.', verbose_name='weekly hours')),
                    ('follows_china_holidays', models.BooleanField(default=True, help_text='Public holidays and 调休 make-up working days are seeded into this calendar.', verbose_name='follows the mainland China holidays')),
                    ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                    ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ],
                options={
                    'db_table': 'tickets_businesscalendar',
                    'verbose_name': 'business calendar',
                    'verbose_name_plural': 'business calendars',
                    'ordering': ['name'],
                },
            ),
            migrations.CreateModel(
                name='CalendarDay',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('date', models.DateField(verbose_name='date')),
                    ('kind', models.CharField(choices=[('holiday', 'Holiday'), ('workday', 'Make-up working day')], max_length=8, verbose_name='kind')),
                    ('name', models.CharField(blank=True, max_length=50, verbose_name='name')),
                    ('spans', models.JSONField(blank=True, default=list, help_text='A make-up day\'s spans, e.g. ["09:00-18:00"]; empty: the calendar\'s standard day.', verbose_name='working spans')),
                    ('source', models.CharField(choices=[('manual', 'Entered by ops'), ('china', 'Mainland China calendar')], default='manual', max_length=8, verbose_name='source')),
                    ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='days', to='sla.businesscalendar', verbose_name='calendar')),
                    ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ],
                options={
                    'db_table': 'tickets_calendarday',
                    'verbose_name': 'calendar day',
                    'verbose_name_plural': 'calendar days',
                    'ordering': ['date'],
                },
            ),
            migrations.CreateModel(
                name='SLAPolicy',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(max_length=100, verbose_name='name')),
                    ('position', models.PositiveIntegerField(default=0, verbose_name='position')),
                    ('is_active', models.BooleanField(default=True, verbose_name='active')),
                    ('priority', models.PositiveSmallIntegerField(blank=True, choices=[(1, 'P1'), (2, 'P2'), (3, 'P3'), (4, 'P4')], null=True, verbose_name='priority')),
                    ('customer_level', models.CharField(blank=True, choices=[('normal', 'Normal'), ('vip', 'VIP'), ('svip', 'SVIP')], default='', max_length=8, verbose_name='customer level')),
                    ('channel', models.CharField(blank=True, choices=[('wechat_oa', 'WeChat Official Account'), ('wecom', 'WeCom'), ('youzan', 'Youzan'), ('douyin', 'Douyin shop'), ('jd', 'JD'), ('taobao', 'Taobao / Tmall'), ('pinduoduo', 'Pinduoduo'), ('shopify', 'Shopify'), ('woocommerce', 'WooCommerce'), ('web_form', 'Web form'), ('phone', 'Phone'), ('import', 'Import'), ('manual', 'Manual')], default='', max_length=16, verbose_name='channel')),
                    ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                    ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='policies', to='sla.businesscalendar', verbose_name='calendar')),
                    ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                    ('queue', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.queue', verbose_name='queue')),
                    ('ticket_type', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.tickettype', verbose_name='ticket type')),
                ],
                options={
                    'db_table': 'tickets_slapolicy',
                    'verbose_name': 'SLA policy',
                    'verbose_name_plural': 'SLA policies',
                    'ordering': ['position', 'pk'],
                },
            ),
            migrations.CreateModel(
                name='EscalationStep',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('position', models.PositiveIntegerField(default=0, verbose_name='position')),
                    ('metric', models.CharField(choices=[('first_response', 'First response'), ('next_response', 'Next response'), ('resolution', 'Resolution')], default='resolution', max_length=16, verbose_name='metric')),
                    ('trigger', models.CharField(choices=[('percent', 'At a percentage of the target'), ('breach', 'At breach'), ('after_breach', 'Minutes after breach')], default='breach', max_length=16, verbose_name='trigger')),
                    ('trigger_value', models.PositiveIntegerField(default=0, help_text='The percentage of the target (1–100), or the business minutes after breach.', verbose_name='percent / minutes')),
                    ('notify_assignee', models.BooleanField(default=False, verbose_name='notify the assignee')),
                    ('notify_supervisor', models.BooleanField(default=False, verbose_name='notify the supervisor')),
                    ('reassign_to_supervisor', models.BooleanField(default=False, verbose_name='reassign to the supervisor')),
                    ('raise_priority', models.BooleanField(default=False, verbose_name='raise the priority one level')),
                    ('via_wecom', models.BooleanField(default=False, verbose_name='also send a WeCom message')),
                    ('via_sms', models.BooleanField(default=False, verbose_name='also send an SMS')),
                    ('notify_team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='scrm.team', verbose_name='notify a team')),
                    ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                    ('reassign_queue', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.queue', verbose_name='reassign to queue')),
                    ('policy', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='sla.slapolicy', verbose_name='policy')),
                ],
                options={
                    'db_table': 'tickets_escalationstep',
                    'verbose_name': 'escalation step',
                    'verbose_name_plural': 'escalation steps',
                    'ordering': ['position', 'pk'],
                },
            ),
            migrations.CreateModel(
                name='SLATarget',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('priority', models.PositiveSmallIntegerField(choices=[(1, 'P1'), (2, 'P2'), (3, 'P3'), (4, 'P4')], verbose_name='priority')),
                    ('first_response_minutes', models.IntegerField(verbose_name='first response (business minutes)')),
                    ('next_response_minutes', models.IntegerField(blank=True, null=True, verbose_name='next response (business minutes)')),
                    ('resolution_minutes', models.IntegerField(verbose_name='resolution (business minutes)')),
                    ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                    ('policy', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='targets', to='sla.slapolicy', verbose_name='policy')),
                ],
                options={
                    'db_table': 'tickets_slatarget',
                    'verbose_name': 'SLA target',
                    'verbose_name_plural': 'SLA targets',
                    'ordering': ['priority'],
                },
            ),
            migrations.AddConstraint(
                model_name='businesscalendar',
                constraint=models.UniqueConstraint(fields=('organization', 'name'), name='bizcalendar_org_name_uniq'),
            ),
            migrations.AddConstraint(
                model_name='calendarday',
                constraint=models.UniqueConstraint(fields=('organization', 'calendar', 'date'), name='calendarday_org_date_uniq'),
            ),
            migrations.AddIndex(
                model_name='slapolicy',
                index=models.Index(fields=['organization', 'position'], name='slapolicy_org_position_idx'),
            ),
            migrations.AddConstraint(
                model_name='slapolicy',
                constraint=models.UniqueConstraint(fields=('organization', 'name'), name='slapolicy_org_name_uniq'),
            ),
            migrations.AddIndex(
                model_name='escalationstep',
                index=models.Index(fields=['organization', 'policy', 'position'], name='escstep_org_policy_idx'),
            ),
            migrations.AddConstraint(
                model_name='slatarget',
                constraint=models.UniqueConstraint(fields=('organization', 'policy', 'priority'), name='slatarget_org_policy_uniq'),
            ),
        ]),
        # ... and then take this app's names.
        migrations.AlterModelTable(name='BusinessCalendar', table=None),
        migrations.AlterModelTable(name='CalendarDay', table=None),
        migrations.AlterModelTable(name='EscalationStep', table=None),
        migrations.AlterModelTable(name='SLAPolicy', table=None),
        migrations.AlterModelTable(name='SLATarget', table=None),
        migrations.RunPython(content_types_forward, content_types_backward),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
