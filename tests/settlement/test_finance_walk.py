"""What a finance team settling with regional partners ran into on its side: exports that showed money short of the
fen, pages that failed on a hand-edited link, charts and tables with no empty state. Each test names what was seen."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from scrm.models import Role, SettingsChange
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import (
    Discrepancy,
    DiscrepancyAction,
    ExchangeRate,
    ServiceJob,
    SettlementRun,
    SettlementStatement,
)
from settlement.partner_services import (
    service_item_save,
    service_price_set,
    statement_approve,
    statement_generate,
    statement_review,
)
from settlement.partner_views import MSG_PARTNER_NOT_FOUND
from settlement.reconciliation.services import reconciliation_run
from settlement.xlsx_cells import MONEY_FORMAT
from tests.scrm.factories import OrganizationFactory
from tests.settlement import recon
from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store, region, second_finance

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-walk")


@pytest.fixture
def finance2(organization):
    return second_finance(organization)


@pytest.fixture
def statement(organization):
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east, name="杭州安装服务有限公司", code="HZ1")
    paid_order(organization, store, "A1", "1500.00", paid_at=oct_(3), fee="9.00")
    paid_order(organization, store, "A2", "264.60", paid_at=oct_(4), fee="0.00")
    statement, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    return statement


def _fen(cell):
    """A number cell's value as a Decimal to the fen (openpyxl reads numbers back as floats)."""
    assert isinstance(cell.value, int | float), cell.value  # a number, not text
    return Decimal(str(cell.value)).quantize(Decimal("0.01"))


def _rows(content, sheet=None):
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in (book[sheet] if sheet else book.active).iter_rows()]


def test_the_statement_workbook_shows_every_amount_to_the_fen_as_the_page_does(client, finance, statement):
    """The page read 1764.60 and 1500.00; the workbook's cells had Excel's General format and read 1764.6 and 1500."""
    client.force_login(finance)
    rows = _rows(client.get(f"/settlement/settlements/{statement.pk}/export.xlsx").content)
    sales = next(row for row in rows if str(row[0].value).startswith("销售（"))
    assert _fen(sales[5]) == Decimal("1764.60") and sales[5].number_format == MONEY_FORMAT
    assert sales[3].number_format == MONEY_FORMAT
    payable = next(row for row in rows if row[0].value == "应付金额")[5]
    assert Decimal(str(payable.value)) == statement.payable and payable.number_format == MONEY_FORMAT
    # The lines add up to the payable, to the fen.
    header = next(i for i, row in enumerate(rows) if row[0].value == "项目")
    first_total = next(i for i, row in enumerate(rows) if row[0].value == "销售额")
    lines = [Decimal(str(row[5].value)) for row in rows[header + 1:first_total - 1] if row[5].value is not None]
    assert sum(lines) == statement.payable
    # The period summary too.
    summary = _rows(client.get("/settlement/settlements/summary.xlsx").content)
    assert all(cell.number_format == MONEY_FORMAT for cell in summary[1][7:])
    assert Decimal(str(summary[1][-1].value)) == statement.payable


