"""A run's problems and an import's refusals are stored once, as codes with parameters, and worded by the one
registry of coded messages (scrm.platform.coded) in whichever language the reader reads: a row written by a
worker in Chinese reads in English too; a problem stored as a sentence before codes keeps its sentence; a code this
version does not know still shows its code and parameters, never an empty line or a made-up message."""

import pytest
from rest_framework.test import APIClient

from scrm.models import Role
from scrm.platform.coded import coded, coded_messages_register, coded_render
from scrm.platform.tenancy import tenant_scope
from settlement.models import PaymentChannel, SettlementRun, StatementImport
from settlement.statements.services import payment_channels_ensure
from tests.settlement.partners import PERIOD
from tests.tenancy import api_token

pytestmark = pytest.mark.django_db

RATE_MISSING = {"partner": "HK1", "code": "rate_missing",
                "params": {"base": "CNY", "quote": "HKD", "date": "2026-10-03", "days": "7"}}
SUMMARY_MISMATCH = {"line": 7, "code": "summary_mismatch",
                    "params": {"line": "7", "name": "退款总金额", "stated": "301.00", "computed": "300.00"}}


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


def runs_cell(client, language):
    client.cookies["django_language"] = language
    page = client.get("/settlement/settlements/").content.decode()
    return page.split('data-testid="runs"', 1)[1].split("</table>", 1)[0]


def test_one_stored_run_reads_in_chinese_and_in_english(client, finance, organization):
    with tenant_scope(organization):
        SettlementRun.objects.create(organization=organization, cycle="monthly", period_start=PERIOD[0],
                                     period_end=PERIOD[1], status="done", problems=[
                                         RATE_MISSING,
                                         {"partner": "OLD1", "message": "旧的问题说明"},  # stored before codes
                                         {"partner": "NEW1", "code": "rate_gone", "params": {"base": "EUR"}}])
    client.force_login(finance)
    chinese, english = runs_cell(client, "zh-hans"), runs_cell(client, "en")
    assert "HK1: 缺少 2026-10-03（及此前 7 天内）CNY → HKD 的汇率" in chinese
    assert "HK1: No exchange rate CNY → HKD for 2026-10-03 (nor the 7 days before)" in english
    for page in (chinese, english):
        assert "OLD1: 旧的问题说明" in page
        assert "NEW1: rate_gone (base: EUR)" in page


def test_one_stored_refusal_reads_in_chinese_and_in_english_on_the_page_and_in_the_api(client, finance,
                                                                                        organization):
    with tenant_scope(organization):
        payment_channels_ensure(organization=organization)
        row = StatementImport.objects.create(
            organization=organization, channel=PaymentChannel.objects.get(code="wechatpay"), file_name="w.csv",
            file_sha256="0" * 64, status=StatementImport.Status.FAILED,
            errors=[SUMMARY_MISMATCH, {"line": 0, "code": "format_gone", "params": {"line": "0"}}])
    chinese = "第 7 行：汇总中 退款总金额 为 301.00，但明细合计为 300.00。"
    english = "Line 7: the summary says 退款总金额 is 301.00 but the detail rows add up to 300.00."
    client.force_login(finance)
    for language, worded, other in (("zh-hans", chinese, english), ("en", english, chinese)):
        client.cookies["django_language"] = language
        page = client.get(f"/settlement/statements/{row.pk}/").content.decode()
        refusals = page.split('data-testid="statement-errors"', 1)[1].split("</div>", 1)[0]
        assert worded in refusals and other not in refusals
        assert "<li>format_gone (line: 0)</li>" in refusals

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(finance)}")
    for language, worded in (("zh-hans", chinese), ("en", english)):
        api.cookies["django_language"] = language
        errors = api.get(f"/api/v1/statements/{row.pk}/").json()["errors"]
        assert [(error["line"], error["code"]) for error in errors] == [(7, "summary_mismatch"), (0, "format_gone")]
        assert errors[0]["message"].startswith(worded)


def test_a_coded_text_and_a_problem_go_through_the_one_registry():
    from django.utils import translation

    with translation.override("en"):
        # The same message stored both ways reads the same.
        assert coded_render(coded("settlement.bad_currency", value="RMB")) == coded_render(
            {"code": "bad_currency", "params": {"value": "RMB"}}, namespace="settlement") == (
            "The currency RMB is not a three-letter ISO code.")
        # A text that is not a coded message is shown as it is; so is one whose code is unknown.
        assert coded_render("connection reset") == "connection reset"
        assert coded_render('{"code": "gone.code", "params": {}}') == '{"code": "gone.code", "params": {}}'
        assert coded_render({}) == "" and coded_render({"code": "gone"}) == "gone"
    # A code names one message: registering it again with another is refused, the same again is not.
    from settlement.statements.messages import MESSAGES, STATEMENT_REFUSALS_NAMESPACE

    coded_messages_register({"empty": MESSAGES["empty"]}, namespace=STATEMENT_REFUSALS_NAMESPACE)
    with pytest.raises(ValueError, match="settlement.statement.empty"):
        coded_messages_register({"empty": MESSAGES["failed"]}, namespace=STATEMENT_REFUSALS_NAMESPACE)
