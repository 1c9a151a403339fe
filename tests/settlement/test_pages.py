"""The orders list and an order's page, as finance and ops read them."""

from decimal import Decimal

import pytest
from django.utils import translation

from scrm.customers.services import customer_resolve
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import Order, OrderReport
from settlement.services import order_upsert, refund_upsert, store_ensure
from tests.scrm.factories import OrganizationFactory
from tests.settlement.ledger import at, order, refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-acme")


def make_orders(organization, count, *, store_name="有赞店", status="paid", start=0):
    store = store_ensure(organization=organization, channel="youzan", ref=store_name, name=store_name)
    for n in range(start, start + count):
        with tenant_scope(organization):
            buyer = customer_resolve(organization=organization, channel="youzan", app_id=store_name,
                                     external_id=f"b{n}", profile={"nickname": f"买家{n}"})
        order_upsert(organization=organization, store=store, customer=buyer,
                     snapshot=order(number=f"NO{n:04d}", status=status, paid_amount=Decimal(100 + n),
                                    placed_at=at(n)))
    return store


def numbers(response):
    return [row.record.external_number for row in response.context["table"].page.object_list]


def test_finance_lists_the_orders_newest_first(client, finance, organization):
    make_orders(organization, 3)
    client.force_login(finance)
    response = client.get("/settlement/orders/")
    assert response.status_code == 200
    assert numbers(response) == ["NO0002", "NO0001", "NO0000"]
    page = response.content.decode()
    assert "买家2" in page and "102.00" in page


def test_an_agent_may_not_open_the_ledger(client, agent, organization):
    client.force_login(agent)
    assert client.get("/settlement/orders/").status_code == 403


@pytest.mark.parametrize(("query", "expected"), [
    ("status=shipped", ["NO0011", "NO0010"]),
    ("amount_min=101&amount_max=102", ["NO0002", "NO0001"]),
    ("customer=买家1", ["NO0011", "NO0010", "NO0001"]),
    ("number=NO0002", ["NO0002"]),
    ("placed_after=2026-11-11&placed_before=2026-11-11", ["NO0011", "NO0010", "NO0002", "NO0001", "NO0000"]),
    ("placed_after=2026-11-12", []),
])
def test_the_filters_narrow_the_list(client, finance, organization, query, expected):
    make_orders(organization, 3)
    make_orders(organization, 2, store_name="抖店", status="shipped", start=10)
    client.force_login(finance)
    assert numbers(client.get(f"/settlement/orders/?{query}")) == expected


def test_the_store_filter_shows_one_stores_orders(client, finance, organization):
    make_orders(organization, 2)
    other = make_orders(organization, 1, store_name="抖店", start=10)
    client.force_login(finance)
    assert numbers(client.get(f"/settlement/orders/?store={other.pk}")) == ["NO0010"]


