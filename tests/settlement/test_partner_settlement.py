"""Partner settlement: rules (inheritance, effective dates, refusals), exchange rates, service jobs from tickets,
statement generation, its workflow and locking."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement import partner_errors as msg
from settlement.errors import SettlementError
from settlement.models import (
    ExchangeRate,
    Partner,
    RegionCityTier,
    ServiceItem,
    ServiceJob,
    SettlementAdjustment,
    SettlementRule,
    SettlementStatement,
)
from settlement.partner_services import (
    adjustment_for_next_period,
    exchange_rate_set,
    rule_for,
    service_job_complete,
    service_job_confirm,
    service_price_set,
    statement_adjust,
    statement_approve,
    statement_generate,
    statement_mark_paid,
    statement_review,
)
from tests.settlement.partners import (
    PERIOD,
    monthly_rule,
    oct_,
    paid_order,
    partner_with_store,
    refunded,
    region,
    second_finance,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


@pytest.fixture
def finance2(organization):
    return second_finance(organization)


@pytest.fixture
def east(organization):
    return region(organization, "EAST", "华东")


def generate(partner, period=PERIOD):
    statement, _done = statement_generate(partner=partner, period_start=period[0], period_end=period[1])
    return statement


def lines_of(statement):
    with tenant_scope(statement.organization_id):
        return [(line.kind, line.amount) for line in statement.lines.all()]


# --- Rules ------------------------------------------------------------------------------------------------------------


def test_a_rule_is_inherited_down_the_region_tree_and_a_partner_rule_replaces_it(organization, east):
    js = region(organization, "JS", "江苏", parent=east, level="province")
    nanjing = region(organization, "NJ", "南京", parent=js, level="city")
    default = monthly_rule(organization, name="默认")
    area = monthly_rule(organization, region=east, name="华东", valid_from=date(2026, 3, 1))
    partner, _store = partner_with_store(organization, nanjing)
    with tenant_scope(organization):
        assert rule_for(partner, date(2026, 2, 1)) == default
        assert rule_for(partner, date(2026, 3, 1)) == area
        own = monthly_rule(organization, partner=partner, name="特约", valid_from=date(2026, 6, 1))
        assert rule_for(partner, date(2026, 5, 31)) == area
        assert rule_for(partner, date(2026, 6, 1)) == own


def test_a_rule_starting_the_same_day_in_the_same_scope_is_refused(organization, east):
    monthly_rule(organization, region=east)
    with pytest.raises(SettlementError) as refused:
        monthly_rule(organization, region=east, name="又一条")
    assert str(refused.value) == str(msg.MSG_RULE_OVERLAP % {"date": date(2026, 1, 1)})
    with tenant_scope(organization):
        assert SettlementRule.objects.count() == 1


@pytest.mark.parametrize(("tiers", "message"), [
    ([{"from": "0", "to": "100", "rate": "0.01"}, {"from": "150", "to": None, "rate": "0.02"}], "gap"),
    ([{"from": "0", "to": "100", "rate": "0.01"}, {"from": "80", "to": None, "rate": "0.02"}], "overlap"),
    ([{"from": "10", "to": None, "rate": "0.01"}], "first"),
    ([{"from": "0", "to": None, "rate": "0.01"}, {"from": "100", "to": None, "rate": "0.02"}], "open"),
    ([{"from": "0", "to": None, "rate": "2"}], "rate"),
])
def test_rebate_tiers_with_gaps_or_overlaps_are_refused(organization, east, tiers, message):
    expected = {"gap": msg.MSG_TIER_GAP % {"n": 1, "to": Decimal("100"), "from": Decimal("150")},
                "overlap": msg.MSG_TIER_OVERLAP % {"n": 1, "to": Decimal("100"), "from": Decimal("80")},
                "first": msg.MSG_TIER_FIRST_NOT_ZERO,
                "open": msg.MSG_TIER_OPEN_NOT_LAST % {"n": 1},
                "rate": msg.MSG_TIER_RATE % {"n": 1, "value": Decimal("2")}}[message]
    with pytest.raises(SettlementError) as refused:
        monthly_rule(organization, region=east, rebate_tiers=tiers)
    assert str(refused.value) == str(expected)
    with tenant_scope(organization):
        assert not SettlementRule.objects.exists()


def test_a_rule_never_reaches_into_an_approved_period(organization, east, finance, finance2):
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east)
    paid_order(organization, store, "A1", "100.00", paid_at=oct_(3))
    statement = generate(partner)
    statement_review(statement=statement, actor=finance)
    statement_approve(statement=statement, actor=finance2)
    with pytest.raises(SettlementError) as refused:
        monthly_rule(organization, region=east, valid_from=date(2026, 10, 15), commission_rate=Decimal("0.5"))
    assert "2026-10-31" in str(refused.value)
    later = monthly_rule(organization, region=east, valid_from=date(2026, 11, 1), commission_rate=Decimal("0.5"))
    with tenant_scope(organization):
        assert SettlementRule.objects.count() == 2 and later.pk
        statement.refresh_from_db()
    assert statement.status == "approved"


# --- Statements -------------------------------------------------------------------------------------------------------


def test_a_statement_settles_the_reconciled_orders_refunds_fees_commission_rebates_and_tax(organization, east):
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east)
    first = paid_order(organization, store, "A1", "1500.00", paid_at=oct_(3), fee="9.00")
    paid_order(organization, store, "A2", "500.00", paid_at=oct_(20), fee="3.00")
    paid_order(organization, store, "A3", "999.00", paid_at=oct_(21), reconciled=False)  # not settled yet
    paid_order(organization, store, "A4", "999.00", paid_at=oct_(22), match_class="amount_mismatch")
    paid_order(organization, store, "B1", "700.00", paid_at=datetime(2026, 9, 30, 16, 0, tzinfo=UTC))  # 10-01 00:00 SH
    refunded(organization, first, "200.00", at=oct_(5))
    statement = generate(partner)
    assert lines_of(statement) == [
        ("sales", Decimal("2700.00")), ("refunds", Decimal("-200.00")), ("channel_fees", Decimal("-12.00")),
        ("commission", Decimal("-125.00")), ("rebates", Decimal("30.00")),
    ]
    assert statement.order_count == 3
    assert statement.payable == Decimal("2393.00")
    assert statement.tax_included == Decimal("135.45")  # 2393 × 6/106, half up
    assert statement.status == "draft"


def test_regenerating_a_draft_is_idempotent_and_an_approved_statement_never_changes(organization, east, finance,
                                                                                   finance2):
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east)
    paid_order(organization, store, "A1", "100.00", paid_at=oct_(3))
    statement = generate(partner)
    again = generate(partner)
    assert again.pk == statement.pk and lines_of(again) == lines_of(statement)
    statement_review(statement=statement, actor=finance)
    statement_approve(statement=statement, actor=finance2)
    paid_order(organization, store, "A2", "900.00", paid_at=oct_(4))
    after, done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    assert not done and after.payable == statement.payable == Decimal("95.00")
    with pytest.raises(SettlementError) as refused:
        statement_adjust(statement=statement, actor=finance, amount="10", reason="补差")
    assert str(refused.value) == str(msg.MSG_STATEMENT_LOCKED % {
        "partner": statement.partner, "start": PERIOD[0], "end": PERIOD[1], "status": "已审批"})
    with tenant_scope(organization):
        assert not SettlementAdjustment.objects.exists()


def test_a_correction_of_an_approved_statement_goes_into_the_next_period(organization, east, finance, finance2):
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east)
    paid_order(organization, store, "A1", "100.00", paid_at=oct_(3))
    october = generate(partner)
    statement_review(statement=october, actor=finance)
    statement_approve(statement=october, actor=finance2)
    adjustment_for_next_period(statement=october, actor=finance, amount="-20.50", reason="10月运费多结")
    november = generate(partner, (date(2026, 11, 1), date(2026, 11, 30)))
    assert lines_of(november) == [("adjustments", Decimal("-20.50"))]
    with tenant_scope(organization):
        assert november.lines.get().description == "10月运费多结"
        october.refresh_from_db()
    assert october.payable == Decimal("95.00")


def test_an_adjustment_on_a_draft_goes_in_with_its_reason(organization, east, finance):
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east)
    paid_order(organization, store, "A1", "100.00", paid_at=oct_(3))
    statement = generate(partner)
    with pytest.raises(SettlementError):
        statement_adjust(statement=statement, actor=finance, amount="5", reason=" ")
    statement_adjust(statement=statement, actor=finance, amount="5", reason="促销补贴")
    statement = generate(partner)
    assert ("adjustments", Decimal("5.00")) in lines_of(statement)
    assert statement.payable == Decimal("100.00")


def test_the_workflow_is_draft_reviewed_approved_paid_and_refuses_skipping(organization, east, finance, finance2):
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east)
    paid_order(organization, store, "A1", "100.00", paid_at=oct_(3))
    statement = generate(partner)
    with pytest.raises(SettlementError):
        statement_approve(statement=statement, actor=finance2)
    with pytest.raises(SettlementError):
        statement_mark_paid(statement=statement, actor=finance, reference="B1")
    statement_review(statement=statement, actor=finance)
    statement_approve(statement=statement, actor=finance2)
    with pytest.raises(SettlementError) as refused:
        statement_mark_paid(statement=statement, actor=finance, reference="")
    assert str(refused.value) == str(msg.MSG_PAYMENT_REFERENCE)
    statement = statement_mark_paid(statement=statement, actor=finance, reference="CMB20261105001")
    assert statement.status == "paid" and statement.payment_reference == "CMB20261105001"
    with tenant_scope(organization):
        assert [e.action for e in statement.events.all()] == ["generated", "reviewed", "approved", "paid"]


def test_approving_an_unbalanced_statement_is_refused(organization, east, finance, finance2):
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east)
    paid_order(organization, store, "A1", "100.00", paid_at=oct_(3))
    statement = statement_review(statement=generate(partner), actor=finance)
    with tenant_scope(organization):
        SettlementStatement.objects.filter(pk=statement.pk).update(payable=Decimal("999.00"))
    with pytest.raises(SettlementError) as refused:
        statement_approve(statement=statement, actor=finance2)
    assert str(refused.value) == str(msg.MSG_STATEMENT_UNBALANCED)
    with tenant_scope(organization):
        assert SettlementStatement.objects.get().status == "reviewed"


def test_foreign_currency_orders_are_converted_at_each_order_days_rate_both_amounts_kept(organization, east):
    hk = region(organization, "HK", "香港")
    monthly_rule(organization, region=hk, currency="CNY", commission_rate=0, rebate_tiers=[], tax_rate=0)
    partner, store = partner_with_store(organization, hk, code="HK1", name="香港门店")
    paid_order(organization, store, "H1", "100.00", paid_at=oct_(5), currency="HKD")
    paid_order(organization, store, "H2", "100.00", paid_at=oct_(6), currency="HKD")
    exchange_rate_set(organization=organization, day=date(2026, 9, 20), base="HKD", quote="CNY", rate="0.9")
    with pytest.raises(SettlementError) as refused:
        generate(partner)  # the 20 September rate is too old for 5 October
    assert str(refused.value) == str(msg.MSG_RATE_MISSING % {
        "base": "HKD", "quote": "CNY", "date": date(2026, 10, 5), "days": 7})
    with tenant_scope(organization):
        assert not SettlementStatement.objects.exists()
    exchange_rate_set(organization=organization, day=date(2026, 10, 5), base="HKD", quote="CNY", rate="0.91234")
    exchange_rate_set(organization=organization, day=date(2026, 10, 6), base="HKD", quote="CNY", rate="0.91345")
    statement = generate(partner)
    with tenant_scope(organization):
        line = statement.lines.get()
    assert (line.source_currency, line.source_amount, line.amount) == ("HKD", Decimal("200.00"), Decimal("182.58"))
    assert line.rate is None  # two days, two rates


def test_a_resolved_installation_ticket_becomes_a_service_job_that_settles_once_confirmed(
        organization, east, finance, make_user):
    from tests.tickets.factories import TicketFactory, TicketTypeFactory
    from tickets.services import ticket_change_status

    monthly_rule(organization, region=east, commission_rate=0, rebate_tiers=[], tax_rate=0)
    installer, _store = partner_with_store(organization, east, code="I1", name="安装服务商", kind="installer")
    nanjing = region(organization, "NJ", "南京", parent=east, level="city")
    with tenant_scope(organization):
        RegionCityTier.objects.create(organization=organization, region=nanjing, tier=2)
        item = ServiceItem.objects.create(organization=organization, code="ac-install", name="空调安装",
                                          kind="installation")
    service_price_set(organization=organization, item=item, tier=2, region=east, price="200", material_cost="30",
                      technician_payout="90")
    service_price_set(organization=organization, item=item, tier=2, price="150", material_cost="30",
                      technician_payout="80")
    agent = make_user(organization, Role.AGENT, username="agent-acme")
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, status="open", region=nanjing, assignee=agent,
                               type=TicketTypeFactory(organization=organization, code="install", name="安装"))
        other = TicketFactory(organization=organization, status="open",
                              type=TicketTypeFactory(organization=organization, code="consult", name="咨询"))
    ticket_change_status(ticket=ticket, status="resolved", actor=agent)
    ticket_change_status(ticket=other, status="resolved", actor=agent)
    with tenant_scope(organization):
        job = ServiceJob.objects.get()
    assert (job.ticket_id, job.tier, job.status, job.region_id) == (ticket.pk, 2, "open", nanjing.pk)
    job = service_job_complete(job=job, partner=installer, items=[(item, 2)], technician="王师傅",
                               completed_at=oct_(8))
    assert (job.price_total, job.material_total, job.payout_total) == (Decimal("400.00"), Decimal("60.00"),
                                                                       Decimal("180.00"))
    assert lines_of(generate(installer)) == []  # not confirmed by the customer yet
    service_job_confirm(job=job)
    assert lines_of(generate(installer)) == [
        ("service_income", Decimal("400.00")), ("materials", Decimal("-60.00")),
        ("technician_payouts", Decimal("-180.00"))]


def test_bank_details_are_encrypted_at_rest(organization, east):
    partner, _store = partner_with_store(organization, east, bank_account="6225 8812 3456 7890")
    with tenant_scope(organization):
        stored = Partner.objects.values_list("bank_account_encrypted", flat=True).get()
        partner.refresh_from_db()
    assert "7890" not in stored and "6225" not in stored
    assert partner.bank_account == "6225881234567890"
    assert partner.bank_account_masked == "**** **** 7890"
    assert "6225" not in repr(partner)


def test_an_exchange_rate_must_be_positive_between_two_currencies(organization):
    with pytest.raises(SettlementError):
        exchange_rate_set(organization=organization, day=date(2026, 10, 1), base="HKD", quote="HKD", rate="1")
    with pytest.raises(SettlementError):
        exchange_rate_set(organization=organization, day=date(2026, 10, 1), base="HKD", quote="CNY", rate="-1")
    with tenant_scope(organization):
        assert not ExchangeRate.objects.exists()


def test_beat_starts_one_run_per_ended_period_and_the_job_generates_each_partners_statement(organization, east):
    from scrm.platform import outbox
    from settlement.models import SettlementRun
    from settlement.partner_services import RUN_KIND, settlement_cycles_start

    monthly_rule(organization, region=east)
    hk = region(organization, "HK", "香港")
    monthly_rule(organization, region=hk, currency="HKD", commission_rate=0, rebate_tiers=[])
    partner, store = partner_with_store(organization, east)
    hk_partner, hk_store = partner_with_store(organization, hk, code="HK1", name="香港门店")
    paid_order(organization, store, "A1", "100.00", paid_at=oct_(3))
    paid_order(organization, hk_store, "H1", "100.00", paid_at=oct_(3), currency="CNY")  # no CNY→HKD rate
    runs = settlement_cycles_start(organization=organization, today=date(2026, 11, 1))
    assert sorted((r.cycle, str(r.period_start)) for r in runs) == [("monthly", "2026-10-01"),
                                                                    ("per_order", "2026-10-31")]
    assert settlement_cycles_start(organization=organization, today=date(2026, 11, 1)) == []  # once per period
    monthly = next(r for r in runs if r.cycle == "monthly")
    outbox.run(RUN_KIND, [monthly.pk])
    with tenant_scope(organization):
        monthly = SettlementRun.objects.get(pk=monthly.pk)
        assert (monthly.status, monthly.job_state, monthly.generated) == ("done", "done", 1)
        assert monthly.problems == [{"partner": "HK1", "code": "rate_missing", "params": {
            "base": "CNY", "quote": "HKD", "date": "2026-10-03", "days": "7"}}]
        assert list(SettlementStatement.objects.values_list("partner__code", "payable")) == [("P1", Decimal("95.00"))]
