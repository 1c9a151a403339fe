from django.db import migrations

# A statement line counts in two of the finance rollup's sources: its fee on the local day it occurred ("fee",
# 0018_finance_days) and its statement day in the match rate ("lines", 0019_match_rate_rollup). Each source had its
# own statement-level trigger for inserts and deletes, so an import of 1,000,000 lines hashed the whole transition
# table twice. One function now reads it once: the distinct (organization, fee day, statement day) of the rows (a
# day's statement has one or two), each giving its two marks. Row-level update triggers are unchanged.
FORWARD = """
CREATE FUNCTION settlement_financeday_mark_line_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO settlement_financedaymark (organization_id, day, source)
    SELECT DISTINCT d.organization_id, m.day, m.source
    FROM (SELECT DISTINCT organization_id, (occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS fee_day, bill_date
          FROM changed) AS d
    CROSS JOIN LATERAL (VALUES (d.fee_day, 'fee'), (d.bill_date, 'lines')) AS m (day, source)
    WHERE m.day IS NOT NULL;
    RETURN NULL;
END $$;

DROP TRIGGER settlement_statementline_fd_insert ON settlement_statementline;
DROP TRIGGER settlement_statementline_fd_delete ON settlement_statementline;
DROP TRIGGER settlement_statementline_fdl_insert ON settlement_statementline;
DROP TRIGGER settlement_statementline_fdl_delete ON settlement_statementline;
CREATE TRIGGER settlement_statementline_marks_insert AFTER INSERT ON settlement_statementline
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION settlement_financeday_mark_line_rows();
CREATE TRIGGER settlement_statementline_marks_delete AFTER DELETE ON settlement_statementline
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION settlement_financeday_mark_line_rows();
"""
BACKWARD = """
DROP TRIGGER settlement_statementline_marks_insert ON settlement_statementline;
DROP TRIGGER settlement_statementline_marks_delete ON settlement_statementline;
DROP FUNCTION settlement_financeday_mark_line_rows();
CREATE TRIGGER settlement_statementline_fd_insert AFTER INSERT ON settlement_statementline
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION settlement_financeday_mark_rows('occurred_at', 'fee');
CREATE TRIGGER settlement_statementline_fd_delete AFTER DELETE ON settlement_statementline
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION settlement_financeday_mark_rows('occurred_at', 'fee');
CREATE TRIGGER settlement_statementline_fdl_insert AFTER INSERT ON settlement_statementline
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION settlement_financeday_mark_line_days();
CREATE TRIGGER settlement_statementline_fdl_delete AFTER DELETE ON settlement_statementline
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION settlement_financeday_mark_line_days();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('settlement', '0020_statementline_refund_key_index'),
    ]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