def test_the_list_takes_the_same_queries_for_5_or_25_orders(client, finance, organization,
                                                             django_assert_max_num_queries):
    make_orders(organization, 5)
    client.force_login(finance)
    with django_assert_max_num_queries(14) as few:
        client.get("/settlement/orders/")
    make_orders(organization, 20, store_name="抖店", start=100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(numbers(client.get("/settlement/orders/"))) == 25


def test_an_orders_page_shows_its_lines_refunds_and_tickets(client, ops_admin, organization,
                                                           django_assert_max_num_queries):
    store = make_orders(organization, 1)
    for n in range(3):
        refund_upsert(organization=organization, store=store,
                      snapshot=refund(number=f"RF{n}", order_number="NO0000", amount=Decimal("10.00")))
    with tenant_scope(organization):
        pk = Order.objects.get().pk
    client.force_login(ops_admin)
    with django_assert_max_num_queries(20):
        response = client.get(f"/settlement/orders/{pk}/")
    page = response.content.decode()
    assert "空调 1.5 匹" in page and "2,999.00" in page
    assert all(f"RF{n}" in page for n in range(3))
    tickets = response.context["tickets"]
    assert len(tickets) == 3 and all(ticket.order_number == "NO0000" for ticket in tickets)
    assert f'href="/tickets/{tickets[0].pk}/"' in page


def test_another_organizations_order_is_not_found(client, finance, organization):
    with platform_scope():
        other = OrganizationFactory(slug="other")
    make_orders(other, 1)
    with tenant_scope(other):
        pk = Order.objects.get().pk
    client.force_login(finance)
    assert client.get(f"/settlement/orders/{pk}/").status_code == 404
    assert numbers(client.get("/settlement/orders/")) == []


def test_an_orders_page_shows_every_report_applied_or_ignored(client, finance, organization):
    store = make_orders(organization, 1)
    order_upsert(organization=organization, store=store, snapshot=order(number="NO0000", status="pending", version=1),
                 source="order.updated #41")
    with tenant_scope(organization):
        pk = Order.objects.get().pk
    client.force_login(finance)
    response = client.get(f"/settlement/orders/{pk}/")
    assert [(r.status, r.applied) for r in response.context["history"]] == [("pending", False), ("paid", True)]
    # The Source column reads as words, the stored code kept for support in the cell's tooltip.
    sources = [cell.split(">", 1)[1] for cell in response.content.decode().split('data-testid="report-source"')[1:]]
    assert sources[0].startswith("订单更新（事件 #41）</td>")
    assert 'title="order.updated #41" data-testid="report-source"' in response.content.decode()
    # The Status column named the store's status code ("pending", "paid") in English on the Chinese page.
    history = response.content.decode().split('data-testid="order-history"', 1)[1].split("</table>", 1)[0]
    assert "待付款" in history and "已付款" in history
    assert "pending" not in history and ">paid<" not in history


def test_an_order_known_only_from_status_pushes_says_its_amounts_are_not_known_yet(client, finance, organization):
    store = store_ensure(organization=organization, channel="douyin", ref="dd-1", name="抖店")
    order_upsert(organization=organization, store=store, snapshot=order(number="DY1", status="shipped",
                                                                        partial=True, lines=()))
    order_upsert(organization=organization, store=store, snapshot=order(number="DY2", status="paid"))
    client.force_login(finance)
    with tenant_scope(organization):
        pushed, full = Order.objects.get(external_number="DY1"), Order.objects.get(external_number="DY2")
    assert 'data-testid="order-details-missing"' in client.get(f"/settlement/orders/{pushed.pk}/").content.decode()
    assert 'data-testid="order-details-missing"' not in client.get(f"/settlement/orders/{full.pk}/").content.decode()


def test_every_control_of_the_orders_filter_row_is_the_small_size(client, finance, organization):
    client.force_login(finance)
    form = client.get("/settlement/orders/").context["filter"].form
    shown = {name: str(form[name]) for name in ("store", "channel", "status", "region", "placed", "amount",
                                                 "customer", "number")}
    for name in ("store", "channel", "status", "region"):
        assert 'class="form-select form-select-sm"' in shown[name], name
    for name in ("placed", "amount"):  # both boxes of a range
        assert shown[name].count('class="form-control form-control-sm"') == 2, name
    for name in ("customer", "number"):
        assert 'class="form-control form-control-sm"' in shown[name], name


@pytest.mark.parametrize(("source", "kind", "chinese", "english"), [
    ("order.updated #555", "order", "订单更新（事件 #555）", "Order updated (event #555)"),
    ("shopify:orders/paid #7", "order", "订单支付（事件 #7）", "Order paid (event #7)"),
    ("youzan:trade_refund_SellerAgree #9", "refund", "退款同意（事件 #9）", "Refund approved (event #9)"),
    ("douyin:101 #12", "refund", "店铺退款消息（事件 #12）", "Refund message from the store (event #12)"),
    ("shop_order_fetch #3", "order", "从店铺拉取订单详情（任务 #3）", "Order details fetched from the store (job #3)"),
    ("demo", "order", "演示数据", "Demo data"),
    ("", "order", "", ""),
    ("导入的旧数据", "order", "导入的旧数据", "导入的旧数据"),
])
def test_an_order_reports_source_reads_as_what_happened_in_the_readers_language(source, kind, chinese, english):
    report = OrderReport(source=source, kind=kind)
    with translation.override("zh-hans"):
        assert report.source_label == chinese
    with translation.override("en"):
        assert report.source_label == english
