"""Finance's home page (`/settlement/`) says what waits: its pages grouped by what finance does, and on each daily
work and partner tile the live figure of its list, linked to the list filtered to those rows. It was 14 equal tiles
in registration order with no figure at all."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement import home_selectors
from settlement.models import (
    Discrepancy,
    ReconciliationRun,
    ServiceJob,
    SettlementStatement,
    StatementImport,
)
from tests.scrm.factories import OrganizationFactory
from tests.settlement.partners import monthly_rule, partner_with_store, region, second_finance
from tests.settlement.recon import local, make_channel, make_order, make_statement, make_store

pytestmark = pytest.mark.django_db


def _other_organization():
    with platform_scope():
        return OrganizationFactory(slug="other", name="别家公司")


def discrepancies(organization, channel, *, days_ago, count=1, status=Discrepancy.Status.OPEN):
    today = timezone.localdate()
    day = today - timedelta(days=days_ago)
    with tenant_scope(organization):
        run, _created = ReconciliationRun.objects.get_or_create(
            organization=organization, channel=channel, period_start=day, period_end=day,
            defaults={"status": ReconciliationRun.Status.DONE, "finished_at": timezone.now()})
        start = Discrepancy.objects.count()
        for n in range(count):
            Discrepancy.objects.create(organization=organization, run=run, channel=channel,
                                       key=f"order:D{day:%m%d}-{start + n}", kind="amount_mismatch", bill_date=day,
                                       status=status, difference=Decimal("1.00"))


def partner_statement(organization, partner, rule, *, month, status, reviewed_by=None, payable="500.00"):
    with tenant_scope(organization):
        return SettlementStatement.objects.create(
            organization=organization, partner=partner, rule=rule, period_start=date(2026, month, 1),
            period_end=date(2026, month, 28), currency="CNY", status=status, payable=Decimal(payable),
            generated_at=timezone.now(), reviewed_by=reviewed_by)


def service_jobs(organization, partner, area, statuses):
    with tenant_scope(organization):
        for n, status in enumerate(statuses):
            ServiceJob.objects.create(organization=organization, number=f"SJ-{partner.code}-{n}", kind="installation",
                                      partner=partner, region=area, tier=1, status=status)


# --- the selectors ------------------------------------------------------------------------------------------------


def test_open_discrepancies_count_what_the_list_shows_and_the_old_ones(organization):
    channel = make_channel(organization)
    discrepancies(organization, channel, days_ago=1, count=3)
    discrepancies(organization, channel, days_ago=10, count=2)
    discrepancies(organization, channel, days_ago=12, status=Discrepancy.Status.WRITE_OFF_REQUESTED)
    discrepancies(organization, channel, days_ago=2, count=4, status=Discrepancy.Status.RESOLVED)
    other = _other_organization()
    discrepancies(other, make_channel(other), days_ago=20, count=5)

    with tenant_scope(organization):
        assert home_selectors.discrepancies_waiting() == {"open": 6, "old": 3}
    with tenant_scope(other):
        assert home_selectors.discrepancies_waiting() == {"open": 5, "old": 5}


def test_imported_statements_count_until_a_run_covers_them(organization):
    yesterday = timezone.localdate() - timedelta(days=1)
    wechat, alipay = make_channel(organization), make_channel(organization, "alipay")
    make_statement(wechat, day=yesterday, lines=[{"amount": "10.00"}])
    make_statement(alipay, day=yesterday, lines=[{"amount": "10.00"}])
    make_statement(alipay, day=yesterday - timedelta(days=1), status=StatementImport.Status.FAILED)
    other = _other_organization()
    make_statement(make_channel(other), day=yesterday, lines=[{"amount": "1.00"}])
    with tenant_scope(organization):
        assert home_selectors.statements_not_reconciled() == {"unreconciled": 2, "refused": 1}
        ReconciliationRun.objects.create(organization=organization, channel=wechat, period_start=yesterday,
                                         period_end=yesterday, status=ReconciliationRun.Status.DONE,
                                         finished_at=timezone.now())
        # A run still matching does not reconcile the other channel's statement.
        ReconciliationRun.objects.create(organization=organization, channel=alipay, period_start=yesterday,
                                         period_end=yesterday, status=ReconciliationRun.Status.RUNNING)
        assert home_selectors.statements_not_reconciled() == {"unreconciled": 1, "refused": 1}


def test_each_channel_has_its_last_statement_day_and_its_missing_days(organization):
    """A day is missing when the ledger has payments through the channel that day and no imported statement covers
    it. A day without a payment has no bill (WeChat Pay and Alipay publish none): the demo's channels read "2 days
    missing" for two quiet days."""
    today = timezone.localdate()
    wechat, alipay = make_channel(organization), make_channel(organization, "alipay")
    unionpay = make_channel(organization, "unionpay", name="银联")
    make_channel(organization, "old", name="停用渠道", active=False)
    stores = {channel.code: make_store(organization, channel, name=f"{channel.code} 店")
              for channel in (wechat, alipay, unionpay)}

    def paid(code, days_ago, n=1):
        day = today - timedelta(days=days_ago)
        for k in range(n):
            make_order(stores[code], f"{code}-{days_ago}-{k}", "10.00", paid_at=local(day, 10 + k))

    for days_ago in range(1, 8):
        make_statement(wechat, day=today - timedelta(days=days_ago), lines=[{"amount": "10.00"}])
        paid("wechatpay", days_ago)
    for days_ago in (2, 3, 5, 6, 7):
        make_statement(alipay, day=today - timedelta(days=days_ago), lines=[{"amount": "10.00"}])
    for days_ago in (1, 2, 4):  # paid on days 1 and 4 with no statement; day 2 covered
        paid("alipay", days_ago, n=2)
    paid("unionpay", 3)
    make_statement(alipay, day=today - timedelta(days=1), lines=[], status="failed")  # refused: covers nothing

    with tenant_scope(organization):
        rows = {row["channel"].code: row for row in home_selectors.channels_last_day()}
    assert set(rows) == {"wechatpay", "alipay", "unionpay"}  # an inactive channel is not waited on
    assert rows["wechatpay"]["last_day"] == today - timedelta(days=1) and rows["wechatpay"]["missing"] == []
    assert rows["alipay"]["last_day"] == today - timedelta(days=2)
    assert rows["alipay"]["missing"] == [today - timedelta(days=4), today - timedelta(days=1)]
    assert rows["unionpay"]["last_day"] is None and rows["unionpay"]["missing"] == [today - timedelta(days=3)]


