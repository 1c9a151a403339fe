"""The current custom-field answers of each ticket (the latest save), flagged, so the queue filters join tickets to
one row each: backfilled from the existing saves, then one current row per ticket at most."""

from django.db import migrations, models

MARK_LATEST = """
UPDATE tickets_ticketfieldanswers SET is_current = TRUE
WHERE id IN (SELECT DISTINCT ON (ticket_id) id FROM tickets_ticketfieldanswers ORDER BY ticket_id, at DESC, id DESC)
"""


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0023_internal_tickets_without_customer'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticketfieldanswers',
            name='is_current',
            field=models.BooleanField(default=False, verbose_name='current'),
        ),
        migrations.RunSQL(MARK_LATEST, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name='ticketfieldanswers',
            constraint=models.UniqueConstraint(condition=models.Q(('is_current', True)), fields=('organization', 'ticket'), name='ticketfields_org_ticket_current_uniq'),
        ),
    ]
