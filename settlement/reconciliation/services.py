"""Writes of the reconciliation: runs (now, or as a job of the outbox), and every decision on a discrepancy.

A run of a channel and period is one row (`ReconciliationRun`, unique per channel and period): running the period
again after new data updates that row, the statement lines' results (`StatementLineMatch`) and the discrepancies
(unique per channel and key) in place. A discrepancy a person decided on (resolved, written off, awaiting approval)
keeps its decision whatever later runs find; an open one that a later run finds matched is cleared, and one that
comes back after it was cleared is opened again, each by an action row (`DiscrepancyAction`, append-only).
"""

import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.utils import timezone

from scrm.models import Channel
from scrm.platform import outbox
from scrm.platform.locks import advisory_xact_lock
from scrm.platform.tenancy import tenant_scope, tenant_sql
from settlement.reconciliation import errors
from settlement.reconciliation.matching import Tolerances, match, summarize, temp_sql
from settlement.reconciliation_models import (
    Discrepancy,
    DiscrepancyAction,
    MatchClass,
    ReconciliationRun,
    ReconciliationRunEvent,
)
from tickets.errors import TicketError
from tickets.services import ticket_open

logger = logging.getLogger(__name__)

RUN_KIND = "reconciliation_run"
# Who may work discrepancies (annotate, resolve, write off, approve, open a ticket): the one rule of the service, the
# workbench's pages and the API.
WORK_PERMISSION = "settlement.change_discrepancy"
# Who may start a reconciliation run (the page's form and the API's POST).
RUN_PERMISSION = "settlement.add_reconciliationrun"
# The longest period one run takes (a month of statement days).
MAX_RUN_DAYS = 31

# Why finance closes a discrepancy (the workbench offers these).
RESOLUTION_CODES = ("ledger_corrected", "channel_corrected", "refund_completed", "customer_repaid",
                    "duplicate_refunded", "rounding", "other")

# The longest note a decision on a discrepancy keeps: the workbench's and the API's limit, in Django's words for both.
NOTE_MAX_LENGTH = 2000
note_validator = MaxLengthValidator(NOTE_MAX_LENGTH)

__all__ = [
    "MAX_RUN_DAYS", "NOTE_MAX_LENGTH", "RESOLUTION_CODES", "RUN_KIND", "RUN_PERMISSION", "WORK_PERMISSION",
    "discrepancy_annotate",
    "discrepancy_open_ticket", "discrepancy_resolve",
    "discrepancy_write_off", "discrepancy_write_off_approve", "discrepancy_write_off_reject", "reconciliation_dry_run",
    "reconciliation_run", "reconciliation_run_queue",
]

# Every line's result, in its own narrow table (StatementLineMatch): changed results rewritten in place, the lines
# without one inserted. Two statements, not one INSERT ... ON CONFLICT DO UPDATE: that takes the speculative path for
# every row (a probe of the key, the insert, a second pass over the index), 8.0 s against 6.2 s for a plain INSERT of
# 1,000,000 first results; and an ON CONFLICT whose WHERE is false still locks and dirties every row it meets. Both
# find a line's result by its key, whatever the table holds for other lines. Runs of one channel take turns
# (`reconciliation_run`), so no other run inserts these lines' results meanwhile.
_RESULTS_UPDATE_SQL = """
UPDATE settlement_statementlinematch AS m SET
    run_id = %(run)s, match_class = t.klass, order_id = t.order_id, refund_id = t.refund_id,
    matched_by = COALESCE(t.via, ''), reason = t.reason
FROM recon_line t
WHERE m.line_id = t.line_id AND m.organization_id = %(organization)s
  AND (m.run_id, m.match_class, m.order_id, m.refund_id, m.matched_by, m.reason)
      IS DISTINCT FROM (%(run)s, t.klass, t.order_id, t.refund_id, COALESCE(t.via, ''), t.reason)
"""
_RESULTS_INSERT_SQL = """
INSERT INTO settlement_statementlinematch (
    line_id, organization_id, run_id, match_class, order_id, refund_id, matched_by, reason)
SELECT t.line_id, %(organization)s, %(run)s, t.klass, t.order_id, t.refund_id, COALESCE(t.via, ''), t.reason
FROM recon_line t
WHERE NOT EXISTS (SELECT 1 FROM settlement_statementlinematch m
                  WHERE m.line_id = t.line_id AND m.organization_id = %(organization)s)
"""