def test_a_channel_whose_statements_cover_every_day_reads_no_query_of_the_ledger(organization,
                                                                                  django_assert_num_queries):
    today = timezone.localdate()
    wechat = make_channel(organization)
    for days_ago in range(1, 8):
        make_statement(wechat, day=today - timedelta(days=days_ago), lines=[{"amount": "10.00"}])
    with tenant_scope(organization), django_assert_num_queries(2):
        (row,) = home_selectors.channels_last_day()
    assert row["missing"] == []


def test_partner_statements_to_review_and_to_approve_by_this_user(organization, make_user):
    finance, colleague = make_user(organization, Role.FINANCE), second_finance(organization)
    east = region(organization, "EAST", "华东")
    partner, _store = partner_with_store(organization, east)
    rule = monthly_rule(organization, region=east)
    partner_statement(organization, partner, rule, month=1, status="draft")
    partner_statement(organization, partner, rule, month=2, status="reviewed", reviewed_by=colleague)
    partner_statement(organization, partner, rule, month=3, status="reviewed", reviewed_by=finance)
    partner_statement(organization, partner, rule, month=4, status="approved", reviewed_by=colleague)
    other = _other_organization()
    other_area = region(other, "EAST", "华东")
    other_partner, _store = partner_with_store(other, other_area)
    partner_statement(other, other_partner, monthly_rule(other, region=other_area), month=1, status="draft")

    with tenant_scope(organization):
        assert home_selectors.partner_statements_waiting(user=finance) == {"draft": 1, "reviewed": 2, "yours": 1}
        assert home_selectors.partner_statements_waiting(user=colleague) == {"draft": 1, "reviewed": 2, "yours": 1}
        # A rule letting its reviewer approve a small payable makes finance's own reviewed statement theirs too.
        rule.self_approval_limit = Decimal("1000.00")
        rule.save(update_fields=["self_approval_limit"])
        assert home_selectors.partner_statements_waiting(user=finance)["yours"] == 2


