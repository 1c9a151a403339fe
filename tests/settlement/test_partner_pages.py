"""Finance's pages of partner settlement: statements list and workflow, exports, partners with masked bank details,
rules, catalogue, dashboard; permissions and tenant isolation."""

import csv
import io
import json
import re
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation
from django.utils.html import escape

from scrm.models import DataScope, Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.services.roles import role_assign, role_save
from settlement.models import Partner, RegionAlert, SettlementRule, SettlementStatement, SettlementStatementEvent
from settlement.partner_dashboard import region_alerts_raise
from settlement.partner_errors import MSG_PARTNER_CODE_TAKEN
from settlement.partner_services import statement_approve, statement_generate, statement_review
from settlement.partner_tables import EMPTY_TEXT_RULES, EMPTY_TEXT_RULES_READ_ONLY
from tests.scrm.factories import OrganizationFactory
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
def statement(organization):
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east, name="=HYPERLINK(\"x\")", code="P1",
                                        bank_account="6225881234567890")
    paid_order(organization, store, "A1", "1500.00", paid_at=oct_(3), fee="9.00")
    statement, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    return statement


def test_finance_lists_statements_in_a_bounded_number_of_queries(client, finance, organization, statement,
                                                                  django_assert_max_num_queries):
    east = statement.partner.region
    for n in range(5):
        partner, store = partner_with_store(organization, east, code=f"Q{n}", name=f"经销商{n}")
        statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    client.force_login(finance)
    with django_assert_max_num_queries(25):
        response = client.get("/settlement/settlements/")
    assert response.status_code == 200
    assert len(response.context["table"].page.object_list) == 6
    assert "经销商3" in response.content.decode()


def test_finance_reviews_approves_and_marks_a_statement_paid_from_its_page(client, finance, finance2, statement):
    client.force_login(finance)
    url = f"/settlement/settlements/{statement.pk}/"
    page = client.get(url).content.decode()
    assert statement.payable == Decimal("1426.00") and "1,426.00" in page
    assert "**** **** 7890" in page and "6225881234567890" not in page
    client.post(url + "approve/")  # not reviewed yet: refused
    with tenant_scope(statement.organization_id):
        assert SettlementStatement.objects.get().status == "draft"
    client.post(url + "review/")
    client.force_login(finance2)  # who reviewed may not approve too
    client.post(url + "approve/")
    client.force_login(finance)
    client.post(url + "pay/", {"reference": "CMB001"})
    with tenant_scope(statement.organization_id):
        statement = SettlementStatement.objects.get()
    assert (statement.status, statement.payment_reference, statement.paid_by_id) == ("paid", "CMB001", finance.pk)


