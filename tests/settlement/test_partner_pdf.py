"""The partner statement as a PDF: its Chinese font embedded, the partner's Chinese name and the payable readable
back out of the page, the link on the statement's page, and a clear message (no 500) when the font is missing."""

import re

import pytest

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import SettlementStatementEvent
from settlement.partner_errors import MSG_PDF_FONT_MISSING
from settlement.partner_pdf import statement_pdf
from settlement.partner_services import statement_generate
from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store, region
from tests.settlement.pdf_text import pdf_text


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-pdf")


@pytest.fixture
def statement(organization):
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east, name="杭州安装服务有限公司", code="HZ1")
    paid_order(organization, store, "A1", "1234.50", paid_at=oct_(3), fee="9.00")
    statement, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    return statement


def test_the_pdf_shows_the_chinese_partner_name_and_the_payable_with_the_font_embedded(organization, statement):
    with tenant_scope(organization):
        data = statement_pdf(statement, compress=False)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "杭州安装服务有限公司" in text
    assert f"{statement.payable:,.2f}" in text
    assert "1,234.50" in text
    assert re.search(rb"/FontFile2 \d+ 0 R", data)
    assert b"+DroidSansFallback" in data


def test_finance_downloads_the_pdf_from_the_statement_page(client, finance, statement):
    client.force_login(finance)
    page = client.get(f"/settlement/settlements/{statement.pk}/")
    assert f'href="/settlement/settlements/{statement.pk}/export.pdf"'.encode() in page.content
    response = client.get(f"/settlement/settlements/{statement.pk}/export.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="statement-HZ1-20261001' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-") and b"/FontFile2" in response.content
    with tenant_scope(statement.organization):
        assert SettlementStatementEvent.objects.filter(statement=statement, detail__format="pdf").count() == 1


def test_without_its_font_the_pdf_link_says_why_instead_of_failing(client, finance, statement, settings, tmp_path):
    missing = str(tmp_path / "no-such-font.ttf")
    settings.SETTLEMENT_PDF_FONT = missing
    client.force_login(finance)
    response = client.get(f"/settlement/settlements/{statement.pk}/export.pdf", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/settlement/settlements/{statement.pk}/"
    assert str(MSG_PDF_FONT_MISSING % {"path": missing}) in response.content.decode()
    with tenant_scope(statement.organization):
        assert not SettlementStatementEvent.objects.filter(statement=statement, detail__format="pdf").exists()


def test_an_agent_may_not_download_a_statement_pdf(client, agent, statement):
    client.force_login(agent)
    assert client.get(f"/settlement/settlements/{statement.pk}/export.pdf").status_code in (403, 404)


def test_the_pdf_groups_amounts_by_thousands_as_the_page_does(organization):
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east, name="宁波大客户", code="NB1")
    paid_order(organization, store, "B1", "1234567.80", paid_at=oct_(3), fee="9.00")
    with tenant_scope(organization):
        statement, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
        text = pdf_text(statement_pdf(statement, compress=False))
    assert "1,234,567.80" in text and "1234567.80" not in text