def test_service_jobs_to_complete_and_to_confirm(organization):
    east = region(organization, "EAST", "华东")
    partner, _store = partner_with_store(organization, east, code="INST", kind="installer")
    service_jobs(organization, partner, east, ["open", "open", "completed", "confirmed", "cancelled"])
    other = _other_organization()
    other_area = region(other, "EAST", "华东")
    other_partner, _store = partner_with_store(other, other_area, code="INST", kind="installer")
    service_jobs(other, other_partner, other_area, ["open"] * 3)
    with tenant_scope(organization):
        assert home_selectors.service_jobs_waiting() == {"open": 2, "completed": 1}


# --- the page -----------------------------------------------------------------------------------------------------


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _group_order(body):
    return re.findall(r'data-testid="home-group-([a-z]+)"', body)


def _tiles(body, group):
    section = body.split(f'data-testid="home-group-{group}"')[1].split("</section>")[0]
    return re.findall(r'data-testid="tile-([a-z-]+)"', section)


def _figure_text(body, testid):
    found = re.search(rf'<a [^>]*data-testid="{testid}"[^>]*>(.*?)</a>', body, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else None


def test_a_reviewer_is_told_a_colleague_approves_what_they_reviewed(organization, make_user):
    """The tile read "0 份可由你审批" under "2 份待审批" for the finance user who reviewed them both."""
    finance, colleague = make_user(organization, Role.FINANCE), second_finance(organization)
    east = region(organization, "EAST", "华东")
    partner, _store = partner_with_store(organization, east)
    rule = monthly_rule(organization, region=east)
    for month in (1, 2):
        partner_statement(organization, partner, rule, month=month, status="reviewed", reviewed_by=finance)

    mine = _client(finance).get("/settlement/").content.decode()
    assert _figure_text(mine, "figure-partner-reviewed") == "2 份待审批"
    assert "figure-partner-yours" not in mine
    assert 'data-testid="figure-partner-colleague"' in mine and "你已复核这些：需由另一位同事审批" in mine
    theirs = _client(colleague).get("/settlement/").content.decode()
    assert _figure_text(theirs, "figure-partner-yours") == "2 份可由你审批"
    assert "figure-partner-colleague" not in theirs


def test_finance_sees_its_pages_grouped_and_what_waits_on_each(organization, make_user):
    finance = make_user(organization, Role.FINANCE)
    channel = make_channel(organization)
    discrepancies(organization, channel, days_ago=1, count=2)
    discrepancies(organization, channel, days_ago=9)
    east = region(organization, "EAST", "华东")
    partner, _store = partner_with_store(organization, east, kind="installer")
    rule = monthly_rule(organization, region=east)
    partner_statement(organization, partner, rule, month=1, status="draft")
    service_jobs(organization, partner, east, ["open", "completed", "completed"])

    body = _client(finance).get("/settlement/").content.decode()

    assert _group_order(body) == ["daily", "partners", "reports", "configuration"]
    assert _tiles(body, "daily") == ["statements", "reconciliation", "discrepancies"]
    assert _tiles(body, "partners") == ["partner-statements", "service-jobs", "partners"]
    assert _tiles(body, "reports") == ["finance-dashboard", "orders"]
    assert "日常工作" in body and "合作方结算" in body
    assert _figure_text(body, "figure-discrepancies-open") == "3 条差异待处理"
    assert _figure_text(body, "figure-discrepancies-old") == "1 条超过 7 天"
    assert 'href="/settlement/discrepancies/?age_min=7" data-testid="figure-discrepancies-old"' in body
    assert _figure_text(body, "figure-partner-draft") == "1 份待复核"
    assert 'href="/settlement/settlements/?status=draft"' in body
    assert "figure-partner-reviewed" not in body
    assert _figure_text(body, "figure-jobs-open") == "1 个待完工"
    assert _figure_text(body, "figure-jobs-completed") == "2 个待客户确认"
    assert 'href="/settlement/service-jobs/?status=completed"' in body
    # The channel never had a statement: it says so (no payment through it in the ledger: no day is missing).
    assert _figure_text(body, "figure-channel-wechatpay") == "微信支付：尚未导入对账单"
    assert f'href="/settlement/statements/?channel={channel.pk}"' in body
    assert 'data-testid="figure-statements-reconciled"' in body  # no statement imported: nothing to reconcile


def test_nothing_waiting_reads_as_calm(organization, make_user):
    finance = make_user(organization, Role.FINANCE)
    body = _client(finance).get("/settlement/").content.decode()
    assert "没有待处理的差异" in body
    assert "已导入的对账单都已对账" in body
    assert "没有待复核或待审批的结算单" in body
    assert "没有待处理的服务工单" in body
    assert "figure-discrepancies-open" not in body


def test_ops_see_the_figures_of_the_pages_they_open_only(organization, make_user, ops_admin):
    channel = make_channel(organization)
    discrepancies(organization, channel, days_ago=1, count=2)
    east = region(organization, "EAST", "华东")
    partner, _store = partner_with_store(organization, east, kind="installer")
    partner_statement(organization, partner, monthly_rule(organization, region=east), month=1, status="draft")

    body = _client(ops_admin).get("/settlement/").content.decode()

    assert _figure_text(body, "figure-discrepancies-open") == "2 条差异待处理"
    # Ops do not read partner statements: neither the tile nor its figure.
    assert 'data-testid="tile-partner-statements"' not in body and "figure-partner" not in body
    assert "待复核" not in body
    assert _tiles(body, "partners") == ["service-jobs", "partners"]


def test_a_viewer_sees_no_tile_and_no_figure(organization, make_user):
    viewer = make_user(organization, Role.VIEWER)
    channel = make_channel(organization)
    discrepancies(organization, channel, days_ago=1, count=2)
    response = _client(viewer).get("/settlement/")
    body = response.content.decode()
    assert response.status_code == 403  # viewers read reports; the settlement module is not theirs
    assert "data-testid=\"tile-" not in body and "条差异待处理" not in body


def test_the_sidebar_shows_the_groups_captions(organization, make_user):
    body = _client(make_user(organization, Role.FINANCE)).get("/settlement/").content.decode()
    nav = body.split('class="scrm-sidebar')[1].split("</nav>")[0]
    captions = re.findall(r"data-subnav-caption>([^<]+)<", nav)
    assert captions == ["日常工作", "合作方结算", "报表", "配置"]
    pages = re.findall(r'data-subnav="([a-z-]+)"', nav)
    assert pages.index("statements") < pages.index("discrepancies") < pages.index("partner-statements")


def test_the_home_page_reads_a_bounded_number_of_queries(organization, make_user, django_assert_max_num_queries):
    finance = make_user(organization, Role.FINANCE)
    make_channel(organization, "jd")
    client = _client(finance)
    client.get("/settlement/")  # the permission caches warm, as every later visit finds them

    def many():
        east = region(organization, "EAST", "华东")
        partner, _store = partner_with_store(organization, east, kind="installer")
        rule = monthly_rule(organization, region=east)
        for month in range(1, 13):
            partner_statement(organization, partner, rule, month=month, status="draft" if month % 2 else "reviewed",
                              reviewed_by=None if month % 2 else finance)
        service_jobs(organization, partner, east, ["open", "completed"] * 10)
        for code in ("wechatpay", "alipay", "unionpay"):
            channel = make_channel(organization, code)
            for days_ago in range(1, 6):
                make_statement(channel, day=timezone.localdate() - timedelta(days=days_ago),
                               lines=[{"amount": "1.00"}])
                discrepancies(organization, channel, days_ago=days_ago, count=3)

    with django_assert_max_num_queries(20) as few:
        assert client.get("/settlement/").status_code == 200
    many()
    with django_assert_max_num_queries(len(few.captured_queries)) as more:
        body = client.get("/settlement/").content.decode()
    assert _figure_text(body, "figure-discrepancies-open") == "45 条差异待处理"
    assert len(more.captured_queries) <= len(few.captured_queries)
