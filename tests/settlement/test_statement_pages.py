"""Finance's statement pages: list, upload, an import's page, the channel settings; one permission per action."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from demo.statement_files import Entry, unionpay_csv, wechatpay_bill
from scrm.models import Role, SettingsChange
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import PaymentChannel, ReconciliationRun, StatementImport
from settlement.statements.services import payment_channels_ensure
from tests.scrm.factories import OrganizationFactory
from tests.settlement.statements import at, day_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


@pytest.fixture
def channels(organization):
    with tenant_scope(organization):
        payment_channels_ensure(organization=organization)
        return {channel.code: channel for channel in PaymentChannel.objects.all()}


def upload(client, channel, content, name="wechat.csv"):
    return client.post("/settlement/statements/upload/",
                       {"channel": channel.pk, "file": SimpleUploadedFile(name, content)})


def test_finance_uploads_a_bill_and_reads_its_figures(client, finance, channels, eager_tasks,
                                                      django_capture_on_commit_callbacks):
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, channels["wechatpay"], wechatpay_bill(day_entries()))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "4,197.00" in page and "2026-11-30" in page
    listing = client.get("/settlement/statements/")
    assert [row.record.file_name for row in listing.context["table"].page.object_list] == ["wechat.csv"]


def test_an_imported_bill_is_reconciled_from_its_own_page(client, finance, channels, eager_tasks, make_user,
                                                          django_capture_on_commit_callbacks):
    """The page of an imported bill ended on its figures: nothing said to reconcile it, nor linked there, and finance
    had to find 对账 and type the channel and days again. Its page now runs the reconciliation of its days."""
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, channels["wechatpay"], wechatpay_bill(day_entries()))
    page = client.get(response["Location"]).content.decode()
    form = page.split('data-testid="statement-reconcile"')[1].split("</form>")[0]
    fields = dict(re.findall(r'name="(channel|period_start|period_end)" value="([^"]*)"', form))
    assert fields == {"channel": str(channels["wechatpay"].pk), "period_start": "2026-11-30",
                      "period_end": "2026-11-30"}

    answer = client.post("/settlement/reconciliation/run/", fields)
    assert answer["Location"] == f"/settlement/reconciliation/report/?channel={channels['wechatpay'].pk}&day=2026-11-30"
    with tenant_scope(finance.organization):
        assert ReconciliationRun.objects.get().period_start.isoformat() == "2026-11-30"

    # Ops read the bill but may not run a reconciliation: no button they cannot use.
    client.force_login(make_user(finance.organization, Role.OPS_ADMIN, username="ops-acme"))
    assert 'data-testid="statement-reconcile"' not in client.get(response["Location"]).content.decode()


def test_a_second_upload_of_the_same_file_links_to_the_first(client, finance, channels, eager_tasks,
                                                             django_capture_on_commit_callbacks):
    client.force_login(finance)
    content = wechatpay_bill(day_entries())
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, channels["wechatpay"], content)
    response = upload(client, channels["wechatpay"], content, "again.csv")
    assert response.status_code == 400
    with tenant_scope(finance.organization):
        first = StatementImport.objects.get()
    assert f'href="/settlement/statements/{first.pk}/"' in response.content.decode()


def test_a_refused_file_shows_the_line(client, finance, channels, eager_tasks, django_capture_on_commit_callbacks):
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, channels["wechatpay"], wechatpay_bill(day_entries(), truncate=True))
    page = client.get(response["Location"]).content.decode()
    assert "statement-errors" in page and "文件在第 5 行结束" in page


def test_the_progress_bar_asks_for_a_reload_once_read(client, finance, channels):
    client.force_login(finance)
    with tenant_scope(finance.organization):
        row = StatementImport.objects.create(organization=finance.organization, channel=channels["wechatpay"],
                                             file_name="x.csv", file_sha256="0" * 64, file_size=1000,
                                             bytes_read=0)
    response = client.get(f"/settlement/statements/{row.pk}/progress/", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in response.content.decode() and "HX-Refresh" not in response
    with tenant_scope(finance.organization):
        StatementImport.objects.filter(pk=row.pk).update(status="imported")
    response = client.get(f"/settlement/statements/{row.pk}/progress/", headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"


def test_the_statement_list_is_bounded_in_queries(client, finance, channels, django_assert_max_num_queries):
    with tenant_scope(finance.organization):
        for n in range(30):
            StatementImport.objects.create(organization=finance.organization, channel=channels["alipay"],
                                           file_name=f"{n}.zip", file_sha256=f"{n:064d}", created_by=finance)
    client.force_login(finance)
    with django_assert_max_num_queries(15):
        response = client.get(f"/settlement/statements/?channel={channels['alipay'].pk}")
    assert len(response.context["table"].page.object_list) == 25


def test_a_filter_that_matches_nothing_says_so_not_that_there_is_no_statement(client, finance, channels):
    """The list filtered on 已拒绝 (none refused) read 还没有对账单。请上传… as if every statement were gone."""
    with tenant_scope(finance.organization):
        StatementImport.objects.create(organization=finance.organization, channel=channels["alipay"],
                                       file_name="1.zip", file_sha256="1" * 64, created_by=finance, status="imported")
    client.force_login(finance)
    page = client.get("/settlement/statements/?status=failed").content.decode()
    assert "没有符合筛选条件的记录。清除筛选即可查看全部。" in page and "还没有对账单" not in page
    assert "1.zip" in client.get("/settlement/statements/?status=&channel=").content.decode()  # an empty filter
    client.cookies["django_language"] = "en"
    page = client.get("/settlement/partners/?name=nobody").content.decode()
    assert "Nothing matches the filter. Clear it to see everything." in page and "No partner yet." not in page


def test_an_agent_and_a_foreign_organization_see_nothing(client, agent, finance, channels, make_user):
    client.force_login(agent)
    assert client.get("/settlement/statements/").status_code == 403
    with tenant_scope(finance.organization):
        row = StatementImport.objects.create(organization=finance.organization, channel=channels["alipay"],
                                             file_name="a.zip", file_sha256="1" * 64)
    with platform_scope():
        other = OrganizationFactory(slug="other")
    stranger = make_user(other, Role.FINANCE, username="finance-other")
    client.force_login(stranger)
    assert client.get(f"/settlement/statements/{row.pk}/").status_code == 404
    assert list(client.get("/settlement/statements/").context["table"].page.object_list) == []


def test_finance_may_not_change_a_channel_but_ops_may(client, finance, ops_admin, channels):
    client.force_login(finance)
    assert client.get("/settlement/channels/").status_code == 200
    assert client.get(f"/settlement/channels/{channels['unionpay'].pk}/").status_code == 403
    client.force_login(ops_admin)
    assert client.get(f"/settlement/channels/{channels['unionpay'].pk}/").status_code == 200


def test_a_mapped_channel_switched_to_another_layout_and_back_keeps_its_column_mapping(client, ops_admin, channels):
    """Saved once with another layout (chosen by mistake), the channel lost its column mapping: switched back to
    "mapped", every column title had to be typed again and the save was refused until then."""
    unionpay = channels["unionpay"]
    mapping = unionpay.mapping
    client.force_login(ops_admin)
    url = f"/settlement/channels/{unionpay.pk}/"
    form = {"code": "unionpay", "name": unionpay.name, "layout": "alipay", "currency": "CNY",
            "amount_tolerance": "0", "fee_tolerance": "0.01", "timing_window_minutes": "30", "write_off_limit": "100",
            "active": "on", "refund_values": ",".join(mapping["refund_values"]), "date_format": mapping["date_format"],
            "encoding": "auto", "header_row": "1",
            **{f"column_{field}": title for field, title in mapping["columns"].items()}}
    assert client.post(url, form).status_code == 302
    page = client.get(url).content.decode()
    assert 'value="交易金额"' in page  # the page still shows the titles
    assert client.post(url, {**form, "layout": "mapped"}).status_code == 302
    with tenant_scope(ops_admin.organization):
        unionpay.refresh_from_db()
    assert unionpay.layout == "mapped" and unionpay.mapping["columns"] == mapping["columns"]


def test_ops_create_a_mapped_channel_after_trying_the_mapping(client, ops_admin, channels):
    client.force_login(ops_admin)
    form = {"code": "jdpay", "name": "京东支付", "layout": "mapped", "currency": "CNY", "expected_fee_rate": "0.006",
            "amount_tolerance": "0", "fee_tolerance": "0.01", "timing_window_minutes": "30",
            "write_off_limit": "100", "active": "on", "column_order_number": "商户订单号", "column_amount": "交易金额",
            "column_time": "交易时间", "column_type": "交易类型", "column_transaction_id": "交易流水号",
            "refund_values": "退货", "date_format": "%Y-%m-%d %H:%M:%S", "encoding": "auto", "header_row": "1"}
    response = client.post("/settlement/channels/new/", {
        **form, "try": "1", "sample": SimpleUploadedFile("s.csv", unionpay_csv(day_entries()))})
    page = response.content.decode()
    assert response.status_code == 200 and "NO1003" in page and "1,299.00" in page
    with tenant_scope(ops_admin.organization):
        assert not PaymentChannel.objects.filter(code="jdpay").exists()
    response = client.post("/settlement/channels/new/", form)
    assert response.status_code == 302
    with tenant_scope(ops_admin.organization):
        channel = PaymentChannel.objects.get(code="jdpay")
        assert channel.mapping["columns"]["amount"] == "交易金额" and channel.mapping["refund_values"] == ["退货"]
        assert SettingsChange.objects.filter(subject="settlement.paymentchannel", subject_id=channel.pk).exists()
    response = client.post("/settlement/channels/new/", form)
    assert response.status_code == 400 and "jdpay" in response.content.decode()


def _semicolon_csv():
    """The UnionPay-like day of `unionpay_csv`, its columns separated by semicolons (as many European acquirers and
    some banks write them)."""
    return unionpay_csv(day_entries()).decode("gb18030").replace(",", ";").encode("gb18030")


def test_a_mapped_channel_reads_a_semicolon_separated_statement_set_on_its_page(
        client, ops_admin, finance, channels, eager_tasks, django_capture_on_commit_callbacks):
    form = {"code": "eupay", "name": "欧洲收单", "layout": "mapped", "currency": "CNY", "expected_fee_rate": "0.0038",
            "amount_tolerance": "0", "fee_tolerance": "0.01", "timing_window_minutes": "30",
            "write_off_limit": "100", "active": "on", "column_order_number": "商户订单号", "column_amount": "交易金额",
            "column_time": "交易时间", "column_type": "交易类型", "column_transaction_id": "交易流水号",
            "column_fee": "手续费", "column_refund_number": "退款单号", "refund_values": "退货",
            "date_format": "%Y-%m-%d %H:%M:%S", "encoding": "auto", "header_row": "1", "delimiter": "semicolon"}
    client.force_login(ops_admin)
    tried = client.post("/settlement/channels/new/", {
        **form, "try": "1", "sample": SimpleUploadedFile("s.csv", _semicolon_csv())}).content.decode()
    assert "NO1003" in tried and "1,299.00" in tried  # the trial reads it with the separator chosen
    assert client.post("/settlement/channels/new/", form).status_code == 302
    with tenant_scope(ops_admin.organization):
        channel = PaymentChannel.objects.get(code="eupay")
    assert channel.mapping["delimiter"] == ";"
    page = client.get(f"/settlement/channels/{channel.pk}/").content.decode()
    assert '<option value="semicolon" selected>分号 ;</option>' in page and "列分隔符（CSV）" in page
    # Saved again with another change, the separator stays.
    assert client.post(f"/settlement/channels/{channel.pk}/", {**form, "name": "欧洲收单（新）"}).status_code == 302
    with tenant_scope(ops_admin.organization):
        channel.refresh_from_db()
    assert (channel.name, channel.mapping["delimiter"]) == ("欧洲收单（新）", ";")

    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, channel, _semicolon_csv(), "eupay.csv")
    assert response.status_code == 302
    with tenant_scope(finance.organization):
        statement = StatementImport.objects.get(channel=channel)
    assert (statement.status, statement.line_count, statement.payment_count, statement.refund_count) == (
        "imported", 4, 3, 1)
    assert "4,197.00" in client.get(response["Location"]).content.decode()


def test_a_channel_set_to_detect_the_separator_keeps_no_delimiter(client, ops_admin, channels):
    client.force_login(ops_admin)
    unionpay = channels["unionpay"]
    page = client.get(f"/settlement/channels/{unionpay.pk}/").content.decode()
    assert '<option value="" selected>' in page
    with tenant_scope(ops_admin.organization):
        assert "delimiter" not in unionpay.mapping


def test_the_mapping_trial_shows_amounts_and_fees_as_finance_reads_them(client, ops_admin, channels):
    """The trial showed 12345.60 where every page writes 12,345.60, a fee of 10.00 as "1E+1" and the line's type as
    the parser's English key ("payment")."""
    form = {"code": "jdpay", "name": "京东支付", "layout": "mapped", "currency": "CNY", "expected_fee_rate": "0.006",
            "amount_tolerance": "0", "fee_tolerance": "0.01", "timing_window_minutes": "30",
            "write_off_limit": "100", "active": "on", "column_order_number": "商户订单号", "column_amount": "交易金额",
            "column_time": "交易时间", "column_type": "交易类型", "column_transaction_id": "交易流水号",
            "column_fee": "手续费", "refund_values": "退货", "date_format": "%Y-%m-%d %H:%M:%S", "encoding": "auto",
            "header_row": "1"}
    sample = unionpay_csv([Entry("NO2001", "4200002026113012345670001", Decimal("12345.60"), at(10),
                                 fee=Decimal("10.00")),
                           Entry("NO2001", "4200002026113012345670001", Decimal("1500.00"), at(11), kind="refund",
                                 fee=Decimal("0.00"), refund_number="RF2001")])
    client.force_login(ops_admin)

    response = client.post("/settlement/channels/new/", {**form, "try": "1",
                                                         "sample": SimpleUploadedFile("s.csv", sample)})

    assert response.status_code == 200
    preview = response.content.decode().split('data-testid="mapping-preview"')[1].split("</table>")[0]
    assert ('<td>支付</td><td>NO2001</td><td>4200002026113012345670001</td><td class="text-end">12,345.60</td>'
            '<td class="text-end">10.00</td>') in preview
    assert '<td>退款</td>' in preview and '<td class="text-end">1,500.00</td>' in preview
    assert "1E+1" not in preview and "payment" not in preview
