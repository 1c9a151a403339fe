"""The cascading region field in a real browser: a customer on a phone picks 华东 → 江苏 → 南京 one level at a time;
stopping at a province that has cities below it leaves the answer empty (the server says so); the editor's phone
preview cascades the same way."""

import pytest
from playwright.sync_api import expect

from forms_builder.models import FormSubmission
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.services.people import region_create
from tests.e2e.conftest import login
from tests.forms_builder.factories import published_form
from tests.scrm.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.e2e

SCHEMA = {"sections": [{"key": "s", "fields": [
    {"key": "name", "type": "text", "label": "姓名", "required": True},
    {"key": "where", "type": "region", "label": "所在地区", "required": True}]}]}


@pytest.fixture
def regions(organization):
    with tenant_scope(organization):
        east = region_create(organization=organization, name="华东", code="E", level="area")
        js = region_create(organization=organization, name="江苏", code="JS", level="province", parent=east)
        nj = region_create(organization=organization, name="南京", code="NJ", level="city", parent=js)
        region_create(organization=organization, name="苏州", code="SZ", level="city", parent=js)
        region_create(organization=organization, name="华北", code="N", level="area")  # nothing below: an answer
        form = published_form(organization, slug="where", purpose="survey", schema=SCHEMA)
    return {"nj": nj, "form": form}


def test_a_customer_picks_a_city_level_by_level_on_a_phone(browser, live_server, organization, regions):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  locale="zh-CN")
    page = context.new_page()
    try:
        page.goto("/f/acme/where/")
        expect(page.locator("select[name=where]")).to_be_hidden()
        first = page.locator("[data-testid=region-where-1]")
        expect(first.locator("option")).to_have_text(["—", "华东", "华北"])
        first.select_option(label="华东")
        page.locator("[data-testid=region-where-2]").select_option(label="江苏")
        expect(page.locator("[data-testid=region-where-3] option")).to_have_text(["—", "南京", "苏州"])

        page.fill("input[name=name]", "张三")
        page.click("[data-testid=form-submit]")  # a province with cities below it is not an answer
        expect(page.locator("[data-testid=error-where]")).to_be_visible()
        # The refused page comes back with the levels chosen so far empty again: pick down to the city.
        page.locator("[data-testid=region-where-1]").select_option(label="华东")
        page.locator("[data-testid=region-where-2]").select_option(label="江苏")
        page.locator("[data-testid=region-where-3]").select_option(label="南京")
        expect(page.locator("select[name=where]")).to_have_value(str(regions["nj"].pk))
        page.click("[data-testid=form-submit]")
        page.wait_for_url("**/thanks/?*")
    finally:
        context.close()
    with tenant_scope(organization):
        assert FormSubmission.objects.get().data == {"name": "张三", "where": regions["nj"].pk}


def test_the_editor_preview_cascades_too(page, live_server, organization, regions):
    with platform_scope():
        UserFactory(organization=organization, username="ops", roles=[Role.OPS_ADMIN])
    login(page, live_server, "ops", TEST_PASSWORD)
    page.goto(f"{live_server.url}/forms/{regions['form'].pk}/edit/")
    preview = page.locator("[data-testid=editor-preview]")

    preview.locator("[data-testid=region-where-1]").select_option(label="华东")
    preview.locator("[data-testid=region-where-2]").select_option(label="江苏")

    expect(preview.locator("[data-testid=region-where-3] option")).to_have_text(["—", "南京", "苏州"])
