"""The finance dashboard's daily rollup (FinanceDay): per organization, local (Asia/Shanghai) day, source (paid orders,
refunds, channel fees, service jobs; statement lines and how many reconciliation matched, by statement day) and the
dimensions the dashboard groups by (region, store channel, currency, service type, city tier), the sums and counts of
the ledger rows. The dashboard reads a few thousand of these rows instead of millions of orders and payment lines.

Freshness rule: a dashboard figure is never stale. Every write that can change one (an order paid or changed, a
refund, a payment line imported, a service job completed or confirmed; whoever writes it: the ledger upserts,
reconciliation's imports, the ORM, bulk SQL) marks its local day(s) in FinanceDayMark in the writing transaction
(triggers of migrations 0018 and 0019). Before each read, `finance_days_refresh` recomputes the marked days from the
ledger, set-based, and deletes their marks; a day marked by a transaction still open is left marked and recomputed by
the next read after it commits. With no mark, a read costs one index probe more.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from scrm.platform.locks import advisory_xact_lock
from scrm.platform.tenancy import tenant_scope, tenant_sql
from settlement.models import FinanceDay, FinanceDayMark, MatchClass, Refund, ServiceJob, StatementLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
Source = FinanceDay.Source

__all__ = ["finance_days_refresh"]

# Each source's rows of its marked days, from the ledger: the rows of the days' moments grouped by local day and the
# dashboard's dimensions. A refund counts in its order's region (none without an order).
_COLUMNS = ("organization_id, day, source, region_id, channel, currency, service_kind, tier, amount, fee, materials, "
            "payouts, count")
_INSERT = f"INSERT INTO settlement_financeday ({_COLUMNS}) "
_RECOMPUTE = {
    Source.PAID: _INSERT + f"""
SELECT %(organization)s, day, '{Source.PAID}', region_id, channel, currency, '', 0, sum(paid_amount), 0, 0, 0,
       count(*)
FROM (SELECT (paid_at AT TIME ZONE 'Asia/Shanghai')::date AS day, region_id, channel, currency, paid_amount
      FROM settlement_order WHERE organization_id = %(organization)s AND paid_at >= %(since)s
      AND paid_at < %(until)s) o
WHERE day = ANY(%(days)s) GROUP BY day, region_id, channel, currency""",  # noqa: S608 - our constants
    Source.REFUNDED: _INSERT + f"""
SELECT %(organization)s, day, '{Source.REFUNDED}', region_id, '', currency, '', 0, sum(amount), 0, 0, 0, count(*)
FROM (SELECT (r.refunded_at AT TIME ZONE 'Asia/Shanghai')::date AS day, o.region_id, r.currency, r.amount
      FROM settlement_refund r LEFT JOIN settlement_order o
      ON o.id = r.order_id AND o.organization_id = %(organization)s
      WHERE r.organization_id = %(organization)s AND r.status = '{Refund.Status.REFUNDED}'
      AND r.refunded_at >= %(since)s AND r.refunded_at < %(until)s) r
WHERE day = ANY(%(days)s) GROUP BY day, region_id, currency""",  # noqa: S608 - our constants
    Source.FEE: _INSERT + f"""
SELECT %(organization)s, day, '{Source.FEE}', NULL, '', currency, '', 0, 0, sum(fee), 0, 0, count(*)
FROM (SELECT (occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS day, currency, fee
      FROM settlement_statementline WHERE organization_id = %(organization)s
      AND kind = '{StatementLine.Kind.PAYMENT}' AND occurred_at >= %(since)s AND occurred_at < %(until)s) l
WHERE day = ANY(%(days)s) GROUP BY day, currency""",  # noqa: S608 - our constants
    Source.SERVICE: _INSERT + f"""
SELECT %(organization)s, day, '{Source.SERVICE}', region_id, '', currency, kind, tier, sum(price_total), 0,
       sum(material_total), sum(payout_total), count(*)
FROM (SELECT (completed_at AT TIME ZONE 'Asia/Shanghai')::date AS day, region_id, currency, kind, tier, price_total,
             material_total, payout_total
      FROM settlement_servicejob WHERE organization_id = %(organization)s
      AND status IN ('{ServiceJob.Status.COMPLETED}', '{ServiceJob.Status.CONFIRMED}')
      AND completed_at >= %(since)s AND completed_at < %(until)s) j
WHERE day = ANY(%(days)s) GROUP BY day, region_id, currency, kind, tier""",  # noqa: S608 - our constants
    # The match rate's: per statement day and currency, the lines and how many of them reconciliation matched
    # (through the channel index: the statement days of every channel of the organization).
    Source.LINES: f"""
INSERT INTO settlement_financeday ({_COLUMNS}, matched)
SELECT %(organization)s, l.bill_date, '{Source.LINES}', NULL, '', l.currency, '', 0, 0, 0, 0, 0, count(*),
       count(*) FILTER (WHERE m.match_class = '{MatchClass.MATCHED}')
FROM settlement_statementline l
LEFT JOIN settlement_statementlinematch m ON m.line_id = l.id AND m.organization_id = %(organization)s
WHERE l.organization_id = %(organization)s AND l.bill_date = ANY(%(days)s)
  AND l.channel_id IN (SELECT id FROM settlement_paymentchannel WHERE organization_id = %(organization)s)
GROUP BY l.bill_date, l.currency""",  # noqa: S608 - our constants
}


def _moment(day):
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def finance_days_refresh(organization):
    """Bring the organization's rollup up to date: each source's marked days recomputed from the ledger (one DELETE
    of the marks; per source marked, one DELETE of its rows of those days and one INSERT ... SELECT), under the
    organization's lock (two refreshes never recompute a day together). An order arriving costs the recompute of
    its day's orders only. Returns the number of (day, source) recomputed."""
    organization_id = getattr(organization, "pk", organization)
    with tenant_scope(organization_id):
        if not FinanceDayMark.objects.exists():
            return 0
        with transaction.atomic():
            advisory_xact_lock("settlement-finance-days", organization_id)
            # Only the marks committed when this statement starts: a writer still open keeps its mark for later.
            marked = {}
            for day, source in tenant_sql("DELETE FROM settlement_financedaymark WHERE organization_id = "
                                          "%(organization)s RETURNING day, source", organization=organization_id):
                marked.setdefault(source, set()).add(day)
            for source, days in sorted(marked.items()):
                days = sorted(days)
                tenant_sql("DELETE FROM settlement_financeday WHERE organization_id = %(organization)s "
                           "AND source = %(source)s AND day = ANY(%(days)s)", {"source": source, "days": days},
                           organization=organization_id)
                tenant_sql(_RECOMPUTE[source], {"days": days, "since": _moment(days[0]),
                                                "until": _moment(days[-1] + timedelta(days=1))},
                           organization=organization_id)
            return sum(len(days) for days in marked.values())
