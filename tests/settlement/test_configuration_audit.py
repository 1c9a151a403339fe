"""Every change of partner settlement's configuration leaves a row of the settings audit trail that finance and
ops read on the configuration-changes page: settlement rules, exchange rates, partners (bank details masked, never
in full), the service catalogue and city tiers."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from scrm.models import Role, SettingsChange
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.partner_services import (
    exchange_rate_set,
    partner_save,
    rule_update,
    service_item_save,
    service_price_set,
)
from tests.scrm.factories import OrganizationFactory
from tests.settlement.partners import monthly_rule, partner_with_store, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-audit")


def changes(organization, subject):
    with tenant_scope(organization):
        return list(SettingsChange.objects.filter(subject=f"settlement.{subject}").order_by("pk")
                    .values("action", "by_id", "detail", "subject_name"))


def page(client, user):
    client.force_login(user)
    response = client.get("/settlement/configuration-changes/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_partner_change_is_recorded_with_its_bank_details_masked(client, organization, finance):
    area = region(organization, "EAST", "华东")
    partner, _store = partner_with_store(organization, area, bank_account="6222 0202 0000 1234")
    partner_save(organization=organization, partner=partner, actor=finance, name="华东总经销",
                 bank_account="6222020200005678", bank_account_name="王小明")
    created, changed = changes(organization, "partner")
    assert created["action"] == "created" and created["detail"]["bank_account_masked"]["after"] == "**** **** 1234"
    assert changed["action"] == "changed" and changed["by_id"] == finance.pk
    assert changed["detail"] == {
        "name": {"before": "华东经销商", "after": "华东总经销"},
        "bank_account_name": {"before": "华****", "after": "王**"},
        "bank_account_masked": {"before": "**** **** 1234", "after": "**** **** 5678"},
    }
    text = page(client, finance)
    assert "华东总经销" in text and "**** **** 5678" in text
    assert "6222020200005678" not in text and "62220202" not in str(changes(organization, "partner"))
    partner_save(organization=organization, partner=partner, actor=finance, contact_mobile="13800138000")
    assert changes(organization, "partner")[-1]["detail"] == {"contact_mobile": {"before": "",
                                                                                 "after": "138****8000"}}
    # Saving it again unchanged records nothing.
    partner_save(organization=organization, partner=partner, actor=finance, name="华东总经销")
    assert len(changes(organization, "partner")) == 3


def test_rules_rates_and_the_catalogue_are_recorded(client, organization, finance, ops_admin):
    rule = monthly_rule(organization)
    rule_update(rule=rule, actor=finance, commission_rate=Decimal("0.06"))
    exchange_rate_set(organization=organization, day=date(2026, 10, 31), base="USD", quote="CNY", rate="7.1234",
                      actor=finance)
    exchange_rate_set(organization=organization, day=date(2026, 10, 31), base="USD", quote="CNY", rate="7.2",
                      actor=finance)
    item = service_item_save(organization=organization, code="ac", name="空调安装", kind="installation",
                             actor=ops_admin)
    service_price_set(organization=organization, item=item, tier=1, price="180", actor=ops_admin)
    service_price_set(organization=organization, item=item, tier=1, price="200.00", actor=ops_admin)
    rule_changes = changes(organization, "settlementrule")
    assert [c["action"] for c in rule_changes] == ["created", "changed"]
    assert rule_changes[1]["detail"] == {"commission_rate": {"before": "0.05000", "after": "0.06000"}}
    rates = changes(organization, "exchangerate")
    assert [c["action"] for c in rates] == ["created", "changed"]
    assert rates[1]["detail"]["rate"]["after"].startswith("7.2") and rates[1]["by_id"] == finance.pk
    prices = changes(organization, "serviceprice")
    assert prices[1]["detail"] == {"price": {"before": "180.00", "after": "200.00"}}
    assert [c["action"] for c in changes(organization, "serviceitem")] == ["created"]
    text = page(client, ops_admin)
    assert "空调安装" in text and "200.00" in text and "5% → 6%" in text and "0.06000" not in text


def test_the_page_is_for_finance_and_ops_of_one_organization(client, organization, agent, finance, make_user):
    exchange_rate_set(organization=organization, day=date(2026, 10, 31), base="USD", quote="CNY", rate="7.1",
                      source="中国银行", actor=finance)
    client.force_login(agent)
    assert client.get("/settlement/configuration-changes/").status_code == 403
    assert "中国银行" in page(client, finance)
    with platform_scope():
        other = OrganizationFactory(slug="other")
    assert "中国银行" not in page(client, make_user(other, Role.FINANCE, username="finance-other"))


def _change_cells(html):
    import re

    table = html.split('data-testid="settings-changes"')[1].split("</table>")[0]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<li>(.*?)</li>", table, re.DOTALL)]


def test_the_changes_name_fields_and_values_as_the_settings_pages_do(client, organization, finance):
    """The Changes column listed the stored field names and values ("kind: installation", "active: True → False",
    "base: USD") in English on the Chinese page; it names them as the forms do, in the reader's language."""
    item = service_item_save(organization=organization, code="ac", name="空调安装", kind="installation",
                             actor=finance)
    service_item_save(organization=organization, item=item, active=False, actor=finance)
    exchange_rate_set(organization=organization, day=date(2026, 10, 31), base="USD", quote="CNY", rate="7.1",
                      actor=finance)

    cells = _change_cells(page(client, finance))
    assert "类型: 安装" in cells and "启用: 是 → 否" in cells and "源币种: USD" in cells
    assert not [cell for cell in cells if cell.split(":")[0] in ("kind", "active", "base", "quote", "code", "name")]
    assert "True" not in " ".join(cells) and "installation" not in " ".join(cells)

    client.cookies["django_language"] = "en"
    cells = _change_cells(page(client, finance))
    assert "Kind: Installation" in cells and "Active: Yes → No" in cells and "From currency: USD" in cells


