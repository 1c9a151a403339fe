"""Importing a statement file: once (sha256), all or nothing, through the outbox job; the default channels."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from demo.statement_files import alipay_bill, wechatpay_bill
from scrm.platform.tenancy import tenant_scope
from scrm.services import organization_create
from settlement.models import PaymentChannel, StatementImport, StatementLine, StatementLineMatch
from settlement.statements.messages import StatementRefused
from settlement.statements.services import payment_channels_ensure, statement_import, statement_import_progress
from tests.settlement.statements import DAY, day_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_jobs(eager_tasks, django_capture_on_commit_callbacks):
    def run(**kwargs):
        with tenant_scope(kwargs["organization"]):
            with django_capture_on_commit_callbacks(execute=True):
                row = statement_import(**kwargs)
            row.refresh_from_db()
        return row

    return run


def channel(organization, code):
    with tenant_scope(organization):
        payment_channels_ensure(organization=organization)
        return PaymentChannel.objects.get(code=code)


def upload(content, name="bill.csv"):
    return SimpleUploadedFile(name, content)


def test_every_organization_starts_with_the_three_channels(organization):
    other = organization_create(slug="other-co", name="Other")
    with tenant_scope(other):
        assert sorted(PaymentChannel.objects.values_list("code", "layout")) == [
            ("alipay", "alipay"), ("unionpay", "mapped"), ("wechatpay", "wechatpay")]
        assert PaymentChannel.objects.get(code="unionpay").mapping["columns"]["amount"] == "交易金额"
    # Idempotent: a channel finance renamed keeps its name, the missing ones are added.
    with tenant_scope(organization):
        PaymentChannel.objects.create(organization=organization, code="wechatpay", name="微信支付（门店）",
                                      layout="wechatpay")
        payment_channels_ensure(organization=organization)
        payment_channels_ensure(organization=organization)
        assert sorted(PaymentChannel.objects.values_list("code", "name")) == [
            ("alipay", "支付宝"), ("unionpay", "银联"), ("wechatpay", "微信支付（门店）")]


def test_a_wechatpay_bill_is_imported_with_its_figures(organization, run_jobs):
    wechat = channel(organization, "wechatpay")
    row = run_jobs(organization=organization, channel=wechat, file=upload(wechatpay_bill(day_entries())))
    assert row.status == StatementImport.Status.IMPORTED and row.job_state == "done"
    assert (row.layout, row.line_count, row.payment_count, row.refund_count) == ("wechatpay-current", 4, 3, 1)
    assert row.gross_total == Decimal("4197.00")  # 2999 + 199 + 1299 − 300
    assert row.fee_total == Decimal("25.18200")
    assert (row.period_start, row.period_end) == (DAY, DAY)
    assert statement_import_progress(row)["percent"] == 100
    with tenant_scope(organization):
        lines = list(StatementLine.objects.filter(statement=row).order_by("line_number"))
    assert [(line.line_number, line.kind, line.order_number, line.gross_amount) for line in lines] == [
        (2, "payment", "NO1001", Decimal("2999.00")), (3, "payment", "NO1002", Decimal("199.00")),
        (4, "payment", "NO1003", Decimal("1299.00")), (5, "refund", "NO1001", Decimal("300.00"))]
    refund = lines[3]
    assert (refund.refund_number, refund.channel_id, refund.bill_date) == ("RF1001", wechat.pk, DAY)
    with tenant_scope(organization):
        assert not StatementLineMatch.objects.filter(line__statement=row).exists()  # no run yet
    assert refund.occurred_at.isoformat() == "2026-11-30T08:20:00+00:00"
    assert refund.raw.startswith("`2026-11-30 16:20:00")


def test_an_alipay_zip_is_imported(organization, run_jobs):
    row = run_jobs(organization=organization, channel=channel(organization, "alipay"),
                   file=upload(alipay_bill(day_entries(), day=DAY), "alipay.zip"))
    assert (row.status, row.line_count, row.refund_count) == ("imported", 4, 1)
    assert row.gross_total == Decimal("4197.00")


def test_the_same_file_twice_is_refused_with_the_first_import(organization, run_jobs):
    wechat = channel(organization, "wechatpay")
    content = wechatpay_bill(day_entries())
    first = run_jobs(organization=organization, channel=wechat, file=upload(content))
    with pytest.raises(StatementRefused) as caught:
        run_jobs(organization=organization, channel=wechat, file=upload(content, "again.csv"))
    assert caught.value.code == "duplicate" and caught.value.first_import.pk == first.pk
    assert f"#{first.pk}" in caught.value.message
    with tenant_scope(organization):
        assert StatementImport.objects.count() == 1
        assert StatementLine.objects.count() == 4


def test_a_refused_file_leaves_no_line_and_says_why(organization, run_jobs):
    wechat = channel(organization, "wechatpay")
    content = wechatpay_bill(day_entries(), summary={"退款总金额": "301.00"})
    row = run_jobs(organization=organization, channel=wechat, file=upload(content))
    assert row.status == StatementImport.Status.FAILED
    assert row.errors == [{"line": 7, "code": "summary_mismatch", "params": {
        "line": "7", "name": "退款总金额", "stated": "301.00", "computed": "300.00"}}]
    with tenant_scope(organization):
        assert not StatementLine.objects.exists()
    # Once refused, the same file may come again (fixed at the channel or not): the refusal does not hold it.
    again = run_jobs(organization=organization, channel=wechat, file=upload(content))
    assert again.pk != row.pk


def test_a_bill_of_the_wrong_channel_is_refused(organization, run_jobs):
    row = run_jobs(organization=organization, channel=channel(organization, "alipay"),
                   file=upload(wechatpay_bill(day_entries())))
    assert row.status == "failed" and row.errors[0]["code"] == "looks_like"


def test_an_empty_file_is_refused_at_once(organization):
    with pytest.raises(StatementRefused) as caught, tenant_scope(organization):
        statement_import(organization=organization, channel=channel(organization, "wechatpay"), file=upload(b""))
    assert caught.value.code == "empty"
    with tenant_scope(organization):
        assert not StatementImport.objects.exists()


def test_imports_are_per_organization(organization, run_jobs):
    other = organization_create(slug="other-co", name="Other")
    content = wechatpay_bill(day_entries())
    run_jobs(organization=organization, channel=channel(organization, "wechatpay"), file=upload(content))
    # Another organization may import the same file: the sha256 is unique per organization only.
    theirs = run_jobs(organization=other, channel=channel(other, "wechatpay"), file=upload(content))
    assert theirs.status == "imported"
    with tenant_scope(other):
        assert StatementImport.objects.count() == 1
        assert set(StatementLine.objects.values_list("statement_id", flat=True)) == {theirs.pk}
