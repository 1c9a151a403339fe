"""Working the discrepancies (workbench, actions, write-off approval), the report and its Excel, the dry-run, the
reconcile command, tenant isolation."""

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from openpyxl import load_workbook

from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import Discrepancy, DiscrepancyAction, ReconciliationRun
from settlement.reconciliation import errors
from settlement.reconciliation.labels import discrepancy_subject
from settlement.reconciliation.services import (
    discrepancy_annotate,
    discrepancy_open_ticket,
    discrepancy_resolve,
    discrepancy_write_off,
    discrepancy_write_off_approve,
    reconciliation_dry_run,
    reconciliation_run,
)
from settlement.reconciliation.web import MSG_NO_STATEMENT
from tests.scrm.factories import OrganizationFactory
from tests.settlement.recon import (
    DAY,
    local,
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
def channel(organization):
    return make_channel(organization)


@pytest.fixture
def store(organization, channel):
    return make_store(organization, channel)


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


@pytest.fixture
def finance2(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-2")


@pytest.fixture
def day_run(channel, store):
    make_order(store, "W1", "1000.00")
    make_order(store, "W2", "10.00")
    make_order(store, "W3", "5.00")
    make_statement(channel, lines=[pay("W1", "800.00"), pay("W2", "9.50"), pay("=cmd|'/c calc'!A1", "3.00")])
    return reconciliation_run(channel=channel, period_start=DAY)


def by_key(organization, key):
    with tenant_scope(organization):
        return Discrepancy.objects.select_related("channel").get(key=key)


def test_finance_works_the_list_in_bounded_queries(client, finance, organization, day_run,
                                                   django_assert_max_num_queries):
    client.force_login(finance)
    with django_assert_max_num_queries(14):
        response = client.get("/settlement/discrepancies/")
    assert response.status_code == 200
    keys = [row.record.key for row in response.context["table"].page.object_list]
    assert sorted(keys) == ["order:=cmd|'/c calc'!A1", "order:W1", "order:W2", "order:W3"]
    response = client.get("/settlement/discrepancies/?kind=amount_mismatch&amount_min=100")
    assert [row.record.key for row in response.context["table"].page.object_list] == ["order:W1"]


def test_the_workbench_opens_on_what_is_left_to_work(client, finance, organization, day_run):
    """The status select reads "待处理及待审批" when nothing is chosen, and the list must say the same: on the first
    visit (no query string) it listed resolved and cleared discrepancies too, which the same page with any filter
    applied did not."""
    client.force_login(finance)
    discrepancy_resolve(discrepancy=by_key(organization, "order:W2"), by=finance, code="rounding")

    def keys(url):
        return sorted(row.record.key for row in client.get(url).context["table"].page.object_list)

    left = ["order:=cmd|'/c calc'!A1", "order:W1", "order:W3"]
    assert keys("/settlement/discrepancies/") == left
    assert keys("/settlement/discrepancies/?status=") == left
    assert keys("/settlement/discrepancies/?status=resolved") == ["order:W2"]


def test_the_workbench_filter_row_is_one_size(client, finance, day_run):
    """Its channel and store drop-downs were full size beside the small controls of the rest of the row."""
    client.force_login(finance)
    form = client.get("/settlement/discrepancies/").context["filter"].form
    for name in ("channel", "kind", "status", "store"):
        assert 'class="form-select form-select-sm"' in str(form[name]), name


def test_finance_resolves_with_a_reason_and_it_is_recorded(client, finance, organization, day_run):
    client.force_login(finance)
    d = by_key(organization, "order:W2")
    page = client.get(f"/settlement/discrepancies/{d.pk}/").content.decode()
    assert "9.50" in page and "10.00" in page and "order_number" in page
    response = client.post(f"/settlement/discrepancies/{d.pk}/resolve/", {"code": "rounding", "note": "抹零"})
    assert response.status_code == 302
    d = by_key(organization, "order:W2")
    assert (d.status, d.resolution_code, d.resolved_by_id) == ("resolved", "rounding", finance.pk)
    with tenant_scope(organization):
        action = DiscrepancyAction.objects.get(discrepancy=d)
    assert (action.action, action.by_id, action.code, action.note) == ("resolve", finance.pk, "rounding", "抹零")


def test_an_agent_may_not_open_the_workbench(client, agent, day_run):
    client.force_login(agent)
    assert client.get("/settlement/discrepancies/").status_code == 403


def test_a_write_off_above_the_limit_needs_a_second_person(organization, day_run, finance, finance2):
    big = by_key(organization, "order:W1")  # 200.00 above the limit of 100
    discrepancy_write_off(discrepancy=big, by=finance, note="客户少付")
    assert by_key(organization, "order:W1").status == "write_off_requested"
    with pytest.raises(errors.ReconciliationError) as refused:
        discrepancy_write_off_approve(discrepancy=big, by=finance)
    assert str(refused.value) == str(errors.MSG_OWN_WRITE_OFF)
    assert by_key(organization, "order:W1").status == "write_off_requested"
    discrepancy_write_off_approve(discrepancy=big, by=finance2)
    big = by_key(organization, "order:W1")
    assert (big.status, big.resolved_by_id) == ("written_off", finance2.pk)
    with tenant_scope(organization):
        assert list(big.actions.values_list("action", "by_id", "amount")) == [
            ("write_off_request", finance.pk, Decimal("200.00")), ("write_off_approve", finance2.pk,
                                                                   Decimal("200.00"))]
    # Below the limit, one person writes off at once.
    small = discrepancy_write_off(discrepancy=by_key(organization, "order:W2"), by=finance)
    assert small.status == "written_off"


def test_a_ticket_is_opened_for_the_orders_customer_or_refused(organization, day_run, finance, channel, store):
    from scrm.customers.services import customer_create

    with tenant_scope(organization):
        buyer = customer_create(organization=organization, display_name="张三", mobile="", source_channel="youzan")
        store.orders.filter(external_number="W1").update(customer=buyer)
    d = discrepancy_open_ticket(discrepancy=by_key(organization, "order:W1"), by=finance, note="请核实")
    with tenant_scope(organization):
        assert d.ticket.customer_id == buyer.pk and d.ticket.order_number == "W1"
    with pytest.raises(errors.ReconciliationError):
        discrepancy_open_ticket(discrepancy=by_key(organization, "order:=cmd|'/c calc'!A1"), by=finance)


def test_the_report_and_its_excel_with_formulas_neutralised(client, finance, organization, channel, day_run):
    client.force_login(finance)
    page = client.get(f"/settlement/reconciliation/report/?channel={channel.pk}&day={DAY}")
    assert page.status_code == 200
    assert "recon-chart-data" in page.content.decode()
    response = client.get(f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={DAY}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    summary = [row for row in book.worksheets[0].iter_rows(values_only=True)]
    assert summary[2][1:] == (0, 0)  # matched: none
    values = [cell for row in book.worksheets[1].iter_rows(values_only=True) for cell in row]
    assert "订单 =cmd|'/c calc'!A1" in values and "'=cmd|'/c calc'!A1" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_the_excel_names_a_resolution_as_the_page_does(client, finance, organization, channel, day_run):
    discrepancy_resolve(discrepancy=by_key(organization, "order:W2"), by=finance, code="rounding")
    client.force_login(finance)

    response = client.get(f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={DAY}")

    sheet = load_workbook(io.BytesIO(response.content)).worksheets[1]
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert rows["订单 W2"][11] == "尾差" and rows["订单 W1"][11] in ("", None)


def test_the_excel_names_what_a_line_matched_by_as_the_page_does(client, finance, organization, channel, day_run):
    """The Lines sheet's 匹配依据 read order_number, the matching's own name for the key, in either language."""
    client.force_login(finance)

    response = client.get(f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={DAY}")

    lines = load_workbook(io.BytesIO(response.content)).worksheets[2]
    rows = {row[2]: row for row in lines.iter_rows(values_only=True)}
    assert rows["订单号"][10] == "匹配依据" and rows["W1"][10] == "订单号"
    client.cookies["django_language"] = "en"
    response = client.get(f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={DAY}")
    lines = load_workbook(io.BytesIO(response.content)).worksheets[2]
    rows = {row[2]: row for row in lines.iter_rows(values_only=True)}
    assert rows["Order number"][10] == "Matched by" and rows["W1"][10] == "order number"


def test_the_home_shows_a_tile_per_channel(client, finance, organization, channel, day_run):
    client.force_login(finance)
    assert 'href="/settlement/reconciliation/"' in client.get("/settlement/").content.decode()  # from the hub
    page = client.get("/settlement/reconciliation/").content.decode()
    assert 'data-testid="channel-tile"' in page and "微信支付" in page


def test_a_dry_run_says_what_a_tolerance_would_change_and_saves_nothing(organization, channel, store):
    make_order(store, "Y1", "100.00")
    make_order(store, "Y2", "100.00")
    make_statement(channel, lines=[pay("Y1", "100.03"), pay("Y2", "100.20")])
    run = reconciliation_run(channel=channel, period_start=DAY)
    [result] = reconciliation_dry_run(channel=channel, changes={"amount": "0.05"}, periods=[(DAY, DAY)])
    assert result["before"]["amount_mismatch"]["count"] == 2
    assert result["after"]["amount_mismatch"]["count"] == 1
    assert result["moves"] == [{"from": "amount_mismatch", "to": "matched", "count": 1}]
    with tenant_scope(organization):
        assert ReconciliationRun.objects.get().summary == run.summary
        assert Discrepancy.objects.filter(kind="amount_mismatch", status="open").count() == 2


def test_the_reconcile_command_prints_the_summary_object(organization, channel, store, capsys):
    make_order(store, "K1", "12.34")
    make_statement(channel, lines=[pay("K1", "12.34")])
    call_command("reconcile", "--organization", "acme", "--channel", "wechatpay", "--date", str(DAY))
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == ["matched", "amount_mismatch", "fee_mismatch", "missing_in_ledger",
                             "missing_in_channel", "duplicate", "refund_mismatch", "statement_total", "ledger_total"]
    assert printed["matched"] == {"count": 1, "amount": "12.34"} and printed["statement_total"] == "12.34"


def test_the_reconcile_command_refuses_in_the_operators_language_and_runs_nothing(organization, channel):
    """Its refusals were English f-strings ("No payment channel 'jdpay' in acme."): now translatable messages."""
    from django.core.management import CommandError

    from settlement.errors import MSG_NO_ORGANIZATION, MSG_NO_PAYMENT_CHANNEL_IN, MSG_NOT_A_DATE

    cases = [
        (["--organization", "nobody", "--channel", "wechatpay", "--date", str(DAY)],
         MSG_NO_ORGANIZATION % {"slug": "nobody"}),
        (["--organization", "acme", "--channel", "wechatpay", "--date", "30/11/2026"],
         MSG_NOT_A_DATE % {"value": "30/11/2026"}),
        (["--organization", "acme", "--channel", "jdpay", "--date", str(DAY)],
         MSG_NO_PAYMENT_CHANNEL_IN % {"code": "jdpay", "organization": "acme"}),
    ]
    with translation.override("zh-hans"):
        for arguments, message in cases:
            with pytest.raises(CommandError) as refused:
                call_command("reconcile", *arguments)
            assert str(refused.value) == str(message)
    with tenant_scope(organization):
        assert not ReconciliationRun.objects.exists()


def test_another_organization_sees_and_matches_nothing_of_ours(client, make_user, organization, channel, day_run):
    with platform_scope():
        other = OrganizationFactory(slug="other", name="别家")
    other_channel = make_channel(other)
    other_store = make_store(other, other_channel)
    make_order(other_store, "W1", "800.00")  # the same order number, in the other ledger
    run = reconciliation_run(channel=other_channel, period_start=DAY)
    assert run.summary["statement_total"] == "0.00" and run.summary["missing_in_channel"]["count"] == 1
    assert by_key(organization, "order:W1").kind == "amount_mismatch"
    outsider = make_user(other, Role.FINANCE, username="finance-other")
    client.force_login(outsider)
    mine = by_key(organization, "order:W1")
    assert client.get(f"/settlement/discrepancies/{mine.pk}/").status_code == 404
    assert client.post(f"/settlement/discrepancies/{mine.pk}/resolve/", {"code": "other"}).status_code == 404
    listed = client.get("/settlement/discrepancies/").context["table"].page.object_list
    assert [row.record.key for row in listed] == ["order:W1"]
    assert listed[0].record.organization_id == other.pk


def test_finance_runs_a_day_from_the_page_and_tries_a_tolerance(client, finance, organization, channel, store):
    yesterday = timezone.localdate() - timedelta(days=1)
    make_order(store, "P1", "100.00", paid_at=local(yesterday))
    make_statement(channel, day=yesterday, lines=[pay("P1", "100.04")])
    client.force_login(finance)
    response = client.post("/settlement/reconciliation/run/", {"channel": channel.pk, "period_start": yesterday})
    assert response.status_code == 302 and "report" in response["Location"]
    with tenant_scope(organization):
        assert ReconciliationRun.objects.get().summary["amount_mismatch"]["count"] == 1
    page = client.get(f"/settlement/channels/{channel.pk}/dry-run/?amount=0.05&fee=0.01&fee_rate=0.006"
                      "&timing_window_minutes=30&days=3")
    assert page.status_code == 200
    [row] = page.context["results"]
    assert row["changed"] == 1 and row["after"]["matched"]["count"] == 1


def test_ops_read_the_workbench_but_cannot_act(client, ops_admin, organization, day_run):
    client.force_login(ops_admin)
    d = by_key(organization, "order:W2")
    assert client.get(f"/settlement/discrepancies/{d.pk}/").status_code == 200
    assert client.post(f"/settlement/discrepancies/{d.pk}/resolve/", {"code": "rounding"}).status_code == 403
    assert by_key(organization, "order:W2").status == "open"
    with pytest.raises(errors.ReconciliationError):
        discrepancy_write_off(discrepancy=d, by=ops_admin)
    with tenant_scope(organization):
        assert not DiscrepancyAction.objects.exists()


def test_a_day_not_reconciled_shows_its_empty_state_not_an_export_of_nothing(client, finance, ops_admin, channel,
                                                                              store):
    """The report offered "导出 Excel" for a day no run had reconciled, and the workbook held nothing."""
    day = DAY - timedelta(days=3)
    client.force_login(finance)
    page = client.get(f"/settlement/reconciliation/report/?channel={channel.pk}&day={day}").content.decode()
    assert 'data-testid="export"' not in page and "report.xlsx" not in page
    empty = page.split('data-testid="not-reconciled"')[1]
    assert "这一天还没有对账" in empty
    # No statement of that day yet: the next step is importing it, not reconciling nothing.
    assert "还没有导入该渠道这一天的对账单" in empty and 'data-testid="reconcile-day"' not in empty
    assert f'href="/settlement/statements/upload/?channel={channel.pk}"' in empty
    # A link to the export of that day (an old bookmark) goes back to the report, saying why.
    response = client.get(f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={day}", follow=True)
    assert response.redirect_chain[-1][0] == f"/settlement/reconciliation/report/?channel={channel.pk}&day={day}"
    assert "还没有对账，没有可导出的内容" in response.content.decode()
    # Someone who may read the report but not reconcile sees no button.
    client.force_login(ops_admin)
    page = client.get(f"/settlement/reconciliation/report/?channel={channel.pk}&day={day}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="not-reconciled"' in html and 'data-testid="reconcile-day"' not in html
    assert 'data-testid="import-statement"' not in html and "对账由财务人员执行" in html


def test_the_reconcile_button_of_the_empty_state_reconciles_that_day(client, finance, organization, channel, store):
    make_order(store, "E1", "20.00")
    make_statement(channel, lines=[pay("E1", "20.00")])
    client.force_login(finance)
    page = client.get(f"/settlement/reconciliation/report/?channel={channel.pk}&day={DAY}").content.decode()
    assert 'data-testid="reconcile-day"' in page and f'name="period_start" value="{DAY}"' in page
    assert 'data-testid="no-statement"' not in page
    response = client.post("/settlement/reconciliation/run/", {"channel": channel.pk, "period_start": DAY},
                           follow=True)
    assert 'data-testid="export"' in response.content.decode()
    with tenant_scope(organization):
        assert ReconciliationRun.objects.get().summary["matched"]["count"] == 1


@pytest.mark.parametrize("channel_value", ["abc", "1.5", "-1", ""])
def test_a_report_link_with_a_channel_that_is_not_a_number_is_not_found(client, finance, channel, channel_value):
    """`?channel=abc` on the report (and its Excel) answered 500."""
    client.force_login(finance)
    assert client.get(f"/settlement/reconciliation/report/?channel={channel_value}&day={DAY}").status_code == 404
    assert client.get(f"/settlement/reconciliation/report.xlsx?channel={channel_value}").status_code == 404


def test_a_run_without_channel_or_day_names_the_missing_fields(client, finance, organization, channel):
    """Reconciling with the form empty said "此项为必填。 此项为必填。", naming neither field."""
    client.force_login(finance)
    response = client.post("/settlement/reconciliation/run/", {"channel": "", "period_start": ""}, follow=True)
    shown = response.content.decode().split('data-testid="run-errors">')[1]
    assert shown.startswith("<div>渠道：此项为必填。</div><div>开始日期：此项为必填。</div></div>")
    with tenant_scope(organization):
        assert not ReconciliationRun.objects.exists()


def test_a_day_reconciled_with_no_line_shows_no_match_rate_not_a_bare_percent(client, finance, channel, store):
    """A run over a day with no line has no match rate; the report read '—%'."""
    reconciliation_run(channel=channel, period_start=DAY)
    client.force_login(finance)
    page = client.get(f"/settlement/reconciliation/report/?channel={channel.pk}&day={DAY}").content.decode()
    assert "—%" not in page
    assert page.split('data-testid="match-rate">')[1].split("</dd>")[0] == "—"


def test_finance_reads_a_discrepancys_ticket_number_ops_follow_its_link(client, organization, day_run, finance,
                                                                        ops_admin, store):
    """Finance opened a ticket from a discrepancy; its number on the list and the discrepancy's page linked to the
    ticket page, which answers finance 403 (the tickets module is not theirs)."""
    from scrm.customers.services import customer_create

    with tenant_scope(organization):
        buyer = customer_create(organization=organization, display_name="张三", mobile="", source_channel="youzan")
        store.orders.filter(external_number="W1").update(customer=buyer)
    d = discrepancy_open_ticket(discrepancy=by_key(organization, "order:W1"), by=finance, note="请核实")
    link = f'href="/tickets/{d.ticket_id}/"'
    client.force_login(finance)
    assert client.get(f"/tickets/{d.ticket_id}/").status_code == 403
    for url in ("/settlement/discrepancies/", f"/settlement/discrepancies/{d.pk}/"):
        page = client.get(url).content.decode()
        assert d.ticket.number in page and link not in page, url
    client.force_login(ops_admin)
    for url in ("/settlement/discrepancies/", f"/settlement/discrepancies/{d.pk}/"):
        assert link in client.get(url).content.decode(), url
    assert client.get(f"/tickets/{d.ticket_id}/").status_code == 200


def test_the_run_form_refuses_a_day_with_no_statement_and_links_its_upload(client, finance, organization, channel,
                                                                             store):
    """The home page's run form reconciled a day no statement was imported for: a run of nothing (or of every order
    as unpaid by the channel). It now refuses, naming the day and the channel, and links the channel's upload."""
    make_order(store, "N1", "20.00")
    make_statement(channel, lines=[pay("N1", "20.00")])  # DAY has its statement, the day after has none
    empty_day = DAY + timedelta(days=1)
    client.force_login(finance)
    response = client.post("/settlement/reconciliation/run/", {"channel": channel.pk, "period_start": empty_day},
                           follow=True)
    refusal = response.content.decode().split('data-testid="no-statement"')[1].split("</div>")[0]
    with translation.override("zh-hans"):
        expected = str(MSG_NO_STATEMENT % {"channel": channel.name, "days": f"{empty_day:%Y-%m-%d}"})
    assert expected in refusal
    assert f"{empty_day:%Y-%m-%d}" in refusal and channel.name in refusal
    assert f'href="/settlement/statements/upload/?channel={channel.pk}"' in refusal
    # A period reaching past the imported day is refused the same way, naming only the missing day.
    response = client.post("/settlement/reconciliation/run/",
                           {"channel": channel.pk, "period_start": DAY, "period_end": empty_day}, follow=True)
    assert expected in response.content.decode()
    with tenant_scope(organization):
        assert not ReconciliationRun.objects.exists()
    # The day with its statement still reconciles from the same form.
    response = client.post("/settlement/reconciliation/run/", {"channel": channel.pk, "period_start": DAY})
    assert response.status_code == 302 and "report" in response["Location"]


def test_a_refused_run_redirects_so_a_reload_never_posts_again(client, finance, organization, channel, store):
    """A run refused for a day with no statement answered its POST with the page itself, at /reconciliation/run/: a
    reload asked the browser to post the form again. It now redirects to the home page, which shows the refusal with
    the form as filled in; reloading that page reads, and once the statement is imported it offers the run."""
    make_order(store, "R1", "20.00")
    client.force_login(finance)
    posted = {"channel": channel.pk, "period_start": DAY, "period_end": DAY + timedelta(days=1)}
    response = client.post("/settlement/reconciliation/run/", posted)
    assert response.status_code == 302
    assert response["Location"] == (f"/settlement/reconciliation/?channel={channel.pk}&period_start={DAY}"
                                    f"&period_end={DAY + timedelta(days=1)}")
    for _reload in range(2):
        page = client.get(response["Location"])
        assert page.status_code == 200
        html = page.content.decode()
        refusal = html.split('data-testid="no-statement"')[1].split("</div>")[0]
        with translation.override("zh-hans"):
            days = f"{DAY:%Y-%m-%d}, {DAY + timedelta(days=1):%Y-%m-%d}"
            assert str(MSG_NO_STATEMENT % {"channel": channel.name, "days": days}) in refusal
        assert f'href="/settlement/statements/upload/?channel={channel.pk}"' in refusal
        # What was filled in is still there.
        assert f'<option value="{channel.pk}" selected>' in html
        assert f'name="period_start" value="{DAY}"' in html
        assert f'name="period_end" value="{DAY + timedelta(days=1)}"' in html
    with tenant_scope(organization):
        assert not ReconciliationRun.objects.exists()
    # A period that ends before it starts comes back the same way, the dates kept, the reason on the form.
    response = client.post("/settlement/reconciliation/run/",
                           {"channel": channel.pk, "period_start": DAY, "period_end": DAY - timedelta(days=2)})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "结束日期早于开始日期" in html.split('data-testid="run-errors"')[1]
    assert f'name="period_end" value="{DAY - timedelta(days=2)}"' in html
    with tenant_scope(organization):
        assert not ReconciliationRun.objects.exists()


def test_a_discrepancy_is_named_for_what_it_is_about_not_by_its_key(client, finance, organization, channel, store):
    """The workbench's 差异对象 column, the discrepancy's page and the day's workbook showed the matching's internal
    key ("order:W1", "dup:payment:D1:2"); they now read as finance names things, and the number filter still finds
    them."""
    make_order(store, "W1", "1000.00")
    make_order(store, "D1", "20.00")
    make_refund(make_order(store, "R0", "50.00"), "RF9", "50.00")
    make_statement(channel, lines=[pay("W1", "800.00"), pay("D1", "20.00"), pay("D1", "20.00"),
                                   pay("R0", "50.00"), refund_line("RF9", "R0", "40.00"),
                                   pay("", "7.00", transaction_id="4200000001")])
    reconciliation_run(channel=channel, period_start=DAY)
    client.force_login(finance)
    response = client.get("/settlement/discrepancies/?status=")
    table = response.content.decode().split('data-testid="discrepancies"')[1].split("</table>")[0]
    for shown in ("订单 W1", "重复支付 D1（第 2 笔）", "退款 RF9", "交易 4200000001"):
        assert f">{shown}</a>" in table, shown
    assert "order:" not in table and "dup:" not in table and "refund:" not in table and "txn:" not in table
    response = client.get("/settlement/discrepancies/?status=&number=W1")
    assert [row.record.key for row in response.context["table"].page.object_list] == ["order:W1"]
    assert ">订单 W1</a>" in response.content.decode()
    duplicate = by_key(organization, "dup:payment:D1:2")
    page = client.get(f"/settlement/discrepancies/{duplicate.pk}/").content.decode()
    assert page.count("差异 重复支付 D1（第 2 笔）") == 3  # the title, the heading and its tooltip (cut on a phone)
    assert "dup:payment" not in page
    book = load_workbook(io.BytesIO(client.get(
        f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={DAY}").content))
    about = [row[0] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert {"订单 W1", "重复支付 D1（第 2 笔）", "退款 RF9", "交易 4200000001"} <= set(about)
    assert not any(str(value).startswith(("order:", "dup:", "refund:", "txn:")) for value in about)


def test_every_shape_of_key_reads_in_chinese():
    with translation.override("zh-hans"):
        assert discrepancy_subject("order:E2026113000051") == "订单 E2026113000051"
        assert discrepancy_subject("refund:RFE1") == "退款 RFE1"
        assert discrepancy_subject("txn:4200") == "交易 4200"
        assert discrepancy_subject("rtxn:CR7") == "渠道退款 CR7"
        assert discrepancy_subject("line:12") == "对账单行 12"
        assert discrepancy_subject("dup:payment:E2026120200067:2") == "重复支付 E2026120200067（第 2 笔）"
        assert discrepancy_subject("dup:payment:txn:T9:3") == "重复支付 交易 T9（第 3 笔）"
        assert discrepancy_subject("dup:refund:rtxn:CR7:2") == "重复退款 渠道退款 CR7（第 2 笔）"
        assert discrepancy_subject("something-else") == "something-else"


def test_the_day_workbook_disarms_full_width_and_tab_formulas_too(client, finance, organization, channel, store):
    """The day's workbook disarmed only = + - @: an order number typed with a Chinese IME's full-width ＝ or a note
    starting with a tab reached the cell as it was. It now uses the neutraliser every other export uses."""
    make_order(store, '＝HYPERLINK("http://x")', "10.00")
    make_statement(channel, lines=[pay('＝HYPERLINK("http://x")', "9.00"), pay("\t=1+1", "3.00")])
    reconciliation_run(channel=channel, period_start=DAY)
    discrepancy_annotate(discrepancy=by_key(organization, 'order:＝HYPERLINK("http://x")'), by=finance,
                         note="＋86 138 0000 0000")
    client.force_login(finance)
    response = client.get(f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={DAY}")
    book = load_workbook(io.BytesIO(response.content))
    values = [cell for sheet in book.worksheets[1:] for row in sheet.iter_rows(values_only=True) for cell in row
              if isinstance(cell, str)]
    assert '\'＝HYPERLINK("http://x")' in values and "'＋86 138 0000 0000" in values and "'\t=1+1" in values
    assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")) for value in values)


def test_the_pager_of_a_list_is_named_in_chinese(client, finance, day_run):
    """Every list's pager (django-tables2's template) was announced as "Table navigation", in English, on Chinese
    pages."""
    client.force_login(finance)
    html = client.get("/settlement/discrepancies/?status=&per_page=1").content.decode()
    pager = html.split('data-testid="table-pager"')[1].split("</nav>")[0]
    assert '<nav aria-label="表格分页" data-testid="table-pager"' in html
    assert "page=2" in pager and "page=4" in pager  # the pages are still there, in the library's own markup
    assert "Table navigation" not in html


def test_the_excel_writes_stored_text_with_control_characters_and_formula_starts_as_plain_text(
        client, finance, organization, channel, day_run):
    """A note or order number stored before input was cleaned (a control character openpyxl refuses) made the whole
    workbook fail; every text cell goes through the workbooks' one helper: the character dropped, a formula inert."""
    with tenant_scope(organization):
        Discrepancy.objects.filter(key="order:W1").update(note="@SUM(A1)\x07 请核实", order_number="+W1\x01")
        Discrepancy.objects.filter(key="order:W2").update(note="=1+1\x1b")
    client.force_login(finance)

    response = client.get(f"/settlement/reconciliation/report.xlsx?channel={channel.pk}&day={DAY}")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[1]
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert rows["订单 W1"][3] == "'+W1" and rows["订单 W1"][12] == "'@SUM(A1) 请核实"
    assert rows["订单 W2"][12] == "'=1+1"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_the_run_form_opens_on_yesterday_in_a_date_the_browser_accepts(client, finance, organization, channel):
    """In Chinese the form wrote its first day as 2026/12/04, a value a date input refuses: the field showed empty
    and finance had to pick the day the page meant to offer."""
    client.force_login(finance)

    page = client.get("/settlement/reconciliation/").content.decode()

    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert f'type="date" name="period_start" value="{yesterday}"' in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_finances_date_inputs_write_iso_dates_in_every_language(language):
    from datetime import date

    from settlement.partner_forms import ExchangeRateForm, RuleForm
    with translation.override(language):
        assert 'value="2026-12-04"' in str(ExchangeRateForm(initial={"day": date(2026, 12, 4)})["day"])
        assert 'value="2026-12-04"' in str(RuleForm(initial={"valid_from": date(2026, 12, 4)})["valid_from"])
