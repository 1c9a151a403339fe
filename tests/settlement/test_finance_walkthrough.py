"""What a finance team saw walking the settlement pages, each pinned by the page as they read it: statuses named as
statuses (not as a time), statement lines in the reader's language, an adjustment typed wrong kept and explained."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import (
    Discrepancy,
    OrderReport,
    SettlementAdjustment,
    SettlementStatement,
    StatementImport,
    Store,
)
from settlement.money_text import money_text
from settlement.partner_forms import MSG_ADJUSTMENT_AMOUNT
from settlement.partner_services import statement_approve, statement_generate, statement_mark_paid, statement_review
from settlement.reconciliation.services import reconciliation_run
from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store, region, second_finance
from tests.settlement.recon import (
    DAY,
    make_channel,
    make_order,
    make_refund,
    make_statement,
    make_store,
    pay,
    refund_line,
)

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
    partner, store = partner_with_store(organization, east, code="P1")
    paid_order(organization, store, "A1", "1500.00", paid_at=oct_(3), fee="9.00")
    statement, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    return statement


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_a_paid_statement_reads_paid_not_payment_time_in_chinese(client, finance, finance2, statement):
    statement_review(statement=statement, actor=finance)
    statement_approve(statement=statement, actor=finance2)
    statement_mark_paid(statement=statement, actor=finance, reference="CMB001")
    client.force_login(finance)

    listing = client.get("/settlement/settlements/").content.decode()
    detail = client.get(f"/settlement/settlements/{statement.pk}/").content.decode()

    assert "已付款" in listing and "付款时间" not in listing
    assert 'data-testid="statement-status">已付款<' in detail


def test_the_order_page_still_labels_its_timestamps_as_times(client, finance, statement):
    with tenant_scope(statement.organization_id):
        order_pk = statement.partner.stores.get().orders.get().pk
    client.force_login(finance)

    page = client.get(f"/settlement/orders/{order_pk}/").content.decode()

    assert "付款时间" in page and "完成时间" in page


def test_statement_lines_are_named_in_the_readers_language_whoever_generated_them(client, finance, statement):
    client.force_login(finance)

    chinese = client.get(f"/settlement/settlements/{statement.pk}/").content.decode()
    _english(client)
    english = client.get(f"/settlement/settlements/{statement.pk}/").content.decode()

    assert "销售（CNY）" in chinese and "销售 (CNY)" not in chinese
    assert "Sales (CNY)" in english and "销售" not in english


def test_the_statement_names_its_partner_with_full_width_parentheses_in_chinese(client, finance, statement):
    """The Chinese page read '北京星河加盟店 (加盟店)', ASCII parentheses amid Chinese; English keeps its own."""
    with tenant_scope(statement.organization_id):
        partner = statement.partner
        name, kind = partner.name, partner.get_kind_display()
    client.force_login(finance)

    chinese = client.get(f"/settlement/settlements/{statement.pk}/").content.decode()
    _english(client)
    english = client.get(f"/settlement/settlements/{statement.pk}/").content.decode()

    assert f'data-testid="statement-partner">{escape(name)}（{escape(kind)}）<' in chinese
    with translation.override("en"):
        kind_en = partner.get_kind_display()
    assert f'data-testid="statement-partner">{escape(name)} ({escape(str(kind_en))})<' in english


def test_the_statement_workbook_names_lines_in_the_readers_language_too(client, finance, statement):
    client.force_login(finance)
    _english(client)

    response = client.get(f"/settlement/settlements/{statement.pk}/export.xlsx")

    cells = [cell for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
             for cell in row if isinstance(cell, str)]
    assert "Sales (CNY)" in cells and not any(cell.startswith("销售") for cell in cells)


def test_an_adjustment_typed_wrong_is_explained_and_kept_on_the_page(client, finance, statement):
    client.force_login(finance)

    response = client.post(f"/settlement/settlements/{statement.pk}/adjust/",
                           {"amount": "12abc", "reason": "运费补差"})

    page = response.content.decode()
    assert response.status_code == 400
    assert str(MSG_ADJUSTMENT_AMOUNT) in page
    assert 'value="12abc"' in page and 'value="运费补差"' in page
    with tenant_scope(statement.organization_id):
        assert SettlementAdjustment.objects.count() == 0
        assert SettlementStatement.objects.get().payable == statement.payable


def test_a_good_adjustment_still_changes_the_draft(client, finance, statement):
    client.force_login(finance)

    response = client.post(f"/settlement/settlements/{statement.pk}/adjust/",
                           {"amount": "-35.50", "reason": "运费补差"})

    assert response.status_code == 302
    with tenant_scope(statement.organization_id):
        assert SettlementStatement.objects.get().payable == statement.payable - Decimal("35.50")


# --- The discrepancy workbench and the day's report -------------------------------------------------------------------


@pytest.fixture
def fee_day(organization):
    """A day whose one payment was charged a fee with a fraction of a fen (as channels report them)."""
    channel = make_channel(organization)
    store = make_store(organization, channel)
    make_order(store, "W1", "1249.00")
    make_statement(channel, lines=[pay("W1", "1199.00", fee="7.194")])
    reconciliation_run(channel=channel, period_start=DAY)
    with tenant_scope(organization):
        return Discrepancy.objects.get(key="order:W1")


def test_a_discrepancy_says_why_in_chinese_with_its_sums_to_the_fen_and_fees_as_charged(client, finance, fee_day):
    client.force_login(finance)

    response = client.get(f"/settlement/discrepancies/{fee_day.pk}/")

    page = response.content.decode()
    why = page.split('data-testid="reason"', 1)[1].split("</div>", 1)[0]
    assert "匹配依据" in why and "订单号" in why and "对账单金额" in why and "台账金额" in why
    assert ">1,199.00<" in why and ">1,249.00<" in why and ">-50.00<" in why
    assert "statement_amount:" not in why and "<code>" not in why
    # The fee as charged (a fraction of a fen: "7.19" beside a fee mismatch would hide it), without the bill's
    # trailing zeros; the expected fee to the fen.
    assert 'data-testid="statement-fee">7.194<' in page and 'data-testid="expected-fee">7.19<' in page
    assert "7.19400" not in page.replace('title="fee=7.19400', "")


def test_a_discrepancy_says_why_in_english_when_english_is_chosen(client, finance, fee_day):
    client.force_login(finance)
    _english(client)

    page = client.get(f"/settlement/discrepancies/{fee_day.pk}/").content.decode()

    why = page.split('data-testid="reason"', 1)[1].split("</div>", 1)[0]
    assert "Matched on" in why and "order number" in why and "Amount in the ledger" in why
    assert re.search(r"[\u4e00-\u9fff]", why) is None


def test_a_resolved_discrepancy_names_its_resolution_in_its_history(client, finance, fee_day):
    client.force_login(finance)
    client.post(f"/settlement/discrepancies/{fee_day.pk}/resolve/", {"code": "ledger_corrected", "note": "已改"})

    page = client.get(f"/settlement/discrepancies/{fee_day.pk}/").content.decode()

    history = page.split('data-testid="actions"', 1)[1].split("</ul>", 1)[0]
    assert "台账已更正" in history and "ledger_corrected" not in history


def test_the_days_report_shows_fees_as_charged_and_open_sums_to_the_fen(client, finance, fee_day):
    client.force_login(finance)

    page = client.get(f"/settlement/reconciliation/report/?channel={fee_day.channel_id}&day={DAY}").content.decode()

    assert 'data-testid="fees">7.194 / 7.19<' in page
    ages = page.split('data-testid="ages"', 1)[1].split("</table>", 1)[0]
    assert "<th" in ages and ">-50.00<" in ages and ">0.00<" in ages


# --- The finance dashboard ------------------------------------------------------------------------------------------


def test_the_dashboard_names_sales_channels_and_a_missing_region_in_chinese(client, finance, organization):
    with tenant_scope(organization):
        store = Store.objects.create(organization=organization, channel="youzan", ref="yz", name="有赞店")
    paid_order(organization, store, "Y1", "299.00", paid_at=timezone.now() - timedelta(days=1))
    client.force_login(finance)

    page = client.get("/settlement/dashboard/").content.decode()

    channels = page.split('data-testid="channels"', 1)[1].split("</table>", 1)[0]
    regions = page.split('data-testid="regions"', 1)[1].split("</table>", 1)[0]
    assert "<td>有赞</td>" in channels and "youzan" not in channels and ">299.00<" in channels
    # The tile groups by the order's sales channel, not the payment channel (WeChat Pay, Alipay): it says so.
    title = page.split('data-testid="channels-title">', 1)[1].split("</div>", 1)[0]
    assert title == "按销售渠道（店铺/平台）统计的收入" and "<th>销售渠道</th>" in channels
    assert "未指定区域" in regions and "<th" in regions


def test_a_refund_discrepancy_links_to_the_refunds_order(client, finance, organization):
    channel = make_channel(organization)
    store = make_store(organization, channel)
    order = make_order(store, "A6", "60.00")
    make_refund(order, "R6", "60.00")
    make_statement(channel, lines=[pay("A6", "60.00"), refund_line("R6", "A6", "30.00")])
    reconciliation_run(channel=channel, period_start=DAY)
    with tenant_scope(organization):
        discrepancy = Discrepancy.objects.get(key="refund:R6")
    client.force_login(finance)

    page = client.get(f"/settlement/discrepancies/{discrepancy.pk}/").content.decode()

    ledger_side = page.split('data-testid="ledger-side"', 1)[1].split("</dl>", 1)[0]
    assert f'<a href="/settlement/orders/{order.pk}/">A6</a>' in ledger_side


# --- Payment statements --------------------------------------------------------------------------------------------


def test_a_payment_statement_reads_as_a_payment_statement_with_its_fees_as_charged(client, finance, organization):
    channel = make_channel(organization)
    statement = make_statement(channel, lines=[pay("W1", "2349.00", fee="14.094")])
    with tenant_scope(organization):
        StatementImport.objects.filter(pk=statement.pk).update(line_count=1, gross_total=Decimal("2349.00"),
                                                               fee_total=Decimal("14.094"))
    client.force_login(finance)

    listing = client.get("/settlement/statements/").content.decode()
    detail = client.get(f"/settlement/statements/{statement.pk}/").content.decode()

    assert "明细笔数" in listing and "商品明细" not in listing
    assert "全部对账单" in detail and "全部结算单" not in detail and "商品明细" not in detail
    # The fees in the statement's currency, as the payments above them (a bare "14.094" read as no amount at all).
    assert 'data-testid="statement-fees">14.094 CNY<' in detail


def test_order_lines_stay_goods_and_settlement_lines_are_settlement_lines(client, finance, statement):
    with tenant_scope(statement.organization_id):
        order_pk = statement.partner.stores.get().orders.get().pk
    client.force_login(finance)

    order_page = client.get(f"/settlement/orders/{order_pk}/").content.decode()
    statement_page = client.get(f"/settlement/settlements/{statement.pk}/").content.decode()

    assert '<div class="card-header">商品明细</div>' in order_page
    assert '<div class="card-header">结算明细</div>' in statement_page and "商品明细" not in statement_page


def test_the_runs_list_gives_match_rates_as_percentages(client, finance, fee_day):
    client.force_login(finance)

    page = client.get("/settlement/reconciliation/").content.decode()

    assert re.search(r'data-testid="run-match-rate">\d+\.\d%<', page)


def test_a_day_with_no_reconciliation_around_it_says_so_instead_of_an_empty_chart(client, finance, organization):
    channel = make_channel(organization)
    client.force_login(finance)

    page = client.get(f"/settlement/reconciliation/report/?channel={channel.pk}&day={DAY}").content.decode()

    assert "这一天还没有对账" in page and 'data-testid="trend-empty"' in page and "recon-chart-data" not in page


def test_an_uploaded_statement_says_it_was_uploaded_not_upload_time_twice(client, finance, organization):
    channel = make_channel(organization)
    statement = make_statement(channel, lines=[pay("W1", "10.00")])
    with tenant_scope(organization):
        StatementImport.objects.filter(pk=statement.pk).update(source="upload", created_by=finance)
    client.force_login(finance)

    detail = client.get(f"/settlement/statements/{statement.pk}/").content.decode()

    uploaded = detail.split('data-testid="statement-uploaded">', 1)[1].split("</dd>", 1)[0]
    assert "网页上传" in uploaded and "上传时间" not in uploaded
    assert "上传时间</dt>" in detail


def test_a_written_off_discrepancy_says_so_and_offers_no_second_decision(client, finance, fee_day):
    with tenant_scope(fee_day.organization_id):
        Discrepancy.objects.filter(pk=fee_day.pk).update(difference=Decimal("-5.00"))
    client.force_login(finance)
    client.post(f"/settlement/discrepancies/{fee_day.pk}/write-off/", {"note": "小额"})

    page = client.get(f"/settlement/discrepancies/{fee_day.pk}/").content.decode()

    header = page.split('data-testid="discrepancy-status"', 1)[1].split("</div>", 1)[0]
    assert "已核销" in header and "write_off" not in header
    assert 'data-testid="resolve"' not in page and "/write-off/" not in page
    assert "/annotate/" in page


def test_the_orders_history_on_a_discrepancy_names_statuses_in_chinese(client, finance, fee_day):
    with tenant_scope(fee_day.organization_id):
        OrderReport.objects.create(organization_id=fee_day.organization_id, store=fee_day.store,
                                   order_number="W1", kind="order", number="W1", status="shipped", version=2,
                                   applied=True)
    client.force_login(finance)

    page = client.get(f"/settlement/discrepancies/{fee_day.pk}/").content.decode()

    history = page.split('data-testid="order-history"', 1)[1].split("</ul>", 1)[0]
    assert "已发货" in history and "shipped" not in history


@given(st.decimals(min_value=Decimal("-1000000000"), max_value=Decimal("1000000000"), places=5,
                   allow_nan=False, allow_infinity=False))
def test_money_is_shown_to_the_fen_and_finer_only_where_the_figure_is_finer(amount):
    text = money_text(amount)

    assert Decimal(text) == amount  # never rounded
    _whole, _dot, fraction = text.partition(".")
    assert len(fraction) >= 2 and "e" not in text.lower()
    assert len(fraction) == 2 or not fraction.endswith("0")


def test_money_text_leaves_what_is_not_a_number():
    assert money_text(None) is None and money_text("") == "" and money_text("—") == "—"
    assert money_text("7.19400") == "7.194" and money_text(Decimal("1E+2")) == "100.00"


def test_a_statements_history_is_called_history_not_push_history(client, finance, statement):
    client.force_login(finance)

    page = client.get(f"/settlement/settlements/{statement.pk}/").content.decode()

    assert "历史记录" in page and "推送历史" not in page