def test_the_trail_names_fields_choices_and_actions_in_the_readers_language(client, organization, finance, ops_admin):
    """The page listed changes by the fields' codes ("tier: 4", "price: 180.00", "bank_account_masked: …") and a
    creation as "创建时间" (the column title "Created" of creation times)."""
    area = region(organization, "EAST", "华东")
    partner, _store = partner_with_store(organization, area, bank_account="6222 0202 0000 1234")
    partner_save(organization=organization, partner=partner, actor=finance, bank_account="6222020200005678")
    item = service_item_save(organization=organization, code="ac", name="空调安装", kind="installation",
                             actor=ops_admin)
    service_price_set(organization=organization, item=item, tier=4, price="180", actor=ops_admin)

    text = page(client, finance)

    table = text.split('data-testid="settings-changes"')[1]
    assert "城市等级: 四线及以下城市" in table and "价格: 180.00" in table
    assert "银行账号: **** **** 1234 → **** **** 5678" in table
    assert "tier:" not in table and "bank_account_masked" not in table and "<code>" not in table
    assert "<td >创建时间</td>" not in table
    # The action reads as one, from the settings change's own label (pgettext "configuration change").
    assert "<td >新建</td>" in table

    client.cookies["django_language"] = "en"
    table = page(client, finance).split('data-testid="settings-changes"')[1]
    assert "<td >Created</td>" in table


@pytest.mark.parametrize(("language", "everywhere", "tier4"), [("zh-hans", "全部区域", "四线及以下城市"),
                                                             ("en", "All regions", "Tier-4 city and below")])
def test_a_price_for_all_regions_is_named_so_in_the_changes_not_with_a_star(client, organization, ops_admin,
                                                                           language, everywhere, tier4):
    """It read "空调清洗保养 · * · 四线及以下城市"."""
    item = service_item_save(organization=organization, code="clean", name="空调清洗保养", kind="maintenance",
                             actor=ops_admin)
    with translation.override(language):
        service_price_set(organization=organization, item=item, tier=4, price="120", actor=ops_admin)
    with tenant_scope(organization):
        recorded = SettingsChange.objects.get(subject="settlement.serviceprice")
        assert recorded.subject_name.split(" · ")[:2] == ["空调清洗保养", everywhere]
        # A row recorded before, with the star, reads the same in the reader's language.
        SettingsChange.objects.filter(pk=recorded.pk).update(subject_name="空调清洗保养 · * · 四线及以下城市")
    client.cookies["django_language"] = language
    text = page(client, ops_admin)
    assert f"空调清洗保养 · {everywhere} · {tier4}" in text and " · * · " not in text


@pytest.mark.parametrize(("language", "expected"), [
    ("zh-hans", "返利阶梯: 0.00 – 1,000.00: 0%; 1,000.00 及以上: 2% → 0.00 – 100,000.00: 2%; 100,000.00 及以上: 3%"),
    ("en", "Rebate tiers: 0.00 – 1,000.00: 0%; 1,000.00 and above: 2% → "
           "0.00 – 100,000.00: 2%; 100,000.00 and above: 3%"),
])
def test_rebate_tiers_read_as_finance_writes_them_not_as_stored(client, organization, finance, language, expected):
    """The change read "返利阶梯: [{'from': '0', 'to': '100000', 'rate': '0.02'}, …]"."""
    rule = monthly_rule(organization)
    rule_update(rule=rule, actor=finance, rebate_tiers=[{"from": "0", "to": "100000", "rate": "0.02"},
                                                        {"from": "100000", "to": None, "rate": "0.03"}])
    client.cookies["django_language"] = language
    cells = _change_cells(page(client, finance))
    assert expected in cells
    assert not [cell for cell in cells if "from&#x27;" in cell or "[{" in cell]


@pytest.mark.parametrize(("writer", "reader", "everywhere", "tier4", "tier1"), [
    ("zh-hans", "en", "All regions", "Tier-4 city and below", "Tier-1 city"),
    ("en", "zh-hans", "全部区域", "四线及以下城市", "一线城市"),
])
def test_a_price_is_named_in_the_readers_language_not_the_writers(client, organization, ops_admin, writer, reader,
                                                                  everywhere, tier4, tier1):
    """A price's name was kept in the language of whoever changed it: an English reader read "空调清洗保养 · 全部区域 ·
    四线及以下城市" and a Chinese one "… · All regions · Tier-4 city and below". The item's and the region's names are
    the organization's own and stay as recorded; a row whose price is gone keeps the text it recorded."""
    area = region(organization, "SH", "上海")
    item = service_item_save(organization=organization, code="clean", name="空调清洗保养", kind="maintenance",
                             actor=ops_admin)
    with translation.override(writer):
        service_price_set(organization=organization, item=item, tier=4, price="120", actor=ops_admin)
        service_price_set(organization=organization, item=item, tier=4, price="130", actor=ops_admin)
        service_price_set(organization=organization, item=item, region=area, tier=1, price="150", actor=ops_admin)
        gone = service_price_set(organization=organization, item=item, tier=2, price="100", actor=ops_admin)
        with tenant_scope(organization):
            stored = SettingsChange.objects.get(subject="settlement.serviceprice", subject_id=gone.pk).subject_name
            gone.delete()
    client.cookies["django_language"] = reader
    table = page(client, ops_admin).split('data-testid="settings-changes"')[1]
    assert table.count(f"<td >空调清洗保养 · {everywhere} · {tier4}</td>") == 2
    assert f"<td >空调清洗保养 · 上海 · {tier1}</td>" in table
    assert f"<td >{stored}</td>" in table
