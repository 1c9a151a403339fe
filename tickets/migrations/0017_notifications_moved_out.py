"""Notification, NotificationDelivery and NotificationChannelConfig left for the notifications app, which now owns
their tables (renamed there): the state only forgets them here."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0016_codes_indexed_with_their_organization'),
        ('notifications', '0001_moved_from_tickets'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='notificationdelivery',
                name='notification',
            ),
            migrations.RemoveField(
                model_name='notificationchannelconfig',
                name='organization',
            ),
            migrations.RemoveField(
                model_name='notificationdelivery',
                name='organization',
            ),
            migrations.DeleteModel(
                name='Notification',
            ),
            migrations.DeleteModel(
                name='NotificationChannelConfig',
            ),
            migrations.DeleteModel(
                name='NotificationDelivery',
            ),
        ]),
    ]
