"""The orders ledger in a real browser: finance finds an order a store reported, filters the list and opens the
order with its lines and refund."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from scrm.customers.services import customer_resolve
from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.services import order_upsert, refund_upsert, store_ensure
from tests.e2e.conftest import login
from tests.scrm.factories import TEST_PASSWORD
from tests.settlement.ledger import order, refund

pytestmark = pytest.mark.e2e


def test_finance_filters_the_orders_and_opens_one(page, live_server, organization, make_user):
    finance = make_user(organization, Role.FINANCE, username="finance-e2e")
    store = store_ensure(organization=organization, channel="youzan", ref="kdt-1", name="艾克美有赞店")
    with tenant_scope(organization):
        buyer = customer_resolve(organization=organization, channel="youzan", app_id="kdt-1", external_id="b1",
                                 profile={"nickname": "王女士"})
    order_upsert(organization=organization, store=store, customer=buyer, snapshot=order(number="YZ-PAID"))
    order_upsert(organization=organization, store=store, customer=buyer,
                 snapshot=order(number="YZ-DONE", status="completed", version=5, paid_amount=Decimal("88.00")))
    refund_upsert(organization=organization, store=store, snapshot=refund(number="RF-77", order_number="YZ-DONE"))

    login(page, live_server, finance.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/settlement/orders/")
    expect(page.locator("[data-testid=orders] tbody tr")).to_have_count(2)
    page.select_option("#id_status", "completed")
    page.click("[data-testid=order-filters] button[type=submit]")
    expect(page.locator("[data-testid=orders] tbody tr")).to_have_count(1)
    page.get_by_role("link", name="YZ-DONE").click()
    expect(page.locator("[data-testid=order-status]")).to_have_text("已完成")
    expect(page.locator("[data-testid=order-paid]")).to_contain_text("88.00")
    expect(page.locator("[data-testid=order-lines]")).to_contain_text("空调 1.5 匹")
    expect(page.locator("[data-testid=order-refunds]")).to_contain_text("RF-77")
    expect(page.locator("[data-testid=order-tickets]")).to_contain_text("RF-77")


# The height of each control of a filter form (a drop-down and a text box side by side must line up).
_CONTROLS = """form => [...form.querySelectorAll('select, input:not([type=hidden])')].map(el => {
    return [el.name, Math.round(el.getBoundingClientRect().height)];
})"""


@pytest.mark.parametrize("path", ["/settlement/orders/", "/settlement/statements/", "/settlement/settlements/"])
def test_the_filter_rows_controls_are_one_size_with_drop_downs_that_look_like_drop_downs(page, live_server,
                                                                                         organization, make_user,
                                                                                         path):
    finance = make_user(organization, Role.FINANCE, username="finance-e2e")
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, finance.username, TEST_PASSWORD)

    page.goto(f"{live_server.url}{path}")

    form = "main form[method=get]"
    controls = page.eval_on_selector(form, _CONTROLS)
    assert len(controls) >= 4
    assert len({height for _name, height in controls}) == 1, controls
    arrows = page.eval_on_selector_all(f"{form} select", "els => els.map(el => getComputedStyle(el).backgroundImage)")
    assert arrows and all(image.startswith("url(") for image in arrows), arrows
