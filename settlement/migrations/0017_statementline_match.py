"""Per-line match results out of the wide lines table: `StatementLineMatch` (the line's `match`), one narrow row per
reconciled line. The lines' results (class, order, refund, reason) are copied into it before their columns go: no
result is lost. A line's run is the latest run of its channel covering its statement day; its keys are its reason's.
Going back copies them onto the lines again (a matched line's derived reason back as its keys only).

Then the roles: finance and ops read the results (SettlementConfig.ready())."""

import django.db.models.deletion
from django.db import migrations, models


COPY_RESULTS = """
INSERT INTO settlement_statementlinematch (line_id, organization_id, run_id, match_class, order_id, refund_id,
                                           matched_by, reason)
SELECT l.id, l.organization_id,
       (SELECT r.id FROM settlement_reconciliationrun r
        WHERE r.organization_id = l.organization_id AND r.channel_id = l.channel_id
          AND l.bill_date BETWEEN r.period_start AND r.period_end
        ORDER BY r.finished_at DESC NULLS LAST, r.id DESC LIMIT 1),
       l.match_class, l.order_id, l.refund_id,
       CASE WHEN jsonb_typeof(l.match_reason -> 'keys') = 'array'
            THEN array_to_string(ARRAY(SELECT jsonb_array_elements_text(l.match_reason -> 'keys')), '+')
            ELSE '' END,
       l.match_reason
FROM settlement_statementline l
WHERE l.match_class <> ''
"""

COPY_BACK = """
UPDATE settlement_statementline l
SET match_class = m.match_class, order_id = m.order_id, refund_id = m.refund_id,
    match_reason = COALESCE(m.reason, jsonb_build_object(
        'keys', COALESCE(to_jsonb(string_to_array(NULLIF(m.matched_by, ''), '+')), '[]'::jsonb)))
FROM settlement_statementlinematch m
WHERE m.line_id = l.id
"""


def sync(apps, schema_editor):
    from scrm.platform.roles import sync_role_permissions

    sync_role_permissions(apps, "settlement")


class Migration(migrations.Migration):

    dependencies = [
        ('scrm', '0026_customer_merge_undo_conflicts_export'),
        ('settlement', '0016_statementline_bulk_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='StatementLineMatch',
            fields=[
                ('line', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='match', serialize=False, to='settlement.statementline', verbose_name='statement line')),
                ('match_class', models.CharField(choices=[('matched', 'Matched'), ('amount_mismatch', 'Amount mismatch'), ('fee_mismatch', 'Fee mismatch'), ('missing_in_ledger', 'Not in the ledger'), ('missing_in_channel', 'Not paid through the channel'), ('duplicate', 'Duplicate in the channel'), ('refund_mismatch', 'Refund mismatch'), ('timing', 'Timing (expected in another statement)')], max_length=24, verbose_name='result')),
                ('matched_by', models.CharField(blank=True, max_length=32, verbose_name='matched by')),
                ('reason', models.JSONField(blank=True, null=True, verbose_name='why')),
            ],
            options={
                'verbose_name': 'statement line result',
                'verbose_name_plural': 'statement line results',
            },
        ),
        migrations.AddField(
            model_name='statementlinematch',
            name='order',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='settlement.order', verbose_name='order'),
        ),
        migrations.AddField(
            model_name='statementlinematch',
            name='organization',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scrm.organization', verbose_name='organization'),
        ),
        migrations.AddField(
            model_name='statementlinematch',
            name='refund',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='settlement.refund', verbose_name='refund'),
        ),
        migrations.AddField(
            model_name='statementlinematch',
            name='run',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='settlement.reconciliationrun', verbose_name='reconciliation run'),
        ),
        migrations.RunSQL(COPY_RESULTS, reverse_sql=COPY_BACK),
        migrations.RemoveIndex(
            model_name='statementline',
            name='stmtline_order_ref_idx',
        ),
        migrations.RemoveIndex(
            model_name='statementline',
            name='stmtline_refund_ref_idx',
        ),
        migrations.RemoveField(
            model_name='statementline',
            name='match_class',
        ),
        migrations.RemoveField(
            model_name='statementline',
            name='match_reason',
        ),
        migrations.RemoveField(
            model_name='statementline',
            name='order',
        ),
        migrations.RemoveField(
            model_name='statementline',
            name='refund',
        ),
        migrations.AddIndex(
            model_name='statementlinematch',
            index=models.Index(condition=models.Q(('order__isnull', False)), fields=['organization', 'order'], name='stmtmatch_order_idx'),
        ),
        migrations.AddIndex(
            model_name='statementlinematch',
            index=models.Index(condition=models.Q(('refund__isnull', False)), fields=['organization', 'refund'], name='stmtmatch_refund_idx'),
        ),
        migrations.RunPython(sync, migrations.RunPython.noop),
    ]
