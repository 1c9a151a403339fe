"""The service catalogue's editing pages: ops add and change service items and their per-region city-tier prices
(price, material cost, technician payout) through the services; finance reads the catalogue but may not change it;
a refusal changes nothing."""

from decimal import Decimal

import pytest

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.models import ServiceItem, ServicePrice
from settlement.partner_errors import MSG_ITEM_CODE_TAKEN, MSG_NEGATIVE
from settlement.partner_services import service_item_save, service_price_set
from tests.settlement.partners import region


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-cat")


@pytest.fixture
def item(organization):
    return service_item_save(organization=organization, code="ac-install", name="空调安装", kind="installation")


def test_ops_add_an_item_and_its_tier_prices_from_the_catalogue(client, ops_admin, organization):
    east = region(organization, "EAST", "华东")
    client.force_login(ops_admin)
    page = client.get("/settlement/catalogue/")
    assert b'href="/settlement/catalogue/items/new/"' in page.content
    response = client.post("/settlement/catalogue/items/new/", {"code": "tv-mount", "name": "电视挂装",
                                                                 "kind": "installation", "unit": "台",
                                                                 "active": "on"})
    assert response.status_code == 302
    with tenant_scope(organization):
        item = ServiceItem.objects.get(code="tv-mount")
    response = client.post("/settlement/catalogue/prices/new/", {
        "item": item.pk, "region": east.pk, "tier": 1, "currency": "CNY", "price": "180.00",
        "material_cost": "30.00", "technician_payout": "90.00"})
    assert response.status_code == 302
    with tenant_scope(organization):
        price = ServicePrice.objects.get(item=item)
    assert (price.region_id, price.tier, price.price, price.material_cost, price.technician_payout) == (
        east.pk, 1, Decimal("180.00"), Decimal("30.00"), Decimal("90.00"))
    listing = client.get("/settlement/catalogue/").content.decode()
    assert "电视挂装" in listing and "180.00" in listing
    assert f'href="/settlement/catalogue/prices/{price.pk}/"' in listing


def test_ops_change_a_price_but_not_what_it_prices(client, ops_admin, organization, item):
    price = service_price_set(organization=organization, item=item, tier=2, price="150", material_cost="20",
                              technician_payout="70")
    client.force_login(ops_admin)
    assert client.get(f"/settlement/catalogue/prices/{price.pk}/").status_code == 200
    response = client.post(f"/settlement/catalogue/prices/{price.pk}/", {
        "item": item.pk, "tier": 1, "currency": "CNY", "price": "160.00", "material_cost": "20.00",
        "technician_payout": "75.00"})
    assert response.status_code == 302
    with tenant_scope(organization):
        rows = list(ServicePrice.objects.filter(item=item).values_list("tier", "price", "technician_payout"))
    assert rows == [(2, Decimal("160.00"), Decimal("75.00"))]


def test_a_negative_payout_is_refused_and_nothing_changes(client, ops_admin, organization, item):
    price = service_price_set(organization=organization, item=item, tier=2, price="150")
    client.force_login(ops_admin)
    response = client.post(f"/settlement/catalogue/prices/{price.pk}/", {
        "currency": "CNY", "price": "150.00", "material_cost": "0", "technician_payout": "-5"})
    assert response.status_code == 400
    # The field as the page names it (师傅工费), not the model's English "technician payout".
    assert response.context["form"].errors["__all__"] == [str(MSG_NEGATIVE % {"name": "师傅工费"})]
    with tenant_scope(organization):
        assert ServicePrice.objects.get(pk=price.pk).technician_payout == Decimal("0")


def test_an_item_code_already_taken_is_refused_on_the_form(client, ops_admin, organization, item):
    other = service_item_save(organization=organization, code="wash", name="清洗", kind="maintenance")
    client.force_login(ops_admin)
    response = client.post(f"/settlement/catalogue/items/{other.pk}/", {"code": "ac-install", "name": "清洗",
                                                                       "kind": "maintenance", "unit": "次"})
    assert response.status_code == 400
    assert str(MSG_ITEM_CODE_TAKEN % {"code": "ac-install"}) in response.content.decode()
    with tenant_scope(organization):
        assert ServiceItem.objects.get(pk=other.pk).code == "wash"


def test_finance_reads_the_catalogue_but_may_not_edit_it(client, finance, organization, item):
    price = service_price_set(organization=organization, item=item, tier=3, price="100")
    client.force_login(finance)
    page = client.get("/settlement/catalogue/")
    assert page.status_code == 200 and b"/settlement/catalogue/items/new/" not in page.content
    assert b'data-testid="edit-price"' not in page.content
    assert client.get("/settlement/catalogue/items/new/").status_code == 403
    assert client.post(f"/settlement/catalogue/prices/{price.pk}/", {"price": "1"}).status_code == 403
    with tenant_scope(organization):
        assert ServicePrice.objects.get(pk=price.pk).price == Decimal("100")