# A discrepancy cleared earlier and found again is open again (and says so in its actions).
_REOPEN_SQL = """
WITH reopened AS (
    UPDATE settlement_discrepancy d SET status = 'open', resolved_at = NULL, resolved_by_id = NULL
    FROM recon_disc n
    WHERE d.organization_id = %(organization)s AND d.channel_id = %(channel)s AND d.key = n.key
      AND d.status = 'cleared'
    RETURNING d.id
)
INSERT INTO settlement_discrepancyaction (organization_id, discrepancy_id, action, by_id, code, note, amount, at)
SELECT %(organization)s, id, 'reopen', NULL, 'found_again', '', NULL, %(now)s FROM reopened
"""

_UPSERT_SQL = """
INSERT INTO settlement_discrepancy AS d (
    organization_id, run_id, channel_id, key, kind, status, bill_date, store_id, order_id, refund_id,
    statement_line_id, order_number, transaction_id, currency, statement_amount, ledger_amount, difference,
    statement_fee, expected_fee, reason, resolution_code, note, ticket_id, first_seen_at, last_seen_at,
    resolved_by_id, resolved_at)
SELECT %(organization)s, %(run)s, %(channel)s, key, klass, 'open', bill_date, store_id, order_id, refund_id,
       statement_line_id, order_number, transaction_id, currency, statement_amount, ledger_amount, difference,
       statement_fee, expected_fee, reason, '', '', NULL, %(now)s, %(now)s, NULL, NULL
FROM recon_disc
ON CONFLICT (organization_id, channel_id, key) DO UPDATE SET
    run_id = EXCLUDED.run_id, kind = EXCLUDED.kind, bill_date = EXCLUDED.bill_date, store_id = EXCLUDED.store_id,
    order_id = EXCLUDED.order_id, refund_id = EXCLUDED.refund_id, statement_line_id = EXCLUDED.statement_line_id,
    order_number = EXCLUDED.order_number, transaction_id = EXCLUDED.transaction_id, currency = EXCLUDED.currency,
    statement_amount = EXCLUDED.statement_amount, ledger_amount = EXCLUDED.ledger_amount,
    difference = EXCLUDED.difference, statement_fee = EXCLUDED.statement_fee, expected_fee = EXCLUDED.expected_fee,
    reason = EXCLUDED.reason, last_seen_at = EXCLUDED.last_seen_at
WHERE (d.run_id, d.kind, d.bill_date, d.order_id, d.refund_id, d.statement_line_id, d.statement_amount,
       d.ledger_amount, d.statement_fee, d.expected_fee, d.reason)
      IS DISTINCT FROM (EXCLUDED.run_id, EXCLUDED.kind, EXCLUDED.bill_date, EXCLUDED.order_id, EXCLUDED.refund_id,
       EXCLUDED.statement_line_id, EXCLUDED.statement_amount, EXCLUDED.ledger_amount, EXCLUDED.statement_fee,
       EXCLUDED.expected_fee, EXCLUDED.reason)
"""

