"""The matching: every class, tolerance edges, timing across midnight and its clearing, re-runs keeping decisions."""

from decimal import Decimal

import pytest

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import Discrepancy, DiscrepancyAction, StatementLine, StatementLineMatch
from settlement.reconciliation.matching import matched_reason
from settlement.reconciliation.services import discrepancy_resolve, reconciliation_run
from tests.settlement.recon import (
    DAY,
    local,
    make_channel,
    make_order,
    make_refund,
    make_statement,
    make_store,
    next_day,
    pay,
    refund_line,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(organization):
    return make_channel(organization)


@pytest.fixture
def store(organization, channel):
    return make_store(organization, channel)


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


def discrepancies(organization):
    with tenant_scope(organization):
        return {d.key: d for d in Discrepancy.objects.all()}


def classes(organization):
    with tenant_scope(organization):
        return {(line.order_number or line.refund_number): line.match.match_class
                for line in StatementLine.objects.select_related("match").order_by("pk")}


def test_every_class_and_totals_that_add_up(organization, channel, store):
    make_order(store, "A1", "100.00")                      # matched
    make_order(store, "A2", "100.00")                      # amount mismatch (the channel says 99.00)
    make_order(store, "A3", "200.00")                      # fee mismatch (charged 5.00, expected 1.20)
    make_order(store, "A4", "50.00")                       # missing in channel
    make_order(store, "A5", "80.00")                       # duplicate in channel
    order = make_order(store, "A6", "60.00")
    make_refund(order, "R6", "60.00")                      # refund of 60, the channel refunded 30
    make_statement(channel, lines=[
        pay("A1", "100.00"), pay("A2", "99.00"), pay("A3", "200.00", fee="5.00"), pay("Z9", "10.00"),
        pay("A5", "80.00"), pay("A5", "80.00"), pay("A6", "60.00"), refund_line("R6", "A6", "30.00"),
    ])
    run = reconciliation_run(channel=channel, period_start=DAY)
    assert run.summary == {
        "matched": {"count": 3, "amount": "240.00"},
        "amount_mismatch": {"count": 1, "amount": "99.00"},
        "fee_mismatch": {"count": 1, "amount": "200.00"},
        "missing_in_ledger": {"count": 1, "amount": "10.00"},
        "missing_in_channel": {"count": 1, "amount": "50.00"},
        "duplicate": {"count": 1, "amount": "80.00"},
        "refund_mismatch": {"count": 1, "amount": "-30.00"},
        "statement_total": "599.00",
        "ledger_total": "530.00",
    }
    found = discrepancies(organization)
    assert {key: d.kind for key, d in found.items()} == {
        "order:A2": "amount_mismatch", "order:A3": "fee_mismatch", "order:Z9": "missing_in_ledger",
        "order:A4": "missing_in_channel", "dup:payment:A5:2": "duplicate", "refund:R6": "refund_mismatch",
    }
    a2 = found["order:A2"]
    assert (a2.statement_amount, a2.ledger_amount, a2.difference) == (Decimal("99.00"), Decimal("100.00"),
                                                                       Decimal("-1.00"))
    assert a2.reason["keys"] == ["order_number"] and a2.reason["amount_tolerance"] == "0.00"
    assert found["order:A3"].expected_fee == Decimal("1.20") and found["order:A3"].reason["fee_tolerance"] == "0.01"
    assert found["order:A4"].reason["ledger_paid_at"] == "2026-11-11 12:00:00"
    with tenant_scope(organization):
        a1 = StatementLine.objects.select_related("match__order", "match__run").get(order_number="A1")
        assert a1.match.match_class == "matched" and a1.match.order.external_number == "A1"
        # A matched line's reason is not stored: it is derived, complete, from its keys, its order and the run.
        assert a1.match.reason is None
        assert a1.match.why == {
            "keys": ["order_number"], "statement_amount": "100.00", "ledger_amount": "100.00", "difference": "0.00",
            "amount_tolerance": "0.00", "fee": "0.60000", "expected_fee": "0.60", "fee_rate": "0.00600",
            "fee_tolerance": "0.01", "ledger_status": "paid", "ledger_paid_on": "2026-11-11"}
        # The derivation is the matching's own: applied to the lines the run stored a reason for (every class but
        # the duplicate, whose reason adds its first occurrence), it gives that reason, key for key.
        stored = [m for m in StatementLineMatch.objects.select_related("line", "order", "refund", "run")
                  if m.reason is not None and m.match_class != "duplicate"]
        assert {m.line.refund_number or m.line.order_number for m in stored} == {"A2", "A3", "Z9", "R6"}
        for result in stored:
            assert matched_reason(result) == result.reason, result.line.order_number
        assert found["order:A2"].reason == StatementLine.objects.get(order_number="A2").match.reason


def test_the_transaction_id_is_the_second_key(organization, channel, store):
    make_order(store, "B1", "10.00", payment_transaction_id="4200999")
    make_statement(channel, lines=[{"order_number": "", "transaction_id": "4200999", "amount": "10.00"}])
    run = reconciliation_run(channel=channel, period_start=DAY)
    assert run.summary["matched"] == {"count": 1, "amount": "10.00"}
    assert run.summary["missing_in_channel"]["count"] == 0
    with tenant_scope(organization):
        assert StatementLine.objects.get().match.why["keys"] == ["transaction_id"]


@pytest.mark.parametrize(("statement", "tolerance", "expected"), [
    ("100.05", "0.05", "matched"), ("100.06", "0.05", "amount_mismatch"), ("99.95", "0.05", "matched"),
    ("100.01", "0.00", "amount_mismatch"), ("100.00", "0.00", "matched"),
])
def test_amount_tolerance_edges(organization, store, channel, statement, tolerance, expected):
    channel.amount_tolerance = Decimal(tolerance)
    with tenant_scope(organization):
        channel.save()
    make_order(store, "C1", "100.00")
    make_statement(channel, lines=[pay("C1", statement, fee="0.60")])
    reconciliation_run(channel=channel, period_start=DAY)
    assert classes(organization) == {"C1": expected}


@pytest.mark.parametrize(("fee", "expected"), [("0.61", "matched"), ("0.59", "matched"), ("0.62", "fee_mismatch")])
def test_fee_tolerance_edges(organization, store, channel, fee, expected):
    make_order(store, "F1", "100.00")  # 0.6 % of 100.00 = 0.60, tolerance 0.01
    make_statement(channel, lines=[pay("F1", "100.00", fee=fee)])
    reconciliation_run(channel=channel, period_start=DAY)
    assert classes(organization) == {"F1": expected}


def test_a_payment_just_before_midnight_is_timing_and_clears_with_the_next_statement(organization, channel, store):
    make_order(store, "T1", "30.00", paid_at=local(DAY, 23, 50))   # the channel dates it the next day
    make_order(store, "T2", "40.00", paid_at=local(DAY, 22, 0))    # really missing
    make_statement(channel, lines=[])
    first = reconciliation_run(channel=channel, period_start=DAY)
    assert first.summary["missing_in_channel"] == {"count": 1, "amount": "40.00"}
    assert first.figures["timing"] == {"count": 1, "amount": "30.00"}
    assert discrepancies(organization)["order:T1"].kind == "timing"

    make_statement(channel, day=next_day(), lines=[pay("T1", "30.00", occurred_at=local(next_day(), 0, 1))])
    second = reconciliation_run(channel=channel, period_start=next_day())
    assert second.summary["matched"] == {"count": 1, "amount": "30.00"}
    timing = discrepancies(organization)["order:T1"]
    assert timing.status == "cleared"
    with tenant_scope(organization):
        assert list(timing.actions.values_list("action", flat=True)) == ["cleared"]
        assert StatementLine.objects.get(order_number="T1").match.why["timing"] is True
    assert discrepancies(organization)["order:T2"].status == "open"


def test_a_refund_in_a_later_bill_is_timing_until_it_arrives(organization, channel, store):
    order = make_order(store, "R1", "50.00")
    make_refund(order, "RF1", "50.00", refunded_at=local(DAY, 18))
    make_statement(channel, lines=[pay("R1", "50.00")])
    run = reconciliation_run(channel=channel, period_start=DAY)
    assert run.figures["timing"] == {"count": 1, "amount": "-50.00"}
    assert discrepancies(organization)["refund:RF1"].kind == "timing"
    make_statement(channel, day=next_day(), lines=[refund_line("RF1", "R1", "50.00")])
    reconciliation_run(channel=channel, period_start=next_day())
    assert discrepancies(organization)["refund:RF1"].status == "cleared"


def test_rerunning_updates_in_place_and_keeps_decisions(organization, channel, store, finance):
    make_order(store, "D1", "10.00")
    make_order(store, "D2", "20.00")
    make_statement(channel, lines=[pay("D1", "11.00"), pay("D2", "21.00")])
    run = reconciliation_run(channel=channel, period_start=DAY)
    found = discrepancies(organization)
    discrepancy_resolve(discrepancy=found["order:D1"], by=finance, code="ledger_corrected", note="店铺改价")
    again = reconciliation_run(channel=channel, period_start=DAY)
    assert again.pk == run.pk and again.run_count == 2
    found = discrepancies(organization)
    assert len(found) == 2
    assert found["order:D1"].status == "resolved" and found["order:D1"].resolution_code == "ledger_corrected"
    # The shop corrects D2's price: the next run clears it; D1 stays resolved as finance decided.
    with tenant_scope(organization):
        store.orders.filter(external_number="D2").update(paid_amount=Decimal("21.00"))
    reconciliation_run(channel=channel, period_start=DAY)
    found = discrepancies(organization)
    assert (found["order:D1"].status, found["order:D2"].status) == ("resolved", "cleared")
    with tenant_scope(organization):
        assert DiscrepancyAction.objects.count() == 2


def test_lines_of_an_import_not_finished_are_not_matched(organization, channel, store):
    make_order(store, "P1", "10.00")
    make_statement(channel, lines=[pay("P1", "10.00")], status="parsing")
    run = reconciliation_run(channel=channel, period_start=DAY)
    assert run.summary["statement_total"] == "0.00"
    assert run.summary["missing_in_channel"]["count"] == 1


def test_orders_of_another_payment_channel_are_not_missing_here(organization, channel, store):
    alipay = make_channel(organization, "alipay")
    other = make_store(organization, alipay, name="天猫店")
    make_order(other, "X1", "10.00")
    make_order(store, "X2", "10.00", payment_channel=alipay)  # the order names its own channel
    make_statement(channel, lines=[])
    run = reconciliation_run(channel=channel, period_start=DAY)
    assert run.summary["missing_in_channel"]["count"] == 0
    assert reconciliation_run(channel=alipay, period_start=DAY).summary["missing_in_channel"]["count"] == 2


def test_a_long_period_runs_as_a_job_of_the_outbox(organization, channel, store, eager_tasks,
                                                   django_capture_on_commit_callbacks):
    from scrm.platform import outbox
    from settlement.reconciliation.services import reconciliation_run_queue

    make_order(store, "J1", "10.00")
    make_statement(channel, lines=[pay("J1", "10.00")])
    with django_capture_on_commit_callbacks(execute=True):
        run = reconciliation_run_queue(channel=channel, period_start=DAY, period_end=next_day())
        assert run.status == "queued"
    outbox.flush()
    run.refresh_from_db()
    assert (run.status, run.job_state, run.summary["matched"]["count"]) == ("done", "done", 1)


@pytest.mark.parametrize("lookup", ["read", "probe"])
def test_a_line_repeating_one_of_an_earlier_statement_day_is_a_duplicate(organization, channel, store, lookup,
                                                                          monkeypatch):
    """The lookback: a payment or refund reported again on a later statement day (up to DUPLICATE_LOOKBACK_DAYS
    before the period) is a duplicate whose reason names the day it was first reported and which occurrence it is;
    repeats within the period count after the earlier days' lines. Older lines and other keys are not looked at.
    The same whether the lookback's lines are read or its keys looked up one by one (a long history)."""
    from datetime import timedelta

    from settlement.reconciliation import matching
    from settlement.reconciliation.matching import DUPLICATE_LOOKBACK_DAYS

    monkeypatch.setattr(matching, "LOOKBACK_PROBE_RATIO", -1 if lookup == "probe" else 10**9)

    make_order(store, "C1", "10.00", paid_at=local(DAY - timedelta(days=3)))
    make_order(store, "C2", "20.00")
    order = make_order(store, "C3", "30.00", paid_at=local(DAY - timedelta(days=2)))
    make_refund(order, "RC3", "30.00", refunded_at=local(DAY, 15))
    make_order(store, "C4", "40.00")
    old_day = DAY - timedelta(days=DUPLICATE_LOOKBACK_DAYS + 1)
    make_statement(channel, day=old_day, lines=[pay("C4", "40.00")])  # beyond the lookback
    # Keyed by the transaction id (no order number) and by the channel's refund id (no refund number).
    by_txn = pay("", "50.00", transaction_id="T9")
    by_refund_id = refund_line("", "C3", "5.00", channel_refund_id="CR7")
    make_statement(channel, day=DAY - timedelta(days=3), lines=[pay("C1", "10.00"), by_txn])
    make_statement(channel, day=DAY - timedelta(days=1), lines=[
        pay("C1", "10.00"), refund_line("RC3", "C3", "30.00", occurred_at=local(DAY - timedelta(days=1), 15)),
        by_refund_id])
    make_statement(channel, lines=[
        pay("C1", "10.00"), pay("C2", "20.00"), pay("C2", "20.00"), pay("C4", "40.00"),
        refund_line("RC3", "C3", "30.00", occurred_at=local(DAY, 15)), by_txn, by_refund_id])
    run = reconciliation_run(channel=channel, period_start=DAY)

    # C1, C2 and T9 payments (+80.00), RC3 and CR7 refunds (-35.00)
    assert run.summary["duplicate"] == {"count": 5, "amount": "45.00"}
    found = discrepancies(organization)
    # C1: reported on DAY-3 and DAY-1 before this period, so its line today is the third; C2 twice today.
    assert {key: (d.reason["occurrence"], d.reason["duplicate_of_statement_day"])
            for key, d in found.items() if d.kind == "duplicate"} == {
        "dup:payment:C1:3": (3, str(DAY - timedelta(days=3))),
        "dup:payment:C2:2": (2, str(DAY)),
        "dup:refund:RC3:2": (2, str(DAY - timedelta(days=1))),
        "dup:payment:txn:T9:2": (2, str(DAY - timedelta(days=3))),
        "dup:refund:rtxn:CR7:2": (2, str(DAY - timedelta(days=1))),
    }
    with tenant_scope(organization):
        today = {(line.kind, line.order_number): line.match.match_class for line in StatementLine.objects
                 .filter(bill_date=DAY).select_related("match").order_by("pk")}
    # C4's earlier line is older than the lookback: today's is its first occurrence, and it matches its order.
    assert today[("payment", "C4")] == "matched"
    assert today[("payment", "C2")] == "duplicate"  # the second of today's two (the first matched)


def test_a_refund_reported_on_another_statement_day_is_not_timing(organization, channel, store):
    """Refunds the ledger made in the period are looked for in the refund lines of every statement day of the
    channel, by the merchant refund number or, for a line without one, by order number and amount."""
    by_number = make_order(store, "S1", "50.00")
    make_refund(by_number, "RS1", "50.00", refunded_at=local(DAY, 18))
    by_amount = make_order(store, "S2", "70.00")
    make_refund(by_amount, "RS2", "70.00", refunded_at=local(DAY, 19))
    unreported = make_order(store, "S3", "90.00")
    make_refund(unreported, "RS3", "90.00", refunded_at=local(DAY, 20))
    make_statement(channel, lines=[pay("S1", "50.00"), pay("S2", "70.00"), pay("S3", "90.00")])
    make_statement(channel, day=next_day(), lines=[
        refund_line("RS1", "S1", "50.00", occurred_at=local(next_day(), 9)),
        refund_line("", "S2", "70.00", occurred_at=local(next_day(), 9)),
        refund_line("RS9", "S3", "90.00", occurred_at=local(next_day(), 9)),  # another refund of S3's
    ])
    run = reconciliation_run(channel=channel, period_start=DAY)
    assert run.figures["timing"] == {"count": 1, "amount": "-90.00"}
    assert {key: d.kind for key, d in discrepancies(organization).items()} == {"refund:RS3": "timing"}


def test_runs_of_one_channel_take_turns_but_queueing_does_not_wait(organization, channel, store):
    """While a run of the channel is under way (its lock held by another session), a run of another period of the
    same channel waits for it, a run of another channel does not, and queueing a period answers at once."""
    import psycopg2
    from django.db import OperationalError, connection

    from scrm.platform.locks import _key
    from settlement.reconciliation.services import reconciliation_run_queue

    alipay = make_channel(organization, code="alipay")
    make_statement(channel, lines=[])
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:  # a run of the channel in another session
            cursor.execute("SELECT pg_advisory_lock(%s)",
                           [_key(("reconciliation-channel", organization.pk, channel.pk))])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '500ms'")
        queued = reconciliation_run_queue(channel=channel, period_start=next_day(), period_end=next_day())
        assert queued.status == "queued"
        assert reconciliation_run(channel=alipay, period_start=DAY).status == "done"
        with pytest.raises(OperationalError, match="lock timeout"):
            reconciliation_run(channel=channel, period_start=DAY)
    finally:
        other.close()
