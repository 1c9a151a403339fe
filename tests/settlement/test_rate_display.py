"""Rates are stored as fractions (0.006) and read on finance's pages as percentages (0.6%): a channel's fee rate, a
rule's commission and tax rates and its rebate tiers, a statement's commission and tax lines, the tolerances of a
reconciliation report, the configuration changes. Forms keep taking the fraction and say so; workbooks keep numbers."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import PaymentChannel, StatementLineKind
from settlement.money_text import rate_display
from settlement.partner_services import statement_generate
from settlement.reconciliation.services import reconciliation_run
from settlement.statements.services import payment_channels_ensure
from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store, region
from tests.settlement.recon import DAY, make_channel, make_order, make_statement, make_store, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-rates")


@pytest.fixture
def statement(organization):
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east, code="P1")
    paid_order(organization, store, "A1", "1500.00", paid_at=oct_(3), fee="9.00")
    statement, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    return statement


def get(client, user, path, language):
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("0.006"), "0.6%"), (Decimal("0.00600"), "0.6%"), (Decimal("0.0055"), "0.55%"),
    (Decimal("0.05000"), "5%"), ("0.0038", "0.38%"), (Decimal("0"), "0%"), (Decimal("1"), "100%"),
    (None, None), ("", ""), ("***", "***"),
])
def test_a_rate_reads_as_a_percentage_to_the_precision_it_carries(value, text):
    assert rate_display(value) == text


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_channels_list_shows_fee_rates_as_percentages(client, finance, organization, language):
    with tenant_scope(organization):
        payment_channels_ensure(organization=organization)
        assert {str(c.expected_fee_rate.normalize()) for c in PaymentChannel.objects.all()} >= {"0.006", "0.0038"}
    page = get(client, finance, "/settlement/channels/", language)
    assert '<td class="text-end">0.6%</td>' in page and '<td class="text-end">0.38%</td>' in page
    assert "0.006" not in page and "0.0038" not in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_rules_list_shows_commission_tax_and_tier_rates_as_percentages(client, finance, organization, language):
    monthly_rule(organization)  # commission 0.05, tax 0.06, tiers 0 then 0.02
    page = get(client, finance, "/settlement/rules/", language)
    assert '<td class="text-end">5%</td>' in page and '<td class="text-end">6%</td>' in page
    above = {"zh-hans": "1,000.00 及以上", "en": "1,000.00 and above"}[language]
    assert f"0.00 – 1,000.00: 0%; {above}: 2%" in page  # as the change log reads them (tiers_display)
    assert "0.05000" not in page and "0.06000" not in page and ": 0.02" not in page


def test_the_rule_form_still_takes_fractions_and_says_so(client, finance):
    page = get(client, finance, "/settlement/rules/new/", "en")
    assert "As a fraction: 0.06 for 6%." in page and "As a fraction: 0.05 for 5%." in page
    assert "50000-:0.01" in page
    chinese = get(client, finance, "/settlement/rules/new/", "zh-hans")
    assert "以小数表示：6% 填 0.06。" in chinese and "以小数表示：5% 填 0.05。" in chinese


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_statements_commission_and_tax_lines_show_their_rate_as_a_percentage(client, finance, statement,
                                                                                 language):
    from settlement.partner_pdf import statement_pdf
    from tests.settlement.pdf_text import pdf_text
    with tenant_scope(statement.organization_id):
        rates = {line.kind: line.rate for line in statement.lines.all()}
    assert rates[StatementLineKind.COMMISSION] == Decimal("0.05")
    page = get(client, finance, f"/settlement/settlements/{statement.pk}/", language)
    assert '<td class="text-end">5%</td>' in page and "0.05000" not in page
    with translation.override(language), tenant_scope(statement.organization_id):
        text = pdf_text(statement_pdf(statement, compress=False))
    assert "5%" in text and "0.05000" not in text
    # The workbook keeps the number.
    book = client.get(f"/settlement/settlements/{statement.pk}/export.xlsx").content
    cells = [cell.value for row in openpyxl.load_workbook(io.BytesIO(book)).active.iter_rows() for cell in row]
    assert Decimal(str(next(v for v in cells if isinstance(v, (int, float, Decimal)) and v == 0.05))) == Decimal(
        "0.05")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_reconciliation_report_shows_the_fee_rate_used_as_a_percentage(client, finance, organization, language):
    channel = make_channel(organization)
    make_order(make_store(organization, channel), "W1", "1000.00")
    make_statement(channel, lines=[pay("W1", "1000.00")])
    reconciliation_run(channel=channel, period_start=DAY)
    page = get(client, finance, f"/settlement/reconciliation/report/?channel={channel.pk}&day={DAY}", language)
    assert " 0.6%, " in page and "0.006" not in page