# Open discrepancies this run no longer finds: its own earlier findings, and any of the channel whose order or refund
# a line of this run now matches (a timing difference that reached its statement).
_CLEAR_SQL = """
WITH matched_keys AS (
    -- A matched line's own key, and its order's or refund's where that is another (matched by the transaction id):
    -- a line matched by its order number has that order's key already. Not deduplicated: only joined.
    SELECT key FROM recon_line WHERE klass = 'matched'
    UNION ALL
    SELECT 'order:' || order_external FROM recon_line
    WHERE klass = 'matched' AND order_external IS NOT NULL AND key <> 'order:' || order_external
    UNION ALL
    SELECT 'refund:' || refund_external FROM recon_line
    WHERE klass = 'matched' AND refund_external IS NOT NULL AND key <> 'refund:' || refund_external
), candidates AS (
    SELECT d.id, d.key FROM settlement_discrepancy d
    WHERE d.organization_id = %(organization)s AND d.channel_id = %(channel)s AND d.status = 'open'
      AND d.run_id = %(run)s
    UNION
    SELECT d.id, d.key FROM settlement_discrepancy d JOIN matched_keys m ON m.key = d.key
    WHERE d.organization_id = %(organization)s AND d.channel_id = %(channel)s AND d.status = 'open'
), cleared AS (
    UPDATE settlement_discrepancy d SET status = 'cleared', resolved_at = %(now)s, last_seen_at = %(now)s
    FROM candidates c
    WHERE d.organization_id = %(organization)s AND d.id = c.id
      AND NOT EXISTS (SELECT 1 FROM recon_disc n WHERE n.key = c.key)
    RETURNING d.id
)
INSERT INTO settlement_discrepancyaction (organization_id, discrepancy_id, action, by_id, code, note, amount, at)
SELECT %(organization)s, id, 'cleared', NULL, 'matched', %(note)s, NULL, %(now)s FROM cleared
"""


def _period(period_start, period_end):
    period_end = period_end or period_start
    if period_end < period_start:
        raise errors.ReconciliationError(errors.MSG_BAD_PERIOD)
    return period_start, period_end


def _run_row(channel, first, last, by):
    advisory_xact_lock("reconciliation", channel.organization_id, channel.pk, first, last)
    run, _created = ReconciliationRun.objects.get_or_create(
        organization_id=channel.organization_id, channel=channel, period_start=first, period_end=last,
        defaults={"created_by": by})
    return ReconciliationRun.objects.select_for_update().get(pk=run.pk)


@transaction.atomic
def reconciliation_run(*, channel, period_start, period_end=None, by=None):
    """Match the channel's statement lines of the period (statement days, inclusive) against the ledger, now, and
    record the result: the lines' results (class, order or refund, keys; a reason where not matched), the
    discrepancies, the run's summary. Returns the run."""
    first, last = _period(period_start, period_end)
    organization = channel.organization
    with tenant_scope(organization):
        # Runs of one channel take turns, whatever their periods: two periods may share statement lines (their
        # results) and the channel's discrepancies. (Queueing a run takes only its period's lock: it never waits
        # for a run of another period.)
        advisory_xact_lock("reconciliation-channel", organization.pk, channel.pk)
        run = _run_row(channel, first, last, by)
        tolerances = Tolerances.of(channel)
        params = match(organization=organization, channel=channel, first=first, last=last, tolerances=tolerances)
        now = timezone.now()
        keys = {"channel": channel.pk, "run": run.pk, "now": now}
        tenant_sql(_RESULTS_UPDATE_SQL, {"run": run.pk}, organization=organization)
        tenant_sql(_RESULTS_INSERT_SQL, {"run": run.pk}, organization=organization)
        tenant_sql(_REOPEN_SQL, keys, organization=organization)
        tenant_sql(_UPSERT_SQL, keys, organization=organization)
        tenant_sql(_CLEAR_SQL, {**keys, "note": f"{first}..{last}"}, organization=organization)
        summary, figures = summarize(organization=organization, params=params)
        run.summary, run.figures, run.tolerances = summary, figures, tolerances.as_json()
        run.status, run.failure_detail = ReconciliationRun.Status.DONE, ""
        run.run_count += 1
        run.started_at = run.started_at or now
        run.finished_at = timezone.now()
        if by is not None and run.created_by_id is None:
            run.created_by = by
        run.save(update_fields=["summary", "figures", "tolerances", "status", "failure_detail", "run_count",
                                "started_at", "finished_at", "created_by"])
        logger.info("reconciliation run", extra={"run": run.pk, "channel": channel.pk, "lines": figures["line_count"]})
        return run


