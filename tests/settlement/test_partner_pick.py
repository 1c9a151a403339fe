"""The statement generate form finds any partner of an organization with thousands: a search by name, code or
region offers the matches (the list no longer stops at the first 500 by name)."""

import re

import pytest

from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import Partner, SettlementStatement
from settlement.partner_selectors import PARTNER_PICK_LIMIT
from tests.scrm.factories import OrganizationFactory
from tests.settlement.partners import monthly_rule, oct_, paid_order, partner_with_store, region

pytestmark = pytest.mark.django_db
PICK = "/settlement/settlements/generate/partners/"


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


@pytest.fixture
def many(organization):
    """5,000 active partners in two regions; the one sought sorts after all of them by name (郑 after 经)."""
    east, north = region(organization, "EAST", "华东"), region(organization, "NORTH", "华北")
    monthly_rule(organization, region=north)
    with tenant_scope(organization):
        Partner.objects.bulk_create([
            Partner(organization=organization, code=f"D{n:04d}", name=f"经销商{n:04d}", kind="dealer",
                    region=east if n % 2 else north) for n in range(5000)])
    partner, store = partner_with_store(organization, north, code="ZZ-01", name="郑州中原经销商")
    paid_order(organization, store, "A1", "100.00", paid_at=oct_(3))
    return partner


def offered(html):
    return re.findall(r'<option value="(\d+)"', html)


def test_the_list_page_offers_a_bounded_choice_and_a_search(client, finance, many):
    client.force_login(finance)
    page = client.get("/settlement/settlements/").content.decode()
    select = page.split('data-testid="partner-select">', 1)[1].split("</select>", 1)[0]
    assert len(offered(select)) == PARTNER_PICK_LIMIT and 'data-testid="more-partners"' in select
    assert str(many.pk) not in offered(select) and 'data-testid="partner-search"' in page


@pytest.mark.parametrize("query", ["中原", "zz-01", "ZZ-0"])
def test_a_partner_beyond_the_first_ones_is_found_by_name_or_code_and_generated(client, finance, many, query,
                                                                              django_assert_max_num_queries):
    client.force_login(finance)
    with django_assert_max_num_queries(12):
        response = client.get(PICK, {"partner_q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert offered(html) == [str(many.pk)] and f'<option value="{many.pk}" selected>郑州中原经销商 (ZZ-01)' in html
    response = client.post("/settlement/settlements/generate/", {"cycle": "monthly", "day": "2026-10-15",
                                                                 "partner": many.pk, "partner_q": query})
    assert response.status_code == 302
    with tenant_scope(many.organization_id):
        statement = SettlementStatement.objects.get()
    assert statement.partner_id == many.pk and response["Location"] == f"/settlement/settlements/{statement.pk}/"


def test_a_region_narrows_to_its_partners_and_nothing_found_says_so(client, finance, many):
    client.force_login(finance)
    html = client.get(PICK, {"partner_q": "华北"}).content.decode()
    assert 'data-testid="more-partners"' in html  # 2,501 partners in 华北: the first ones, and a hint to narrow
    assert 'data-testid="no-partner"' in client.get(PICK, {"partner_q": "不存在"}).content.decode()


def test_the_search_offers_neither_another_organizations_partners_nor_inactive_ones(client, finance, many,
                                                                                   make_user):
    with platform_scope():
        other = OrganizationFactory(slug="other", name="别家")
    partner_with_store(other, region(other, "EAST", "华东"), code="ZZ-02", name="郑州别家经销商")
    with tenant_scope(many.organization_id):
        Partner.objects.filter(code="D0001").update(active=False)
    client.force_login(finance)
    assert offered(client.get(PICK, {"partner_q": "郑州"}).content.decode()) == [str(many.pk)]
    assert offered(client.get(PICK, {"partner_q": "D0001"}).content.decode()) == []


def test_who_may_not_generate_may_not_search(client, ops_admin, many):
    client.force_login(ops_admin)
    assert client.get(PICK, {"partner_q": "郑州"}).status_code == 403


def test_a_search_that_found_no_partner_never_generates_for_every_partner(client, finance, many):
    """A search with no match left the select on its first option, "every partner of the cycle": 生成 then started
    a background run over all 5,001 partners when finance meant one. A search typed with no partner chosen is
    refused; the search cleared, the run of the whole cycle is still there."""
    from settlement.models import SettlementRun
    from settlement.partner_views import MSG_PARTNER_SEARCH_UNCHOSEN

    client.force_login(finance)
    response = client.post("/settlement/settlements/generate/",
                           {"cycle": "monthly", "day": "2026-10-15", "partner": "", "partner_q": "不存在的经销商"},
                           follow=True)
    assert str(MSG_PARTNER_SEARCH_UNCHOSEN % {"query": "不存在的经销商"}) in response.content.decode()
    with tenant_scope(finance.organization):
        assert not SettlementRun.objects.exists()
    client.post("/settlement/settlements/generate/",
                {"cycle": "monthly", "day": "2026-10-15", "partner": "", "partner_q": "  "})
    with tenant_scope(finance.organization):
        assert SettlementRun.objects.count() == 1
