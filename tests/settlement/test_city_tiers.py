"""The city-tier page: which region is in which price tier (一线/二线/三线 ...), listed and changed in bulk by ops
(finance reads it), through the service, audited; the tier prices new service jobs."""

import pytest

from scrm.models import Role, SettingsChange
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.errors import SettlementError
from settlement.models import RegionCityTier
from settlement.partner_errors import MSG_BAD_TIER, MSG_NO_REGIONS
from settlement.partner_services import city_tiers_set
from tests.scrm.factories import OrganizationFactory
from tests.settlement.partners import region

pytestmark = pytest.mark.django_db


@pytest.fixture
def cities(organization):
    east = region(organization, "EAST", "华东")
    return {code: region(organization, code, name, parent=east, level="city")
            for code, name in (("SH", "上海"), ("HZ", "杭州"), ("WX", "无锡"))}


def tiers(organization):
    with tenant_scope(organization):
        return dict(RegionCityTier.objects.values_list("region__code", "tier"))


def test_ops_put_ticked_regions_in_a_tier_and_it_is_audited(client, organization, ops_admin, cities,
                                                            django_assert_max_num_queries):
    client.force_login(ops_admin)
    with django_assert_max_num_queries(12):
        listed = client.get("/settlement/city-tiers/")
    assert listed.status_code == 200
    text = listed.content.decode()
    assert "上海" in text and 'data-region="SH"' in text
    response = client.post("/settlement/city-tiers/", {"ids": [cities["SH"].pk, cities["HZ"].pk], "tier": "1"})
    assert response.status_code == 302
    assert tiers(organization) == {"SH": 1, "HZ": 1}
    client.post("/settlement/city-tiers/", {"ids": [cities["HZ"].pk, cities["WX"].pk], "tier": "2"})
    assert tiers(organization) == {"SH": 1, "HZ": 2, "WX": 2}
    client.post("/settlement/city-tiers/", {"ids": [cities["WX"].pk], "tier": ""})  # back to none
    assert tiers(organization) == {"SH": 1, "HZ": 2}
    with tenant_scope(organization):
        trail = list(SettingsChange.objects.filter(subject="settlement.regioncitytier").order_by("pk")
                     .values_list("subject_name", "action", "by_id"))
    assert [(name.split(":")[0], action) for name, action, _by in trail] == [
        ("上海", "created"), ("杭州", "created"), ("杭州", "changed"), ("无锡", "created"), ("无锡", "deleted")]
    assert {by for _name, _action, by in trail} == {ops_admin.pk}
    filtered = client.get("/settlement/city-tiers/?tier=2").context["table"].page.object_list
    assert [row.record.code for row in filtered] == ["HZ"]
    assert [row.record.code for row in client.get("/settlement/city-tiers/?tier=none").context["table"]
            .page.object_list] == ["EAST", "WX"]


def test_finance_reads_the_tiers_but_cannot_change_them(client, organization, make_user, cities):
    finance = make_user(organization, Role.FINANCE, username="finance-tiers")
    client.force_login(finance)
    page = client.get("/settlement/city-tiers/")
    assert page.status_code == 200 and b'data-testid="city-tier-form"' not in page.content
    assert client.post("/settlement/city-tiers/", {"ids": [cities["SH"].pk], "tier": "1"}).status_code == 403
    assert tiers(organization) == {}


def test_the_page_explains_the_tiers_in_the_readers_language(client, organization, ops_admin):
    """The English page's help read "(一线/二线/三线 ...)": Chinese in the middle of an English sentence."""
    client.force_login(ops_admin)
    assert "城市等级（一线/二线/三线……）" in client.get("/settlement/city-tiers/").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get("/settlement/city-tiers/").content.decode()
    assert "city tier of the job's region (tier-1, tier-2, tier-3 city ...)." in english.replace("&#x27;", "'")
    assert "一线" not in english


def test_an_agent_is_refused_and_the_hub_links_the_page(client, organization, agent, ops_admin):
    client.force_login(agent)
    assert client.get("/settlement/city-tiers/").status_code == 403
    client.force_login(ops_admin)
    assert 'href="/settlement/city-tiers/"' in client.get("/settlement/").content.decode()
    assert 'href="/settlement/city-tiers/"' in client.get("/settlement/catalogue/").content.decode()


def test_bad_input_is_refused_and_nothing_changes(client, organization, ops_admin, cities):
    client.force_login(ops_admin)
    response = client.post("/settlement/city-tiers/", {"tier": "1"})
    assert response.status_code == 400 and str(MSG_NO_REGIONS) in response.content.decode()
    assert client.post("/settlement/city-tiers/", {"ids": [cities["SH"].pk], "tier": "9"}).status_code == 400
    with platform_scope():
        other = OrganizationFactory(slug="other")
    theirs = region(other, "BJ", "北京", level="city")
    assert client.post("/settlement/city-tiers/", {"ids": [theirs.pk], "tier": "1"}).status_code == 400
    assert tiers(organization) == {} and tiers(other) == {}
    with pytest.raises(SettlementError) as refused:
        city_tiers_set(organization=organization, regions=[cities["SH"]], tier=7)
    assert str(refused.value) == str(MSG_BAD_TIER % {"tier": 7})
    with tenant_scope(organization):
        assert not SettingsChange.objects.exists()
