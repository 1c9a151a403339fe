"""Notification, NotificationDelivery and NotificationChannelConfig move here from the tickets app with their data:
their state is created here as it was there (tables tickets_*), then the tables are renamed to this app's names;
their content types, and so the permissions the role groups hold on them, follow."""

import django.db.models.deletion
import django.utils.timezone
import scrm.platform.outbox
from django.conf import settings
from django.db import migrations, models

MODELS = ('notification', 'notificationchannelconfig', 'notificationdelivery')


def content_types_forward(apps, schema_editor):
    """The models' content types (and with them their permissions, granted to the role groups, and the admin's log)
    follow them to their new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = set(content_type.objects.filter(app_label="notifications", model__in=MODELS).values_list("model", flat=True))
    content_type.objects.filter(app_label="tickets", model__in=set(MODELS) - taken).update(app_label="notifications")


def content_types_backward(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="notifications", model__in=MODELS).update(app_label="tickets")


def sync_roles(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "notifications")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('scrm', '0013_customertag_unique_leads_with_organization'),
        ('tickets', '0016_codes_indexed_with_their_organization'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The models' state moves here from the tickets app; their tables, rows and indexes stay as they are...
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='Notification',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('kind', models.CharField(choices=[('assigned', 'Ticket assigned'), ('transferred', 'Ticket transferred'), ('mentioned', 'Mentioned'), ('escalated', 'Escalated'), ('sla_warning', 'SLA warning'), ('sla_breach', 'SLA breached'), ('rating_low', 'Low satisfaction rating')], max_length=16, verbose_name='kind')),
                    ('title', models.CharField(max_length=200, verbose_name='title')),
                    ('body', models.TextField(blank=True, verbose_name='body')),
                    ('url', models.CharField(blank=True, max_length=500, verbose_name='link')),
                    ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='read at')),
                    ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                    ('actor', models.ForeignKey(blank=True, help_text='Empty for the system.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                    ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                    ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='recipient')),
                    ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='tickets.ticket', verbose_name='ticket')),
                ],
                options={
                    'db_table': 'tickets_notification',
                    'verbose_name': 'notification',
                    'verbose_name_plural': 'notifications',
                },
            ),
            migrations.CreateModel(
                name='NotificationChannelConfig',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('wecom_corp_id', models.CharField(blank=True, help_text='企业ID, from “My company” in the WeCom admin console.', max_length=64, verbose_name='WeCom corp ID')),
                    ('wecom_agent_id', models.PositiveIntegerField(blank=True, help_text='AgentId of the application that sends the messages.', null=True, verbose_name='WeCom agent ID')),
                    ('wecom_secret_encrypted', models.TextField(blank=True, editable=False, verbose_name='WeCom secret (encrypted)')),
                    ('wecom_userid_field', models.CharField(choices=[('username', 'Username'), ('email', 'Email address'), ('mobile', 'Mobile number')], default='username', help_text='Which field of a staff member holds their WeCom userid.', max_length=16, verbose_name="WeCom userid is the user's")),
                    ('sms_provider', models.CharField(blank=True, choices=[('', 'None (use the server default)'), ('aliyun', 'Aliyun SMS')], default='', max_length=16, verbose_name='SMS provider')),
                    ('aliyun_access_key_id', models.CharField(blank=True, max_length=128, verbose_name='Aliyun AccessKey ID')),
                    ('aliyun_access_key_secret_encrypted', models.TextField(blank=True, editable=False, verbose_name='Aliyun AccessKey secret (encrypted)')),
                    ('aliyun_sign_name', models.CharField(blank=True, help_text='The approved signature (签名), e.g. 星河家电.', max_length=64, verbose_name='SMS sign name')),
                    ('aliyun_template_code', models.CharField(blank=True, help_text='An approved template whose one variable is ${content}, e.g. SMS_123456789.', max_length=64, verbose_name='SMS template code')),
                    ('aliyun_endpoint', models.CharField(blank=True, default='https://dysmsapi.aliyuncs.com/', max_length=255, verbose_name='SMS endpoint')),
                    ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                    ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ],
                options={
                    'db_table': 'tickets_notificationchannelconfig',
                    'verbose_name': 'notification channels',
                    'verbose_name_plural': 'notification channels',
                },
            ),
            migrations.CreateModel(
                name='NotificationDelivery',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                    ('next_attempt_at', models.DateTimeField(blank=True, default=scrm.platform.outbox.publish_deadline, help_text="When the sweeper takes the row again: a retry's time, or the end of a lease.", null=True, verbose_name='next attempt at')),
                    ('lease_until', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='claimed until')),
                    ('last_error', models.TextField(blank=True, verbose_name='last error')),
                    ('channel', models.CharField(choices=[('email', 'Email'), ('wecom', 'WeCom'), ('sms', 'SMS')], max_length=16, verbose_name='channel')),
                    ('address', models.CharField(blank=True, help_text='Where it goes: an email address, a WeCom user id, a mobile.', max_length=254, verbose_name='address')),
                    ('status', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed, will retry'), ('dead', 'Failed for good')], default='pending', max_length=8, verbose_name='status')),
                    ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                    ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                    ('notification', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='notifications.notification', verbose_name='notification')),
                    ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ],
                options={
                    'db_table': 'tickets_notificationdelivery',
                    'verbose_name': 'notification delivery',
                    'verbose_name_plural': 'notification deliveries',
                },
            ),
            migrations.AddIndex(
                model_name='notification',
                index=models.Index(models.F('organization'), models.F('recipient'), models.OrderBy(models.F('read_at'), descending=True), models.OrderBy(models.F('created_at'), descending=True), name='notification_recipient_idx'),
            ),
            migrations.AddConstraint(
                model_name='notificationchannelconfig',
                constraint=models.UniqueConstraint(fields=('organization',), name='tickets_notifychannels_one_per_org'),
            ),
            migrations.AddIndex(
                model_name='notificationdelivery',
                index=models.Index(condition=models.Q(('status__in', ('pending', 'failed', 'sending'))), fields=['next_attempt_at'], name='notificationdelivery_due_idx'),
            ),
            migrations.AddConstraint(
                model_name='notificationdelivery',
                constraint=models.UniqueConstraint(fields=('organization', 'notification', 'channel'), name='notificationdelivery_uniq'),
            ),
        ]),
        # ... and then take this app's names.
        migrations.AlterModelTable(name='Notification', table=None),
        migrations.AlterModelTable(name='NotificationChannelConfig', table=None),
        migrations.AlterModelTable(name='NotificationDelivery', table=None),
        migrations.RunPython(content_types_forward, content_types_backward),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