@transaction.atomic
def reconciliation_run_queue(*, channel, period_start, period_end=None, by=None):
    """Ask a worker to run the period (a big period takes a while): the run shows "waiting for a worker" until it
    is done. The job is a kind of the one outbox, on the jobs queue."""
    first, last = _period(period_start, period_end)
    with tenant_scope(channel.organization):
        run = _run_row(channel, first, last, by)
        if run.status in (ReconciliationRun.Status.QUEUED, ReconciliationRun.Status.RUNNING) and run.run_count:
            return run
        run.status = ReconciliationRun.Status.QUEUED
        run.save(update_fields=["status"])
        outbox.enqueue(RUN_KIND, run)
        return run


@transaction.atomic
def reconciliation_report_exported(*, run, day, actor, file_format="xlsx"):
    """Record that `actor` took a day's reconciliation report out of the product (its workbook): the run's history
    says who downloaded which day's figures and when, as a partner statement's history records its exports."""
    with tenant_scope(run.organization_id):
        return ReconciliationRunEvent.objects.create(
            organization_id=run.organization_id, run=run, action=ReconciliationRunEvent.Action.EXPORTED, by=actor,
            detail={"format": file_format, "day": day.isoformat()})


class _DryRunRollback(Exception):  # noqa: N818 - control flow: undo the trial
    pass


def reconciliation_dry_run(*, channel, changes, periods):
    """What the matching would find with other tolerances (`changes`: {"amount": "0.05", "fee": ..., "fee_rate": ...,
    "timing_window_minutes": ...}) over past statement days `periods` [(first, last), ...], compared with what it
    finds today: per period, the summary now and then, and how many lines would change class (from → to). Nothing is
    written: the matching runs in a transaction that is rolled back."""
    organization = channel.organization
    results = []
    with tenant_scope(organization):
        for first, last in periods:
            outcome = {}
            try:
                with transaction.atomic():
                    outcome["before"] = _trial(organization, channel, first, last, Tolerances.of(channel))
                    temp_sql("DROP TABLE IF EXISTS recon_trial; CREATE TEMP TABLE recon_trial ON COMMIT DROP AS "
                             "SELECT line_id, klass FROM recon_line")
                    outcome["after"] = _trial(organization, channel, first, last, Tolerances.of(channel, **changes))
                    outcome["moves"] = _moves()
                    raise _DryRunRollback
            except _DryRunRollback:
                pass
            outcome["changed"] = sum(move["count"] for move in outcome["moves"])
            results.append({"period_start": first, "period_end": last, **outcome})
    return results


def _trial(organization, channel, first, last, tolerances):
    params = match(organization=organization, channel=channel, first=first, last=last, tolerances=tolerances)
    summary, _figures = summarize(organization=organization, params=params)
    return summary


def _moves():
    """Lines whose class differs between the two trials (the first trial's classes were kept in recon_trial)."""
    rows = temp_sql("SELECT b.klass, a.klass, count(*) FROM recon_line a JOIN recon_trial b USING (line_id) "
                    "WHERE a.klass <> b.klass GROUP BY 1, 2 ORDER BY 3 DESC")
    return [{"from": before, "to": after, "count": count} for before, after, count in rows]


# Decisions on a discrepancy ----------------------------------------------------------------------------------------

def _locked(discrepancy):
    return Discrepancy.objects.select_for_update().select_related("channel").get(pk=discrepancy.pk)


def _note_checked(note):
    try:
        note_validator(note or "")
    except ValidationError as exc:
        raise errors.ReconciliationError(" ".join(exc.messages)) from None
    return note


def _act(discrepancy, action, by, *, code="", note="", amount=None):
    row = DiscrepancyAction.objects.create(organization_id=discrepancy.organization_id, discrepancy=discrepancy,
                                           action=action, by=by, code=code, note=note, amount=amount)
    logger.info("discrepancy action", extra={"discrepancy": discrepancy.pk, "action": action, "by": by.pk})
    return row


def _require(by, permission):
    if not by.has_perm(permission):
        raise errors.ReconciliationError(errors.MSG_NOT_ALLOWED)


