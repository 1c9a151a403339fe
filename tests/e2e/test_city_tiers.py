"""City tiers in a real browser: ops open the page from the settlement hub, tick every city of the page with the
header checkbox, put them in tier 2, then one of them in tier 1; the list and the audit trail show it."""

import pytest
from playwright.sync_api import expect

from scrm.models import SettingsChange
from scrm.platform.tenancy import tenant_scope
from settlement.models import RegionCityTier
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD
from tests.settlement.partners import region

pytestmark = pytest.mark.e2e


def test_ops_put_cities_in_tiers_in_bulk(page, live_server, organization, ops_admin):
    east = region(organization, "EAST", "华东")
    for code, name in (("HZ", "杭州"), ("SZ", "苏州"), ("WX", "无锡")):
        region(organization, code, name, parent=east, level="city")

    login(page, live_server, ops_admin.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/settlement/")
    page.click("[data-testid=section-city-tiers]")
    expect(page.locator(".scrm-page-title")).to_contain_text("城市等级")
    page.select_option("#id_level", "city")
    page.click("form[method=get] button[type=submit]")
    expect(page.locator("[data-testid=city-tiers] tbody tr")).to_have_count(3)
    page.check("[data-testid=city-tiers] thead [data-select-all]")
    page.select_option("#bulk_tier", "2")
    page.click("[data-testid=city-tier-save]")
    expect(page.locator(".alert-success")).to_contain_text("3")
    expect(page.locator("[data-testid=city-tiers] tr[data-region=SZ]")).to_contain_text("二线")
    page.check("[data-testid=city-tiers] tr[data-region=HZ] input[name=ids]")
    page.select_option("#bulk_tier", "1")
    page.click("[data-testid=city-tier-save]")
    expect(page.locator("[data-testid=city-tiers] tr[data-region=HZ]")).to_contain_text("一线")
    with tenant_scope(organization):
        assert dict(RegionCityTier.objects.values_list("region__code", "tier")) == {"HZ": 1, "SZ": 2, "WX": 2}
        assert SettingsChange.objects.filter(subject="settlement.regioncitytier", by=ops_admin).count() == 4
