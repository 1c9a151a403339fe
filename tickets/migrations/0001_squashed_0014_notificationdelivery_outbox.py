"""The tickets app's history up to the notification outbox, squashed: one migration in place of the twenty-two
(with their clashing numbers and merge migrations) it replaces, so a database that applied them keeps working.

Its data steps run once at the end, on the final state: the role groups get the permissions of TicketsConfig.ready()
(tickets, canned responses, SLA, notification channels), and every existing organization the preset SLA calendars."""

from datetime import date

import django.db.models.deletion
import django.utils.timezone
import scrm.platform.outbox
import tickets.models.attachments
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CALENDARS = [
    ("7×24", "24x7", {day: ["00:00-24:00"] for day in WEEKDAYS}, False),
    ("7×12 08:00–20:00", "7x12", {day: ["08:00-20:00"] for day in WEEKDAYS}, True),
]


def sync_roles(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "tickets")


def create_default_calendars(apps, schema_editor):
    """The preset calendars (7×24, and 7×12 08:00–20:00 following the mainland China holidays and make-up working
    days) for every existing organization, as a new one gets them; names already taken are left alone."""
    import chinese_calendar

    organization_model = apps.get_model("scrm", "Organization")
    calendar_model = apps.get_model("tickets", "BusinessCalendar")
    day_model = apps.get_model("tickets", "CalendarDay")
    first_year = timezone.now().year - 1
    for organization in organization_model.objects.all():
        for name, preset, hours, china in CALENDARS:
            if calendar_model._base_manager.filter(organization=organization, name=name).exists():
                continue
            calendar = calendar_model._base_manager.create(
                organization=organization, name=name, preset=preset, weekly_hours=hours,
                time_zone="Asia/Shanghai", follows_china_holidays=china,
            )
            if not china:
                continue
            rows = [
                day_model(organization=organization, calendar=calendar, date=day, kind=kind, name=str(label)[:50],
                          source="china")
                for kind, source in (("holiday", chinese_calendar.holidays), ("workday", chinese_calendar.workdays))
                for day, label in source.items() if isinstance(day, date) and day.year >= first_year
            ]
            day_model._base_manager.bulk_create(rows)