def _open_only(discrepancy):
    if discrepancy.status not in (Discrepancy.Status.OPEN, Discrepancy.Status.CLEARED):
        raise errors.ReconciliationError(errors.MSG_ALREADY_DECIDED % {"status": discrepancy.get_status_display()})


@transaction.atomic
def discrepancy_annotate(*, discrepancy, by, note):
    """A note on the discrepancy (any status): the latest is shown on the list."""
    _note_checked(note)
    note = (note or "").strip()
    if not note:
        raise errors.ReconciliationError(errors.MSG_NOTE_REQUIRED)
    with tenant_scope(discrepancy.organization_id):
        _require(by, WORK_PERMISSION)
        discrepancy = _locked(discrepancy)
        discrepancy.note = note
        discrepancy.save(update_fields=["note", "last_seen_at"])
        _act(discrepancy, DiscrepancyAction.Action.ANNOTATE, by, note=note)
        return discrepancy


@transaction.atomic
def discrepancy_resolve(*, discrepancy, by, code, note=""):
    """Close the discrepancy with a reason code (one of RESOLUTION_CODES)."""
    _note_checked(note)
    if code not in RESOLUTION_CODES:
        raise errors.ReconciliationError(errors.MSG_BAD_CODE % {"code": code})
    with tenant_scope(discrepancy.organization_id):
        _require(by, WORK_PERMISSION)
        discrepancy = _locked(discrepancy)
        _open_only(discrepancy)
        discrepancy.status, discrepancy.resolution_code = Discrepancy.Status.RESOLVED, code
        discrepancy.resolved_by, discrepancy.resolved_at = by, timezone.now()
        discrepancy.save(update_fields=["status", "resolution_code", "resolved_by", "resolved_at", "last_seen_at"])
        _act(discrepancy, DiscrepancyAction.Action.RESOLVE, by, code=code, note=note)
        return discrepancy


@transaction.atomic
def discrepancy_write_off(*, discrepancy, by, note=""):
    """Write the difference off. Up to the channel's write-off limit it is written off at once; above it, it waits
    for a second person's approval (`discrepancy_write_off_approve`)."""
    _note_checked(note)
    with tenant_scope(discrepancy.organization_id):
        _require(by, WORK_PERMISSION)
        discrepancy = _locked(discrepancy)
        _open_only(discrepancy)
        amount = _write_off_amount(discrepancy)
        if amount > discrepancy.channel.write_off_limit:
            discrepancy.status = Discrepancy.Status.WRITE_OFF_REQUESTED
            discrepancy.save(update_fields=["status", "last_seen_at"])
            _act(discrepancy, DiscrepancyAction.Action.WRITE_OFF_REQUEST, by, note=note, amount=amount)
            return discrepancy
        _act(discrepancy, DiscrepancyAction.Action.WRITE_OFF_REQUEST, by, note=note, amount=amount)
        return _written_off(discrepancy, by, amount, note)


def _write_off_amount(discrepancy):
    """What writing the discrepancy off accepts as lost: the amount difference, and for a fee mismatch the fee
    charged beyond the one expected (its amounts agree, so the difference alone is about zero and any fee, however
    large, went through without the second approver)."""
    amount = abs(discrepancy.difference or Decimal(0))
    if discrepancy.kind == MatchClass.FEE_MISMATCH:
        amount += abs((discrepancy.statement_fee or Decimal(0)) - (discrepancy.expected_fee or Decimal(0)))
    return amount


def _written_off(discrepancy, by, amount, note):
    discrepancy.status, discrepancy.resolution_code = Discrepancy.Status.WRITTEN_OFF, "write_off"
    discrepancy.resolved_by, discrepancy.resolved_at = by, timezone.now()
    discrepancy.save(update_fields=["status", "resolution_code", "resolved_by", "resolved_at", "last_seen_at"])
    _act(discrepancy, DiscrepancyAction.Action.WRITE_OFF_APPROVE, by, note=note, amount=amount)
    return discrepancy