def test_the_reconciliation_workbook_writes_fees_and_amounts_as_numbers_to_the_fen(client, finance, organization):
    """The day's workbook wrote the fees charged and expected as text ("0.06" in a text cell no SUM adds) and the
    amounts in General format (9.5 for 9.50)."""
    channel = recon.make_channel(organization)
    store = recon.make_store(organization, channel)
    recon.make_order(store, "W1", "10.00")
    recon.make_statement(channel, lines=[recon.pay("W1", "9.50", fee="0.06")])
    reconciliation_run(channel=channel, period_start=recon.DAY)
    client.force_login(finance)
    content = client.get(f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={recon.DAY}").content
    summary = {row[0].value: row[2] for row in _rows(content, "统计") if row[0].value}
    assert _fen(summary["实收手续费"]) == Decimal("0.06") and summary["实收手续费"].number_format == MONEY_FORMAT
    assert _fen(summary["对账单合计"]) == Decimal("9.50") and summary["对账单合计"].number_format == MONEY_FORMAT
    [_header, line] = _rows(content, "明细")
    assert [(_fen(cell), cell.number_format) for cell in line[5:8]] == [
        (Decimal("9.50"), MONEY_FORMAT), (Decimal("0.06"), MONEY_FORMAT), (Decimal("9.44"), MONEY_FORMAT)]


@pytest.mark.parametrize("chosen", ["abc", "99999999", "other-org"])
def test_generating_for_a_partner_not_found_generates_nothing(client, finance, organization, make_user, chosen):
    """Generating one partner's statement with a partner that is not there answered 500 ("abc"), and a number that
    matched no partner of the organization (another organization's, or one removed since the page was shown) queued
    the run of every partner of the cycle instead."""
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner_with_store(organization, east, code="HZ1")
    if chosen == "other-org":
        with platform_scope():
            other = OrganizationFactory(slug="other-walk", name="别家")
        theirs, _store = partner_with_store(other, region(other, "EAST", "华东"), code="X1")
        chosen = str(theirs.pk)
    client.force_login(finance)
    response = client.post("/settlement/settlements/generate/",
                           {"day": "2026-10-15", "cycle": "monthly", "partner": chosen}, follow=True)
    assert response.redirect_chain == [("/settlement/settlements/", 302)]
    assert [str(m) for m in response.context["messages"]] == [str(MSG_PARTNER_NOT_FOUND)]
    assert "找不到所选的合作方" in response.content.decode()
    with tenant_scope(organization):
        assert not SettlementStatement.objects.exists() and not SettlementRun.objects.exists()


def test_the_dashboard_of_an_organization_with_nothing_paid_says_so(client, finance):
    """A new organization's finance dashboard drew two empty chart frames and two tables with only their headings
    (revenue by region, by sales channel): no word that nothing was paid yet."""
    client.force_login(finance)
    html = client.get("/settlement/dashboard/").content.decode()
    assert 'id="finance-months"' not in html and 'id="finance-services"' not in html
    assert "这几个月还没有已支付的订单：有订单支付后即显示图表。" in html.split('data-testid="months-chart-empty"')[1]
    assert "这几个月还没有完成的服务工单" in html.split('data-testid="services-chart-empty"')[1]
    for table in ("regions", "channels"):
        body = html.split(f'data-testid="{table}"')[1].split("</table>")[0]
        assert "还没有已支付的订单。" in body, table


def test_the_dashboard_with_paid_orders_draws_its_chart(client, finance, statement):
    client.force_login(finance)
    html = client.get("/settlement/dashboard/").content.decode()
    assert 'id="finance-months"' in html and 'data-testid="months-chart-empty"' not in html


def test_a_service_price_change_is_named_in_the_audit_trail(client, finance, organization, ops_admin):
    """The configuration changes page named a service price "ServicePrice object (16)", in English, whatever was
    changed."""
    with tenant_scope(organization):
        item = service_item_save(organization=organization, code="ac-install", name="空调安装", kind="installation")
    east = region(organization, "EAST", "华东")
    service_price_set(organization=organization, item=item, region=east, tier=1, price="180", actor=ops_admin)
    client.force_login(ops_admin)
    html = client.get("/settlement/configuration-changes/").content.decode()
    assert "空调安装 · 华东 · 一线城市" in html
    assert "object (" not in html
    # A row recorded with Django's placeholder name (before this) reads as its kind and number.
    with tenant_scope(organization):
        SettingsChange.objects.filter(subject="settlement.serviceprice").update(subject_name="ServicePrice object (7)")
        price_id = SettingsChange.objects.get(subject="settlement.serviceprice").subject_id
    html = client.get("/settlement/configuration-changes/").content.decode()
    assert "object (" not in html and f"服务价格 #{price_id}" in html


@pytest.mark.parametrize("value", ["2026-13-45", "2026-02-30"])
def test_a_report_link_with_a_day_that_is_no_date_shows_yesterday_saying_why(client, finance, organization, value):
    """`?day=2026-13-45` on the reconciliation report and on its Excel answered 500."""
    channel = recon.make_channel(organization)
    client.force_login(finance)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.get(f"/settlement/reconciliation/report/?channel={channel.pk}&day={value}")
    assert response.status_code == 200 and response.context["day"] == yesterday
    assert [str(m) for m in response.context["messages"]] == [
        f"“{value}”不是有效日期（YYYY-MM-DD）：改为显示 {yesterday:%Y-%m-%d}。"]
    response = client.get(f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={value}", follow=True)
    assert response.redirect_chain == [
        (f"/settlement/reconciliation/report/?channel={channel.pk}&day={yesterday}", 302)]
    assert f"“{value}”不是有效日期" in response.content.decode()


def test_every_service_job_is_reachable_past_the_first_fifty(client, finance, organization,
                                                             django_assert_max_num_queries):
    """The service jobs page showed the newest 50 jobs and no way on: the 51st job to confirm could not be reached.
    And it read the partners once a row (59 queries for 50 jobs)."""
    with tenant_scope(organization):
        ServiceJob.objects.bulk_create([ServiceJob(organization=organization, number=f"SJ{n:03d}", kind="repair",
                                                   status="completed") for n in range(51)])
        oldest = ServiceJob.objects.order_by("created_at", "pk").first()
    client.force_login(finance)
    with django_assert_max_num_queries(20):
        first = client.get("/settlement/service-jobs/?status=completed").content.decode()
    assert first.count('action="/settlement/service-jobs/') == 2 * 50 and oldest.number not in first
    assert "第 1 / 2 页" in first
    assert 'href="?status=completed&amp;page=2"' in first
    second = client.get("/settlement/service-jobs/?status=completed&page=2").content.decode()
    assert f"<td>{oldest.number}</td>" in second
    assert f'action="/settlement/service-jobs/{oldest.pk}/confirm/"' in second
    # A page number that is no page shows the first or the last, never an error.
    assert client.get("/settlement/service-jobs/?page=abc").status_code == 200
    assert f"<td>{oldest.number}</td>" in client.get("/settlement/service-jobs/?page=99").content.decode()


@pytest.mark.parametrize("age", ["99999999", "-5"])
def test_an_age_filter_past_the_calendar_is_refused_on_the_form(client, finance, organization, age):
    """`?age_min=99999999` on the discrepancy workbench answered 500 (the cut-off date overflowed)."""
    channel = recon.make_channel(organization)
    store = recon.make_store(organization, channel)
    recon.make_order(store, "W1", "10.00")
    recon.make_statement(channel, lines=[recon.pay("W1", "9.50")])
    reconciliation_run(channel=channel, period_start=recon.DAY)
    client.force_login(finance)
    response = client.get(f"/settlement/discrepancies/?age_min={age}")
    assert response.status_code == 200
    assert ("确保该值小于或等于3650。" if age != "-5" else "确保该值大于或等于0。") in response.content.decode()
    # The other filters still apply: the open discrepancy is listed.
    assert [row.record.key for row in response.context["table"].page.object_list] == ["order:W1"]


def test_a_statement_carried_into_a_later_one_cannot_be_marked_paid_on_its_own(client, finance, finance2, organization):
    """September's statement, below the partner's minimum payout, was carried into October's (which pays it), yet
    'Mark paid' on September's page recorded it paid as well: the partner would be paid twice."""
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east, minimum_payout=Decimal("100"))
    partner, store = partner_with_store(organization, east, code="HZ1")
    paid_order(organization, store, "S1", "80.00", paid_at=datetime(2026, 9, 10, 4, 0, tzinfo=UTC))
    paid_order(organization, store, "O1", "600.00", paid_at=oct_(11))
    september, _done = statement_generate(partner=partner, period_start=date(2026, 9, 1),
                                          period_end=date(2026, 9, 30))
    assert september.below_minimum
    statement_review(statement=september, actor=finance)
    statement_approve(statement=september, actor=finance2)
    october, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    client.force_login(finance)
    # The page no longer offers "Mark paid" only to refuse it after the click: it says which statement pays it.
    page = client.get(f"/settlement/settlements/{september.pk}/").content.decode()
    actions = page.split('data-testid="statement-actions"')[1].split("</div></div>")[0]
    assert 'data-testid="mark-paid"' not in actions and "确认付款" not in actions and 'name="reference"' not in actions
    carried = page.split('data-testid="statement-carried"')[1].split("</p>")[0]
    assert "已结转至 2026-10-01 – 2026-10-31 的结算单" in carried
    assert f'href="/settlement/settlements/{october.pk}/"' in carried and "打开该结算单" in carried
    october_page = client.get(f"/settlement/settlements/{october.pk}/").content.decode()
    assert 'data-testid="statement-carried"' not in october_page
    response = client.post(f"/settlement/settlements/{september.pk}/pay/", {"reference": "CMB-9"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "该结算单低于最低付款额，已结转至 2026-10-01 – 2026-10-31 的结算单：随该结算单一并支付，不单独支付。"]
    with tenant_scope(organization):
        september = SettlementStatement.objects.get(pk=september.pk)
        assert (september.status, september.payment_reference, september.carried_into_id) == (
            "approved", "", october.pk)
        assert not september.events.filter(action="paid").exists()


def test_every_exchange_rate_is_reachable_past_the_newest_sixty(client, finance, organization):
    """The exchange rates page listed the newest 60 rates and no more: the rate an older statement converted at could
    no longer be checked on the page."""
    first = date(2026, 1, 1)
    with tenant_scope(organization):
        ExchangeRate.objects.bulk_create([
            ExchangeRate(organization=organization, date=first + timedelta(days=n), base="HKD", quote="CNY",
                         rate=Decimal("0.91") + Decimal(n) / 10000) for n in range(61)])
    client.force_login(finance)
    html = client.get("/settlement/exchange-rates/").content.decode()
    assert "2026-03-02" in html and "<td>2026-01-01</td>" not in html and "第 1 / 2 页" in html
    html = client.get("/settlement/exchange-rates/?page=2").content.decode()
    assert "<td>2026-01-01</td>" in html and "0.91000000" in html


def test_writing_off_a_large_fee_overcharge_needs_a_second_approver(client, finance, organization, make_user):
    """The channel charged a fee of 500.00 on a 1000.00 payment (6.00 expected). The amounts agree, so writing the
    fee mismatch off counted 0.00 against the channel's write-off limit of 100.00: one person accepted 494.00 lost,
    with no second approver."""
    channel = recon.make_channel(organization)
    store = recon.make_store(organization, channel)
    recon.make_order(store, "F1", "1000.00")
    recon.make_statement(channel, lines=[recon.pay("F1", "1000.00", fee="500.00")])
    reconciliation_run(channel=channel, period_start=recon.DAY)
    with tenant_scope(organization):
        mismatch = Discrepancy.objects.get(key="order:F1")
    assert mismatch.kind == "fee_mismatch"
    client.force_login(finance)
    client.post(f"/settlement/discrepancies/{mismatch.pk}/write-off/", {"note": "渠道多收"})
    with tenant_scope(organization):
        mismatch = Discrepancy.objects.get(pk=mismatch.pk)
        assert mismatch.status == "write_off_requested" and mismatch.resolved_by_id is None
        [request] = DiscrepancyAction.objects.filter(discrepancy=mismatch).values_list("action", "amount")
        assert request == ("write_off_request", Decimal("494.00"))
    # The same person may not approve it; a second one may.
    client.post(f"/settlement/discrepancies/{mismatch.pk}/approve/")
    with tenant_scope(organization):
        assert Discrepancy.objects.get(pk=mismatch.pk).status == "write_off_requested"
    client.force_login(make_user(organization, Role.FINANCE, username="finance-second"))
    client.post(f"/settlement/discrepancies/{mismatch.pk}/approve/")
    with tenant_scope(organization):
        assert Discrepancy.objects.get(pk=mismatch.pk).status == "written_off"


@pytest.mark.parametrize("export", ["bank-payments.csv", "summary.xlsx"])
def test_an_export_with_a_filter_that_does_not_hold_exports_nothing(client, finance, finance2, statement, export):
    """The bank payment file (and the period summary) of a filter with a date that is no date dropped the filter
    without a word: the file held every approved statement, whatever period finance meant."""
    statement_review(statement=statement, actor=finance)
    statement_approve(statement=statement, actor=finance2)
    client.force_login(finance)
    response = client.get(f"/settlement/settlements/{export}?period_after=2026-13-01", follow=True)
    assert response.redirect_chain == [("/settlement/settlements/?period_after=2026-13-01", 302)]
    assert response["Content-Type"].startswith("text/html")
    assert [str(m) for m in response.context["messages"]] == [
        "筛选条件无效，未导出任何内容：请先在列表中修正筛选条件。"]
    assert "输入一个有效的日期。" in response.content.decode().split('data-testid="statement-filters"')[1]
    # The same filter, valid, exports.
    response = client.get(f"/settlement/settlements/{export}?period_after=2026-10-01")
    assert response.status_code == 200 and not response["Content-Type"].startswith("text/html")