class Migration(migrations.Migration):

    replaces = [
        ("tickets", "0001_initial"),
        ("tickets", "0002_roles"),
        ("tickets", "0003_cannedresponse"),
        ("tickets", "0003_notifications"),
        ("tickets", "0003_sla_calendars_policies_ticket_fields"),
        ("tickets", "0004_attachments"),
        ("tickets", "0004_sla_roles"),
        ("tickets", "0004_ticketevent_kind_tagged"),
        ("tickets", "0005_merge_0004_attachments_0004_sla_roles"),
        ("tickets", "0005_satisfaction_surveys"),
        ("tickets", "0005_ticket_queue_active_idx"),
        ("tickets", "0006_default_calendars"),
        ("tickets", "0006_ticketevent_updated_and_rated_kinds"),
        ("tickets", "0007_merge_workspace_notify"),
        ("tickets", "0007_notification_centre_order_index"),
        ("tickets", "0008_ticketevent_kinds_of_both"),
        ("tickets", "0009_merge_notification_index"),
        ("tickets", "0010_merge_sla"),
        ("tickets", "0011_ticketevent_kinds_with_sla"),
        ("tickets", "0012_notification_channel_config"),
        ("tickets", "0013_notification_channel_roles"),
        ("tickets", "0014_notificationdelivery_outbox"),
    ]

    initial = True

    dependencies = [
        ('scrm', '0001_initial'),
        ('scrm', '0002_roles'),
        ('scrm', '0005_segments'),
        ('scrm', '0007_region_managers'),
        ('scrm', '0009_pii_reveal_outlives_customer'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Queue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('code', models.SlugField(max_length=32, verbose_name='code')),
                ('strategy', models.CharField(choices=[('round_robin', 'Round robin'), ('least_loaded', 'Least loaded')], default='round_robin', max_length=16, verbose_name='assignment strategy')),
                ('auto_assign', models.BooleanField(default=True, help_text='Off: tickets wait in the queue until an agent takes the next one.', verbose_name='assign automatically')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('regions', models.ManyToManyField(blank=True, help_text='Leave empty for a queue that serves every region.', related_name='queues', to='scrm.region', verbose_name='regions served')),
                ('required_skills', models.ManyToManyField(blank=True, help_text='Only agents with every one of these skills are given tickets of this queue.', related_name='+', to='scrm.skill', verbose_name='required skills')),
                ('team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='queues', to='scrm.team', verbose_name='team')),
            ],
            options={
                'verbose_name': 'queue',
                'verbose_name_plural': 'queues',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='QueueMembership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('last_assigned_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last assigned at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('agent', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='queue_memberships', to='scrm.agentprofile', verbose_name='agent')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('queue', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='tickets.queue', verbose_name='queue')),
            ],
            options={
                'verbose_name': 'queue member',
                'verbose_name_plural': 'queue members',
            },
        ),
        migrations.AddField(
            model_name='queue',
            name='members',
            field=models.ManyToManyField(related_name='queues', through='tickets.QueueMembership', to='scrm.agentprofile', verbose_name='members'),
        ),
        migrations.CreateModel(
            name='Ticket',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(editable=False, max_length=20, verbose_name='number')),
                ('subject', models.CharField(max_length=200, verbose_name='subject')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('channel', models.CharField(choices=[('wechat_oa', 'WeChat Official Account'), ('wecom', 'WeCom'), ('youzan', 'Youzan'), ('douyin', 'Douyin shop'), ('jd', 'JD'), ('taobao', 'Taobao / Tmall'), ('pinduoduo', 'Pinduoduo'), ('shopify', 'Shopify'), ('woocommerce', 'WooCommerce'), ('web_form', 'Web form'), ('phone', 'Phone'), ('import', 'Import'), ('manual', 'Manual')], default='manual', max_length=16, verbose_name='channel')),
                ('source_ref', models.CharField(blank=True, default='', max_length=128, verbose_name='source reference')),
                ('priority', models.PositiveSmallIntegerField(choices=[(1, 'P1 urgent'), (2, 'P2 high'), (3, 'P3 normal'), (4, 'P4 low')], default=3, verbose_name='priority')),
                ('status', models.CharField(choices=[('new', 'New'), ('open', 'Open'), ('pending', 'Pending'), ('on_hold', 'On hold'), ('resolved', 'Resolved'), ('closed', 'Closed')], default='new', max_length=16, verbose_name='status')),
                ('order_number', models.CharField(blank=True, default='', max_length=64, verbose_name='related order number')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('assigned_at', models.DateTimeField(blank=True, null=True, verbose_name='assigned at')),
                ('first_response_at', models.DateTimeField(blank=True, null=True, verbose_name='first response at')),
                ('resolved_at', models.DateTimeField(blank=True, null=True, verbose_name='resolved at')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assigned_tickets', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='scrm.customer', verbose_name='customer')),
                ('merged_into', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_duplicates', to='tickets.ticket', verbose_name='merged into')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='tickets.ticket', verbose_name='parent')),
                ('queue', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='tickets.queue', verbose_name='queue')),
                ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='scrm.region', verbose_name='region')),
                ('team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='scrm.team', verbose_name='team')),
            ],
            options={
                'verbose_name': 'ticket',
                'verbose_name_plural': 'tickets',
            },
        ),
        migrations.CreateModel(
            name='Comment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('is_public', models.BooleanField(default=True, verbose_name='public')),
                ('body', models.TextField(verbose_name='body')),
                ('channel', models.CharField(blank=True, choices=[('wechat_oa', 'WeChat Official Account'), ('wecom', 'WeCom'), ('youzan', 'Youzan'), ('douyin', 'Douyin shop'), ('jd', 'JD'), ('taobao', 'Taobao / Tmall'), ('pinduoduo', 'Pinduoduo'), ('shopify', 'Shopify'), ('woocommerce', 'WooCommerce'), ('web_form', 'Web form'), ('phone', 'Phone'), ('import', 'Import'), ('manual', 'Manual')], default='', max_length=16, verbose_name='channel')),
                ('message_id', models.CharField(blank=True, default='', max_length=128, verbose_name='channel message id')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='author')),
                ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ticket_comments', to='scrm.customer', verbose_name='customer')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='comments', to='tickets.ticket', verbose_name='ticket')),
            ],
            options={
                'verbose_name': 'comment',
                'verbose_name_plural': 'comments',
                'ordering': ['created_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='TicketCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='day')),
                ('last', models.PositiveIntegerField(default=0, verbose_name='last number')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
            ],
            options={
                'verbose_name': 'ticket counter',
                'verbose_name_plural': 'ticket counters',
            },
        ),
        migrations.CreateModel(
            name='TicketEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('created', 'Created'), ('assigned', 'Assigned'), ('unassigned', 'Unassigned'), ('transferred', 'Transferred'), ('status', 'Status changed'), ('priority', 'Priority changed'), ('comment', 'Comment'), ('merged', 'Merged'), ('split', 'Split'), ('escalated', 'Escalated')], max_length=16, verbose_name='kind')),
                ('before', models.JSONField(blank=True, default=dict, verbose_name='before')),
                ('after', models.JSONField(blank=True, default=dict, verbose_name='after')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('actor', models.ForeignKey(blank=True, help_text='Empty for the system.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                ('comment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tickets.comment', verbose_name='comment')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='tickets.ticket', verbose_name='ticket')),
            ],
            options={
                'verbose_name': 'ticket event',
                'verbose_name_plural': 'ticket events',
                'ordering': ['created_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='TicketTag',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('tag', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ticket_tags', to='scrm.tag')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ticket_tags', to='tickets.ticket')),
            ],
            options={
                'verbose_name': 'ticket tag',
                'verbose_name_plural': 'ticket tags',
            },
        ),
        migrations.AddField(
            model_name='ticket',
            name='tags',
            field=models.ManyToManyField(related_name='tickets', through='tickets.TicketTag', to='scrm.tag', verbose_name='tags'),
        ),
        migrations.CreateModel(
            name='TicketType',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=50, verbose_name='name')),
                ('code', models.SlugField(max_length=32, verbose_name='code')),
                ('default_priority', models.PositiveSmallIntegerField(choices=[(1, 'P1 urgent'), (2, 'P2 high'), (3, 'P3 normal'), (4, 'P4 low')], default=3, verbose_name='default priority')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('sort_order', models.PositiveSmallIntegerField(default=0, verbose_name='sort order')),
                ('default_queue', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.queue', verbose_name='default queue')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('required_skills', models.ManyToManyField(blank=True, help_text='Only agents with every one of these skills are given tickets of this type.', related_name='+', to='scrm.skill', verbose_name='required skills')),
            ],
            options={
                'verbose_name': 'ticket type',
                'verbose_name_plural': 'ticket types',
                'ordering': ['sort_order', 'name'],
            },
        ),
        migrations.AddField(
            model_name='ticket',
            name='type',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='tickets.tickettype', verbose_name='type'),
        ),
        migrations.CreateModel(
            name='RoutingRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('position', models.PositiveIntegerField(default=0, verbose_name='position')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('channel', models.CharField(blank=True, choices=[('wechat_oa', 'WeChat Official Account'), ('wecom', 'WeCom'), ('youzan', 'Youzan'), ('douyin', 'Douyin shop'), ('jd', 'JD'), ('taobao', 'Taobao / Tmall'), ('pinduoduo', 'Pinduoduo'), ('shopify', 'Shopify'), ('woocommerce', 'WooCommerce'), ('web_form', 'Web form'), ('phone', 'Phone'), ('import', 'Import'), ('manual', 'Manual')], default='', max_length=16, verbose_name='channel')),
                ('keywords', models.TextField(blank=True, help_text='Any of these words in the subject or description matches; one per line or separated by commas.', verbose_name='keywords')),
                ('customer_level', models.CharField(blank=True, choices=[('normal', 'Normal'), ('vip', 'VIP'), ('svip', 'SVIP')], default='', max_length=8, verbose_name='customer level')),
                ('set_priority', models.PositiveSmallIntegerField(blank=True, choices=[(1, 'P1 urgent'), (2, 'P2 high'), (3, 'P3 normal'), (4, 'P4 low')], null=True, verbose_name='set priority')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('add_tags', models.ManyToManyField(blank=True, related_name='+', to='scrm.tag', verbose_name='add tags')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('region', models.ForeignKey(blank=True, help_text='Matches this region and every region below it.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='scrm.region', verbose_name='region')),
                ('set_queue', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.queue', verbose_name='set queue')),
                ('set_type', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.tickettype', verbose_name='set type')),
                ('ticket_type', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.tickettype', verbose_name='ticket type')),
            ],
            options={
                'verbose_name': 'routing rule',
                'verbose_name_plural': 'routing rules',
                'ordering': ['position', 'pk'],
            },
        ),
        migrations.AddField(
            model_name='queue',
            name='ticket_types',
            field=models.ManyToManyField(blank=True, related_name='queues', to='tickets.tickettype', verbose_name='ticket types'),
        ),
        migrations.CreateModel(
            name='TicketWatcher',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ticket_watchers', to='tickets.ticket')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'ticket watcher',
                'verbose_name_plural': 'ticket watchers',
            },
        ),
        migrations.AddField(
            model_name='ticket',
            name='watchers',
            field=models.ManyToManyField(related_name='watched_tickets', through='tickets.TicketWatcher', to=settings.AUTH_USER_MODEL, verbose_name='watchers'),
        ),
        migrations.CreateModel(
            name='AgentLoad',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('open_tickets', models.IntegerField(default=0, verbose_name='open tickets')),
                ('last_assigned_at', models.DateTimeField(blank=True, null=True, verbose_name='last assigned at')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='agent')),
            ],
            options={
                'verbose_name': 'agent load',
                'verbose_name_plural': 'agent loads',
                'constraints': [models.UniqueConstraint(fields=('organization', 'user'), name='agentload_org_user_uniq')],
            },
        ),
        migrations.AddIndex(
            model_name='queuemembership',
            index=models.Index(fields=['organization', 'agent'], name='queuemember_org_agent_idx'),
        ),
        migrations.AddConstraint(
            model_name='queuemembership',
            constraint=models.UniqueConstraint(fields=('organization', 'queue', 'agent'), name='queuemember_org_queue_uniq'),
        ),
        migrations.AddIndex(
            model_name='comment',
            index=models.Index(fields=['organization', 'ticket', 'created_at'], name='comment_org_ticket_idx'),
        ),
        migrations.AddConstraint(
            model_name='comment',
            constraint=models.UniqueConstraint(condition=models.Q(('message_id', ''), _negated=True), fields=('organization', 'channel', 'message_id'), name='comment_org_message_uniq'),
        ),
        migrations.AddConstraint(
            model_name='comment',
            constraint=models.CheckConstraint(condition=models.Q(('author__isnull', True), ('customer__isnull', True), _connector='OR'), name='comment_one_author'),
        ),
        migrations.AddConstraint(
            model_name='ticketcounter',
            constraint=models.UniqueConstraint(fields=('organization', 'day'), name='ticketcounter_org_day_uniq'),
        ),
        migrations.AddIndex(
            model_name='ticketevent',
            index=models.Index(fields=['organization', 'ticket', 'created_at'], name='ticketevent_org_ticket_idx'),
        ),
        migrations.AddIndex(
            model_name='ticketevent',
            index=models.Index(fields=['organization', 'kind', 'created_at'], name='ticketevent_org_kind_idx'),
        ),
        migrations.AddIndex(
            model_name='tickettag',
            index=models.Index(fields=['organization', 'tag', 'ticket'], name='tickettag_org_tag_idx'),
        ),
        migrations.AddConstraint(
            model_name='tickettag',
            constraint=models.UniqueConstraint(fields=('organization', 'ticket', 'tag'), name='tickettag_uniq'),
        ),
        migrations.AddConstraint(
            model_name='tickettype',
            constraint=models.UniqueConstraint(fields=('organization', 'code'), name='tickettype_org_code_uniq'),
        ),
        migrations.AddConstraint(
            model_name='tickettype',
            constraint=models.UniqueConstraint(fields=('organization', 'name'), name='tickettype_org_name_uniq'),
        ),
        migrations.AddIndex(
            model_name='routingrule',
            index=models.Index(fields=['organization', 'position'], name='routingrule_org_position_idx'),
        ),
        migrations.AddConstraint(
            model_name='queue',
            constraint=models.UniqueConstraint(fields=('organization', 'code'), name='queue_org_code_uniq'),
        ),
        migrations.AddIndex(
            model_name='ticketwatcher',
            index=models.Index(fields=['organization', 'user'], name='ticketwatcher_org_user_idx'),
        ),
        migrations.AddConstraint(
            model_name='ticketwatcher',
            constraint=models.UniqueConstraint(fields=('organization', 'ticket', 'user'), name='ticketwatcher_uniq'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'open', 'pending', 'on_hold'))), fields=['organization', 'assignee', 'priority', 'created_at'], name='ticket_assignee_open_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('assignee__isnull', True), ('status__in', ('new', 'open'))), fields=['organization', 'queue', 'priority', 'created_at'], name='ticket_queue_pool_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['organization', 'customer', 'created_at'], name='ticket_org_customer_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['organization', '-created_at'], name='ticket_org_created_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('order_number', ''), _negated=True), fields=['organization', 'order_number'], name='ticket_org_order_idx'),
        ),
        migrations.AddConstraint(
            model_name='ticket',
            constraint=models.UniqueConstraint(fields=('organization', 'number'), name='ticket_org_number_uniq'),
        ),
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
                'verbose_name': 'notification',
                'verbose_name_plural': 'notifications',
            },
        ),
        migrations.CreateModel(
            name='NotificationDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('email', 'Email'), ('wecom', 'WeCom'), ('sms', 'SMS')], max_length=16, verbose_name='channel')),
                ('address', models.CharField(blank=True, help_text='Where it goes: an email address, a WeCom user id, a mobile.', max_length=254, verbose_name='address')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent'), ('failed', 'Failed, will retry'), ('dead', 'Failed for good')], default='pending', max_length=8, verbose_name='status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt at')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('notification', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='tickets.notification', verbose_name='notification')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
            ],
            options={
                'verbose_name': 'notification delivery',
                'verbose_name_plural': 'notification deliveries',
            },
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['organization', 'recipient', 'read_at', '-created_at'], name='notification_recipient_idx'),
        ),
        migrations.AddIndex(
            model_name='notificationdelivery',
            index=models.Index(condition=models.Q(('status__in', ('pending', 'failed'))), fields=['organization', 'next_attempt_at'], name='notificationdelivery_due_idx'),
        ),
        migrations.AddConstraint(
            model_name='notificationdelivery',
            constraint=models.UniqueConstraint(fields=('organization', 'notification', 'channel'), name='notificationdelivery_uniq'),
        ),
        migrations.CreateModel(
            name='SatisfactionSurvey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(editable=False, max_length=80, verbose_name='token')),
                ('rating', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='rating')),
                ('comment', models.TextField(blank=True, verbose_name='comment')),
                ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='answered at')),
                ('expires_at', models.DateTimeField(verbose_name='expires at')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('review_ticket', models.ForeignKey(blank=True, help_text='The QA review a low rating opened.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.ticket', verbose_name='review ticket')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='surveys', to='tickets.ticket', verbose_name='ticket')),
            ],
            options={
                'verbose_name': 'satisfaction survey',
                'verbose_name_plural': 'satisfaction surveys',
                'indexes': [models.Index(fields=['organization', 'ticket', 'created_at'], name='survey_org_ticket_idx'), models.Index(condition=models.Q(('answered_at__isnull', False)), fields=['organization', 'answered_at'], name='survey_org_answered_idx')],
                'constraints': [models.UniqueConstraint(fields=('organization', 'token'), name='survey_org_token_uniq'), models.CheckConstraint(condition=models.Q(('rating__isnull', True), models.Q(('rating__gte', 1), ('rating__lte', 5)), _connector='OR'), name='survey_rating_1_to_5')],
            },
        ),
        migrations.CreateModel(
            name='CannedResponse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=100, verbose_name='title')),
                ('body', models.TextField(help_text='Variables: {customer_name}, {ticket_number}, {ticket_subject}, {agent_name}.', verbose_name='body')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('queue', models.ForeignKey(blank=True, help_text='Leave empty to offer it on every queue.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='canned_responses', to='tickets.queue', verbose_name='queue')),
            ],
            options={
                'verbose_name': 'canned response',
                'verbose_name_plural': 'canned responses',
                'ordering': ['title', 'pk'],
                'indexes': [models.Index(fields=['organization', 'queue'], name='cannedresponse_org_queue_idx')],
                'constraints': [models.UniqueConstraint(fields=('organization', 'title'), name='cannedresponse_org_title_uniq')],
            },
        ),
        migrations.CreateModel(
            name='Attachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.FileField(max_length=255, upload_to=tickets.models.attachments.attachment_path, verbose_name='file')),
                ('original_name', models.CharField(max_length=255, verbose_name='file name')),
                ('content_type', models.CharField(max_length=100, verbose_name='content type')),
                ('size', models.PositiveBigIntegerField(verbose_name='size in bytes')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('comment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attachments', to='tickets.comment', verbose_name='comment')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('uploaded_by', models.ForeignKey(blank=True, help_text='Empty for a file the customer sent.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by')),
            ],
            options={
                'verbose_name': 'attachment',
                'verbose_name_plural': 'attachments',
                'ordering': ['created_at', 'pk'],
                'indexes': [models.Index(fields=['organization', 'comment'], name='attachment_org_comment_idx'), models.Index(fields=['organization', 'sha256'], name='attachment_org_sha_idx')],
            },
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('assigned', 'Assigned'), ('unassigned', 'Unassigned'), ('transferred', 'Transferred'), ('status', 'Status changed'), ('priority', 'Priority changed'), ('comment', 'Comment'), ('merged', 'Merged'), ('split', 'Split'), ('escalated', 'Escalated'), ('tagged', 'Tagged')], max_length=16, verbose_name='kind'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'open', 'pending', 'on_hold'))), fields=['organization', 'queue', 'priority', 'created_at'], include=('status',), name='ticket_queue_active_idx'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('assigned', 'Assigned'), ('unassigned', 'Unassigned'), ('transferred', 'Transferred'), ('status', 'Status changed'), ('priority', 'Priority changed'), ('comment', 'Comment'), ('merged', 'Merged'), ('split', 'Split'), ('escalated', 'Escalated'), ('updated', 'Details changed'), ('rated', 'Rated by the customer'), ('tagged', 'Tagged')], max_length=16, verbose_name='kind'),
        ),
        migrations.RemoveIndex(
            model_name='notification',
            name='notification_recipient_idx',
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(models.F('organization'), models.F('recipient'), models.OrderBy(models.F('read_at'), descending=True), models.OrderBy(models.F('created_at'), descending=True), name='notification_recipient_idx'),
        ),
        migrations.CreateModel(
            name='SLATarget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('priority', models.PositiveSmallIntegerField(choices=[(1, 'P1'), (2, 'P2'), (3, 'P3'), (4, 'P4')], verbose_name='priority')),
                ('first_response_minutes', models.IntegerField(verbose_name='first response (business minutes)')),
                ('next_response_minutes', models.IntegerField(blank=True, null=True, verbose_name='next response (business minutes)')),
                ('resolution_minutes', models.IntegerField(verbose_name='resolution (business minutes)')),
            ],
            options={
                'verbose_name': 'SLA target',
                'verbose_name_plural': 'SLA targets',
                'ordering': ['priority'],
            },
        ),
        migrations.AddField(
            model_name='ticket',
            name='escalation_level',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='escalation steps done'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='first_response_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='first response due'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='next_escalation_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='next escalation at'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='next_response_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='next response due'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='paused_minutes',
            field=models.PositiveIntegerField(default=0, verbose_name='SLA paused (business minutes)'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='paused_since',
            field=models.DateTimeField(blank=True, null=True, verbose_name='SLA paused since'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='resolution_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='resolution due'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='sla_breached',
            field=models.BooleanField(default=False, verbose_name='SLA breached'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='sla_warn_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='SLA at risk from'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('assigned', 'Assigned'), ('unassigned', 'Unassigned'), ('transferred', 'Transferred'), ('status', 'Status changed'), ('priority', 'Priority changed'), ('comment', 'Comment'), ('merged', 'Merged'), ('split', 'Split'), ('escalated', 'Escalated'), ('sla_applied', 'SLA applied'), ('sla_paused', 'SLA clock paused'), ('sla_resumed', 'SLA clock resumed')], max_length=16, verbose_name='kind'),
        ),
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
                ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='days', to='tickets.businesscalendar', verbose_name='calendar')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
            ],
            options={
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
                ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='policies', to='tickets.businesscalendar', verbose_name='calendar')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization')),
                ('queue', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.queue', verbose_name='queue')),
                ('ticket_type', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.tickettype', verbose_name='ticket type')),
            ],
            options={
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
                ('policy', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='tickets.slapolicy', verbose_name='policy')),
            ],
            options={
                'verbose_name': 'escalation step',
                'verbose_name_plural': 'escalation steps',
                'ordering': ['position', 'pk'],
            },
        ),
        migrations.AddField(
            model_name='ticket',
            name='sla_policy',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.slapolicy', verbose_name='SLA policy'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('next_escalation_at__isnull', False)), fields=['next_escalation_at'], name='ticket_sla_sweep_idx'),
        ),
        migrations.AddField(
            model_name='slatarget',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization'),
        ),
        migrations.AddField(
            model_name='slatarget',
            name='policy',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='targets', to='tickets.slapolicy', verbose_name='policy'),
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
                'verbose_name': 'notification channels',
                'verbose_name_plural': 'notification channels',
                'constraints': [models.UniqueConstraint(fields=('organization',), name='tickets_notifychannels_one_per_org')],
            },
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('assigned', 'Assigned'), ('unassigned', 'Unassigned'), ('transferred', 'Transferred'), ('status', 'Status changed'), ('priority', 'Priority changed'), ('comment', 'Comment'), ('merged', 'Merged'), ('split', 'Split'), ('escalated', 'Escalated'), ('updated', 'Details changed'), ('rated', 'Rated by the customer'), ('tagged', 'Tagged'), ('sla_applied', 'SLA applied'), ('sla_paused', 'SLA clock paused'), ('sla_resumed', 'SLA clock resumed')], max_length=16, verbose_name='kind'),
        ),
        migrations.RemoveIndex(
            model_name='notificationdelivery',
            name='notificationdelivery_due_idx',
        ),
        migrations.AddField(
            model_name='notificationdelivery',
            name='lease_until',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='claimed until'),
        ),
        migrations.AlterField(
            model_name='notificationdelivery',
            name='attempts',
            field=models.PositiveIntegerField(default=0, verbose_name='attempts'),
        ),
        migrations.AlterField(
            model_name='notificationdelivery',
            name='next_attempt_at',
            field=models.DateTimeField(blank=True, default=scrm.platform.outbox.publish_deadline, help_text="When the sweeper takes the row again: a retry's time, or the end of a lease.", null=True, verbose_name='next attempt at'),
        ),
        migrations.AlterField(
            model_name='notificationdelivery',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed, will retry'), ('dead', 'Failed for good')], default='pending', max_length=8, verbose_name='status'),
        ),
        migrations.AddIndex(
            model_name='notificationdelivery',
            index=models.Index(condition=models.Q(('status__in', ('pending', 'failed', 'sending'))), fields=['next_attempt_at'], name='notificationdelivery_due_idx'),
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
        migrations.RunPython(create_default_calendars, migrations.RunPython.noop),
    ]