def _requester(discrepancy):
    request = (DiscrepancyAction.objects.filter(discrepancy=discrepancy,
                                                action=DiscrepancyAction.Action.WRITE_OFF_REQUEST)
               .order_by("-at", "-pk").first())
    return request.by_id if request else None


@transaction.atomic
def discrepancy_write_off_approve(*, discrepancy, by, note=""):
    """The second approver of a write-off above the limit: never the person who asked for it."""
    _note_checked(note)
    with tenant_scope(discrepancy.organization_id):
        _require(by, WORK_PERMISSION)
        discrepancy = _locked(discrepancy)
        if discrepancy.status != Discrepancy.Status.WRITE_OFF_REQUESTED:
            raise errors.ReconciliationError(errors.MSG_NO_WRITE_OFF_REQUESTED)
        if _requester(discrepancy) == by.pk:
            raise errors.ReconciliationError(errors.MSG_OWN_WRITE_OFF)
        return _written_off(discrepancy, by, _write_off_amount(discrepancy), note)


@transaction.atomic
def discrepancy_write_off_reject(*, discrepancy, by, note=""):
    _note_checked(note)
    with tenant_scope(discrepancy.organization_id):
        _require(by, WORK_PERMISSION)
        discrepancy = _locked(discrepancy)
        if discrepancy.status != Discrepancy.Status.WRITE_OFF_REQUESTED:
            raise errors.ReconciliationError(errors.MSG_NO_WRITE_OFF_REQUESTED)
        discrepancy.status = Discrepancy.Status.OPEN
        discrepancy.save(update_fields=["status", "last_seen_at"])
        _act(discrepancy, DiscrepancyAction.Action.WRITE_OFF_REJECT, by, note=note)
        return discrepancy


@transaction.atomic
def discrepancy_open_ticket(*, discrepancy, by, note="", queue=None):
    """Open a ticket for the team that must fix it, through the tickets' own service. With a customer behind the
    order the ticket is theirs and the routing rules choose the queue (`queue` wins when given). A discrepancy with
    no customer (a payment the ledger does not know) opens an internal ticket, with no customer, into `queue` (the
    fixing team's, required then). Either way the ticket carries the discrepancy's reference
    (`source_ref` "discrepancy:<id>", the order or transaction number) and the discrepancy links to it."""
    _note_checked(note)
    with tenant_scope(discrepancy.organization_id):
        _require(by, WORK_PERMISSION)
        discrepancy = _locked(discrepancy)
        if discrepancy.ticket_id is not None:
            raise errors.ReconciliationError(errors.MSG_TICKET_EXISTS)
        order = discrepancy.order
        customer = order.customer if order is not None else None
        if customer is None and queue is None:
            raise errors.ReconciliationError(errors.MSG_NO_CUSTOMER)
        values = {"kind": discrepancy.get_kind_display(), "channel": discrepancy.channel.name,
                  "number": discrepancy.order_number or discrepancy.transaction_id, "day": discrepancy.bill_date,
                  "statement": discrepancy.statement_amount if discrepancy.statement_amount is not None else "-",
                  "ledger": discrepancy.ledger_amount if discrepancy.ledger_amount is not None else "-",
                  "difference": discrepancy.difference, "note": note or "-"}
        try:
            ticket = ticket_open(
                organization=discrepancy.organization, customer=customer,
                subject=str(errors.MSG_TICKET_SUBJECT % values), description=str(errors.MSG_TICKET_BODY % values),
                channel=order.channel if order is not None else Channel.MANUAL,
                source_ref=f"discrepancy:{discrepancy.pk}", actor=by, queue=queue,
                order_number=discrepancy.order_number)
        except TicketError as exc:
            raise errors.ReconciliationError(str(exc)) from None
        discrepancy.ticket = ticket
        discrepancy.save(update_fields=["ticket", "last_seen_at"])
        _act(discrepancy, DiscrepancyAction.Action.OPEN_TICKET, by, note=note or ticket.number)
        return discrepancy