def test_the_statement_workbook_holds_its_lines_and_totals_with_formulas_neutralised(client, finance, statement):
    client.force_login(finance)
    response = client.get(f"/settlement/settlements/{statement.pk}/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][1] == "'=HYPERLINK(\"x\")"
    assert rows[7][0].startswith("销售") or rows[7][0].startswith("Sales")
    assert Decimal(str(rows[7][5])) == Decimal("1500.00")
    assert Decimal(str(rows[-2][5] if rows[-1][0] in ("of which tax", "其中税额") else rows[-1][5])) == \
        statement.payable


def test_each_export_is_recorded_in_the_statements_history_with_who_took_it(client, finance, statement):
    client.force_login(finance)

    assert client.get(f"/settlement/settlements/{statement.pk}/export.xlsx").status_code == 200

    with tenant_scope(statement.organization_id):
        exported = list(SettlementStatementEvent.objects.filter(
            statement=statement, action=SettlementStatementEvent.Action.EXPORTED).values_list("by__username", "detail"))
    assert exported == [("finance-acme", {"format": "xlsx"})]


def test_the_bank_file_lists_approved_statements_with_full_account_numbers(client, finance, finance2, statement):
    statement_review(statement=statement, actor=finance)
    client.force_login(finance)
    body = client.get("/settlement/settlements/bank-payments.csv").content.decode()
    assert list(csv.reader(io.StringIO(body)))[1:] == []  # reviewed, not approved: nothing to pay
    statement_approve(statement=statement, actor=finance2)
    rows = list(csv.reader(io.StringIO(client.get("/settlement/settlements/bank-payments.csv").content.decode())))
    assert rows[1][2:5] == ["6225881234567890", str(statement.payable), "CNY"]


def test_partners_show_their_bank_details_masked(client, finance, statement):
    client.force_login(finance)
    page = client.get("/settlement/partners/").content.decode()
    assert "**** **** 7890" in page and "6225881234567890" not in page


@pytest.mark.parametrize("path", ["/settlement/settlements/", "/settlement/dashboard/", "/settlement/partners/",
                                  "/settlement/rules/"])
def test_an_agent_may_not_open_settlement_pages(client, agent, path):
    client.force_login(agent)
    assert client.get(path).status_code == 403


def _zh(message):
    with translation.override("zh-hans"):
        return str(message)


def test_the_empty_rule_list_says_who_creates_rules(client, organization, ops_admin, finance, make_user):
    """Who only reads the rules found '还没有规则：没有规则无法生成结算单。' and no button: a dead end. They now read
    that finance creates them; who may (finance, ops), keep the sentence with the 新建结算规则 button above it."""
    for user in (ops_admin, finance):
        client.force_login(user)
        page = client.get("/settlement/rules/").content.decode()
        assert _zh(EMPTY_TEXT_RULES) in page and _zh(EMPTY_TEXT_RULES_READ_ONLY) not in page
        assert 'href="/settlement/rules/new/"' in page
    # A custom role that reads the rules only.
    reader = make_user(organization, Role.VIEWER)
    with tenant_scope(organization):
        role = role_save(organization=organization, by=ops_admin, name="规则查阅", modules=["settlement"],
                         permissions=["settlement.view_settlementrule"], data_scope=DataScope.ORGANIZATION)
        role_assign(role=role, user=reader, by=ops_admin)
    client.force_login(reader)
    page = client.get("/settlement/rules/").content.decode()
    assert _zh(EMPTY_TEXT_RULES_READ_ONLY) in page and "/settlement/rules/new/" not in page
    assert "结算规则由财务或运营在此新建。" in page  # ops create them too (settlement/apps.py)


def test_ops_configure_settlement_rules_as_design_says(client, organization, ops_admin):
    """DESIGN.md: ops configure settlement rules. Ops could only read them: a new organization's ops admin, who
    sets everything else up, had to wait for finance before a single statement could be generated."""
    client.force_login(ops_admin)
    assert client.get("/settlement/rules/new/").status_code == 200
    response = client.post("/settlement/rules/new/", {
        "name": "内地月结", "valid_from": "2026-11-01", "currency": "CNY", "cycle": "monthly",
        "commission_rate": "0.05", "tax_rate": "0.06", "tiers": "", "tier_mode": "progressive",
        "minimum_payout": "0", "rounding": "0.01", "conversion_date": "period_end", "self_approval_limit": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(organization):
        assert SettlementRule.objects.filter(name="内地月结").exists()


def test_ops_read_the_catalogue_but_not_the_statements(client, ops_admin):
    client.force_login(ops_admin)
    assert client.get("/settlement/catalogue/").status_code == 200
    assert client.get("/settlement/settlements/").status_code == 403


def test_another_organizations_statement_is_not_found(client, statement, make_user):
    with platform_scope():
        other = OrganizationFactory(slug="other", name="别家")
    outsider = make_user(other, Role.FINANCE, username="finance-other")
    client.force_login(outsider)
    assert client.get(f"/settlement/settlements/{statement.pk}/").status_code == 404
    assert client.post(f"/settlement/settlements/{statement.pk}/review/").status_code == 404
    response = client.get("/settlement/settlements/")
    assert len(response.context["table"].page.object_list) == 0


def test_the_dashboard_shows_revenue_and_a_region_alert(client, finance, organization, statement):
    east = statement.partner.region
    with tenant_scope(organization):
        store = statement.partner.stores.get()
    from datetime import UTC, datetime

    from settlement.models import Order
    for month in (7, 8, 9, 10):
        order = paid_order(organization, store, f"M{month}", "1000.00",
                           paid_at=datetime(2026, month, 10, 4, tzinfo=UTC))
        with tenant_scope(organization):
            Order.objects.filter(pk=order.pk).update(region=east)
        refunded(organization, order, "300.00" if month == 10 else "10.00",
                 at=datetime(2026, month, 12, 4, tzinfo=UTC))
    alerts = region_alerts_raise(organization=organization, month="2026-10")
    assert [(a.metric, a.value, a.baseline) for a in alerts] == [("refund_rate", Decimal("30.00"),
                                                                   Decimal("1.00"))]
    assert region_alerts_raise(organization=organization, month="2026-10") == []  # raised once
    with tenant_scope(organization):
        assert finance.notifications.filter(kind="region_alert").count() == 1
        assert RegionAlert.objects.count() == 1
    client.force_login(finance)
    response = client.get("/settlement/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "华东" in page and 'data-testid="region-alerts"' in page


def test_finance_adds_a_rule_and_a_gap_in_the_tiers_is_refused_on_the_form(client, finance, organization):
    east = region(organization, "EAST", "华东")
    client.force_login(finance)
    values = {"name": "华东月结", "region": east.pk, "valid_from": "2026-11-01", "currency": "CNY",
              "conversion_date": "order", "cycle": "monthly", "tax_rate": "0.06", "prices_include_tax": "on",
              "commission_rate": "0.05", "tier_mode": "progressive", "minimum_payout": "100", "rounding": "0.01",
              "tiers": "0-50000:0\n60000-:0.01"}
    response = client.post("/settlement/rules/new/", values)
    assert response.status_code == 400
    assert "返利阶梯之间有空档" in response.content.decode()
    with tenant_scope(organization):
        assert not SettlementRule.objects.exists()
    response = client.post("/settlement/rules/new/", {**values, "tiers": "0-50000:0\n50000-:0.01"})
    assert response.status_code == 302
    with tenant_scope(organization):
        rule = SettlementRule.objects.get()
    assert (rule.region_id, rule.rebate_tiers[1]) == (east.pk, {"from": "50000", "to": None, "rate": "0.01"})


def test_a_bad_tier_is_reported_with_the_forms_other_errors_at_once(client, finance, organization):
    """The rule form said a tier's rate was out of range only once the date and every other field were right: the
    form checks the tiers' figures itself now, so one send names every problem."""
    client.force_login(finance)
    values = {"name": "华东月结", "valid_from": "not a date", "currency": "CNY", "conversion_date": "order",
              "cycle": "monthly", "tax_rate": "0.06", "commission_rate": "0.05", "tier_mode": "progressive",
              "minimum_payout": "100", "rounding": "0.01", "tiers": "0-50000:0\n50000-:2"}
    response = client.post("/settlement/rules/new/", values)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"valid_from", "tiers"}
    assert "2" in errors["tiers"][0]  # the rate out of range, named with its value
    with tenant_scope(organization):
        assert not SettlementRule.objects.exists()


@pytest.mark.parametrize(("language", "expected"), [
    ("zh-hans", "0.00 – 1,000.00: 0%; 1,000.00 及以上: 2%"),
    ("en", "0.00 – 1,000.00: 0%; 1,000.00 and above: 2%"),
])
def test_the_rules_page_reads_rebate_tiers_as_the_change_log_does(client, finance, organization, language, expected):
    """The rules page wrote tiers its own way ("0.00–1,000.00: 0%; 1,000.00–∞: 2%"), the change log another: one
    rule, two readings. Both are now tiers_display's; a rule without tiers reads "—"."""
    monthly_rule(organization)
    monthly_rule(organization, name="无返利", rebate_tiers=[], valid_from=oct_(1).date())
    client.force_login(finance)
    client.cookies["django_language"] = language
    response = client.get("/settlement/rules/")
    assert response.status_code == 200
    table = response.content.decode().split('data-testid="rules"')[1].split("</table>")[0]
    rows = [re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", row, re.S)
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)]
    headers = [re.sub(r"<[^>]+>", "", header).strip() for header in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
    column = headers.index({"zh-hans": "返利阶梯", "en": "Rebate tiers"}[language])
    tiers = {cells[0]: cells[column] for cells in rows if cells}
    assert tiers == {"月结": expected, "无返利": "—"}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("tax_rate", "6", "税率 须为 0 到 1 之间的小数（6% 填 0.06）。"),
    ("commission_rate", "-0.05", "佣金比例 不能为负数。"),
    ("minimum_payout", "-100", "最低付款额 不能为负数。"),
])
def test_a_bad_rate_or_payout_on_a_rule_is_refused_naming_the_field_in_chinese(client, finance, organization, field,
                                                                                value, message):
    """The refusal named the field in English inside the Chinese sentence ("tax rate 须为 0 到 1 之间的小数")."""
    east = region(organization, "EAST", "华东")
    client.force_login(finance)
    values = {"name": "华东月结", "region": east.pk, "valid_from": "2026-11-01", "currency": "CNY",
              "conversion_date": "order", "cycle": "monthly", "tax_rate": "0.06", "commission_rate": "0.05",
              "tier_mode": "progressive", "minimum_payout": "100", "rounding": "0.01", field: value}
    response = client.post("/settlement/rules/new/", values)
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_scope(organization):
        assert not SettlementRule.objects.exists()


def test_finance_adds_a_partner_whose_account_is_stored_encrypted(client, finance, organization):
    east = region(organization, "EAST", "华东")
    client.force_login(finance)
    response = client.post("/settlement/partners/new/", {
        "code": "P9", "name": "苏州经销商", "kind": "dealer", "region": east.pk, "bank_account_name": "苏州经销商",
        "bank_name": "工商银行", "bank_account": "6222 0212 3456 7890", "active": "on"})
    assert response.status_code == 302
    with tenant_scope(organization):
        partner = Partner.objects.get()
    assert partner.bank_account == "6222021234567890" and "7890" not in partner.bank_account_encrypted
    assert "6222021234567890" not in client.get(f"/settlement/partners/{partner.pk}/").content.decode()


def test_a_partner_code_already_taken_answers_400_with_why_and_nothing_is_added(client, finance, organization):
    """The taken code was shown on the form but the page answered 200, unlike every other refused settings form."""
    east = region(organization, "EAST", "华东")
    client.force_login(finance)
    values = {"code": "P9", "name": "苏州经销商", "kind": "dealer", "region": east.pk, "active": "on"}
    assert client.post("/settlement/partners/new/", values).status_code == 302
    response = client.post("/settlement/partners/new/", {**values, "name": "无锡经销商"})
    assert response.status_code == 400
    assert escape(str(MSG_PARTNER_CODE_TAKEN % {"code": "P9"})) in response.content.decode()
    with tenant_scope(organization):
        assert list(Partner.objects.values_list("name", flat=True)) == ["苏州经销商"]


def test_exchange_rates_are_added_and_listed(client, finance, organization):
    client.force_login(finance)
    client.post("/settlement/exchange-rates/", {"day": "2026-10-05", "base": "hkd", "quote": "CNY",
                                                "rate": "0.91234", "source": "中间价"})
    page = client.get("/settlement/exchange-rates/").content.decode()
    assert "HKD" in page and "0.91234" in page


def test_a_role_that_masks_bank_details_may_not_download_the_bank_file(client, finance, ops_admin, organization,
                                                                         statement):
    from scrm.models import DataScope, MaskedField
    from scrm.services.roles import role_assign, role_save

    with tenant_scope(organization):
        role = role_save(organization=organization, by=ops_admin, name="出纳助理", permissions=[],
                         modules=["settlement"], data_scope=DataScope.ORGANIZATION,
                         masked_fields=[MaskedField.BANK_DETAILS])
        role_assign(role=role, user=finance, by=ops_admin)
    client.force_login(finance)
    assert client.get("/settlement/settlements/bank-payments.csv").status_code == 403


def test_a_job_is_completed_and_confirmed_from_the_service_jobs_page(client, ops_admin, organization,
                                                                     django_assert_max_num_queries):
    from settlement.models import ServiceItem, ServiceJob
    from settlement.partner_services import service_price_set

    east = region(organization, "EAST", "华东")
    installer, _store = partner_with_store(organization, east, code="I1", name="安装服务商", kind="installer")
    with tenant_scope(organization):
        item = ServiceItem.objects.create(organization=organization, code="ac-install", name="空调安装",
                                          kind="installation")
        job = ServiceJob.objects.create(organization=organization, number="SJ1", region=east)
        for n in range(2, 6):
            ServiceJob.objects.create(organization=organization, number=f"SJ{n}", region=east)
    service_price_set(organization=organization, item=item, tier=3, price="180", material_cost="30",
                      technician_payout="85")
    client.force_login(ops_admin)
    with django_assert_max_num_queries(25):
        assert client.get("/settlement/service-jobs/").status_code == 200
    client.post(f"/settlement/service-jobs/{job.pk}/complete/", {"partner": installer.pk, "technician": "王师傅",
                                                                 "items": "nope × 1"})
    with tenant_scope(organization):
        job.refresh_from_db()
        assert job.status == "open"
    client.post(f"/settlement/service-jobs/{job.pk}/complete/", {"partner": installer.pk, "technician": "王师傅",
                                                                 "items": "ac-install × 2"})
    client.post(f"/settlement/service-jobs/{job.pk}/confirm/")
    with tenant_scope(organization):
        job.refresh_from_db()
    assert (job.status, job.price_total, job.partner_id, job.technician) == ("confirmed", Decimal("360.00"),
                                                                            installer.pk, "王师傅")


def test_ops_read_the_partners_without_links_to_a_page_they_may_not_open(client, organization, ops_admin, finance,
                                                                         statement):
    with tenant_scope(organization):
        partner = Partner.objects.get()
    client.force_login(ops_admin)
    page = client.get("/settlement/partners/").content.decode()
    assert partner.code in page and f'href="/settlement/partners/{partner.pk}/"' not in page
    assert client.get(f"/settlement/partners/{partner.pk}/").status_code == 403  # why the link is not there
    client.force_login(finance)
    assert f'href="/settlement/partners/{partner.pk}/"' in client.get("/settlement/partners/").content.decode()


def test_completing_a_job_with_nothing_filled_in_names_the_missing_fields(client, ops_admin, organization):
    """'完工' with the form empty said "此项为必填。" twice, naming neither the partner nor the items."""
    from settlement.models import ServiceJob

    east = region(organization, "EAST", "华东")
    with tenant_scope(organization):
        job = ServiceJob.objects.create(organization=organization, number="SJ1", region=east)
    client.force_login(ops_admin)
    response = client.post(f"/settlement/service-jobs/{job.pk}/complete/", {}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["合作方：此项为必填。", "服务项目：此项为必填。"]
    with tenant_scope(organization):
        job.refresh_from_db()
    assert job.status == "open"


def test_the_dashboard_charts_each_currency_apart_with_the_current_month_to_date(client, finance, organization,
                                                                                  statement):
    """The monthly chart drew CNY, HKD and USD on one axis (twelve series, colours repeating), and the current
    month's partial figures as if revenue had collapsed. The page now hands the script one chart per currency, the
    main one (most paid orders) first, each with the four series over every month, the current month marked."""
    import json
    from datetime import UTC, datetime

    from django.utils import timezone
    with tenant_scope(organization):
        store = statement.partner.stores.get()
    today = timezone.localdate()
    now_ = datetime(today.year, today.month, 1, 4, tzinfo=UTC)
    paid_order(organization, store, "H1", "800.00", paid_at=now_, currency="HKD")
    paid_order(organization, store, "U1", "120.50", paid_at=now_, currency="USD", fee="1.20")
    paid_order(organization, store, "C2", "300.00", paid_at=now_)
    client.force_login(finance)
    response = client.get("/settlement/dashboard/")
    page = response.content.decode()
    data = json.loads(page.split('id="finance-months-data" type="application/json">')[1].split("</script>")[0])
    assert data == json.loads(json.dumps(response.context["chart"]))
    charts = data["currencies"]
    assert [c["currency"] for c in charts] == ["CNY", "HKD", "USD"]  # CNY has two paid orders
    this_month = today.isoformat()[:7]
    for chart in charts:
        assert [s["key"] for s in chart["datasets"]] == ["revenue", "refunds", "fees", "margin"]
        assert [s["label"] for s in chart["datasets"]] == ["收入", "退款", "渠道手续费", "毛利"]
        assert chart["months"][-1] == this_month and len(chart["months"]) == 6
        assert chart["labels"][-1] == f"{this_month}（本月至今）"
        assert chart["partial_index"] == 5
    usd = {s["key"]: s["data"] for s in charts[2]["datasets"]}
    assert usd["revenue"][-1] == "120.50" and usd["fees"][-1] == "1.20" and usd["margin"][-1] == "119.30"
    assert usd["revenue"][:5] == ["0.00"] * 5  # nothing in USD before: no CNY figure leaks into it
    assert 'data-currency="HKD"' in page.split('data-testid="months-currencies"')[1]
    assert "800.00" in page.split('data-testid="months"')[1]  # the table stays


def test_the_dashboards_region_alert_reads_its_figures_as_the_pages_do(client, finance, organization):
    """The alert showed its stored figures raw (30.0000% against 1.0000%), a margin swing of thousands ungrouped."""
    east = region(organization, "EAST", "华东")
    with tenant_scope(organization):
        RegionAlert.objects.create(organization=organization, region=east, metric=RegionAlert.Metric.REFUND_RATE,
                                   month="2026-10-01", value=Decimal("30"), baseline=Decimal("1.5"))
        RegionAlert.objects.create(organization=organization, region=east, metric=RegionAlert.Metric.MARGIN,
                                   month="2026-10-01", value=Decimal("-1250.75"), baseline=Decimal("12.3456"))
    client.force_login(finance)

    page = client.get("/settlement/dashboard/").content.decode()

    alerts = page.split('data-testid="region-alerts"')[1].split("</ul>")[0]
    assert " 30.00% (" in alerts and " 1.50%)" in alerts
    assert "-1,250.75%" in alerts and "12.3456%" in alerts
    assert "30.0000" not in alerts and "1250.75" not in alerts


def test_the_dashboard_names_each_service_rows_city_tier(client, finance, organization, statement):
    """The services table wrote a city tier as its number (1, 4) where the catalogue writes 一线城市."""
    from datetime import timedelta

    from django.utils import timezone

    from settlement.models import ServiceJob
    with tenant_scope(organization):
        for number, tier in (("J1", 1), ("J4", 4)):
            ServiceJob.objects.create(organization=organization, number=number, partner=statement.partner,
                                      kind="installation", status="confirmed", currency="CNY", tier=tier,
                                      price_total=Decimal("1200.00"), region=statement.partner.region,
                                      completed_at=timezone.now() - timedelta(days=1))
    client.force_login(finance)

    page = client.get("/settlement/dashboard/").content.decode()

    services = page.split('data-testid="services"')[1].split("</table>")[0]
    assert "<td>安装</td><td>一线城市</td><td>CNY</td>" in services
    assert "<td>安装</td><td>四线及以下城市</td><td>CNY</td>" in services
    chart = json.loads(page.split('id="finance-services-data" type="application/json">')[1].split("</script>")[0])
    assert chart["labels"] == ["安装 · 一线城市", "安装 · 四线及以下城市"]


def test_a_lines_rate_is_not_titled_exchange_rate_since_commission_and_tax_lines_carry_theirs(client, finance,
                                                                                             statement):
    """The commission line's 0.05 stood under "Exchange rate" on the page, in the workbook and in the PDF."""
    from settlement.partner_pdf import statement_pdf
    from tests.settlement.pdf_text import pdf_text
    client.force_login(finance)
    client.cookies["django_language"] = "en"

    page = client.get(f"/settlement/settlements/{statement.pk}/").content.decode()
    book = client.get(f"/settlement/settlements/{statement.pk}/export.xlsx").content

    assert "Exchange rate" not in page and '<th class="text-end">Rate</th>' in page
    rows = [[cell.value for cell in row] for row in openpyxl.load_workbook(io.BytesIO(book)).active.iter_rows()]
    assert ["Line", "Count", "Original currency", "Original amount", "Rate", "Amount"] in rows
    with translation.override("en"), tenant_scope(statement.organization_id):
        text = pdf_text(statement_pdf(statement, compress=False))
    assert "Rate" in text and "Exchange rate" not in text


@pytest.mark.parametrize(("language", "worded", "other"), [
    ("en", "No exchange rate CNY → HKD for 2026-10-03", "缺少"),
    ("zh-hans", "缺少 2026-10-03（及此前 7 天内）CNY → HKD", "No exchange rate"),
])
def test_a_runs_problems_are_worded_in_the_readers_language_whatever_the_workers(client, finance, organization,
                                                                                  language, worded, other):
    from scrm.platform import outbox
    from settlement.models import SettlementRun
    from settlement.partner_services import RUN_KIND, settlement_run_request

    hk = region(organization, "HK", "香港")
    monthly_rule(organization, region=hk, currency="HKD", commission_rate=0, rebate_tiers=[])
    _partner, store = partner_with_store(organization, hk, code="HK1", name="香港门店")
    paid_order(organization, store, "H1", "100.00", paid_at=oct_(3), currency="CNY")  # no CNY→HKD rate
    run = settlement_run_request(organization=organization, cycle="monthly", day=PERIOD[0])
    # The worker speaks the other language than the reader.
    with translation.override("en" if language != "en" else "zh-hans"):
        outbox.run(RUN_KIND, [run.pk])
    with tenant_scope(organization):
        # A run of before the codes: its text is shown as it was stored.
        SettlementRun.objects.create(organization=organization, cycle="weekly", period_start=PERIOD[0],
                                     period_end=PERIOD[0], status="done", problems=[
                                         {"partner": "OLD1", "message": "旧的问题说明"}])
    client.force_login(finance)
    client.cookies["django_language"] = language
    page = client.get("/settlement/settlements/").content.decode()
    runs = page.split('data-testid="runs"', 1)[1].split("</table>", 1)[0]
    assert f"HK1: {worded}" in runs
    assert other not in runs
    assert "OLD1: 旧的问题说明" in runs
