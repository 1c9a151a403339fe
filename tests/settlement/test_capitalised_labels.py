"""English labels that stand alone on finance's pages and files start with a capital: an order's status in the orders
list, its filter and its page ("Paid", not "paid"), the configuration changes' "What" ("Service price") and the
totals of a partner statement's workbook and PDF ("Sales", "Payable"). The msgids stay lower case (they sit inside
sentences too) and Chinese reads the same."""

import io
import re

import openpyxl
import pytest
from django.utils import translation

from scrm.models import Role
from scrm.platform.tenancy import tenant_scope
from settlement.partner_services import service_item_save, service_price_set, statement_generate
from settlement.services import order_upsert, store_ensure
from tests.settlement.ledger import at, order
from tests.settlement.partners import PERIOD, monthly_rule, oct_, paid_order, partner_with_store, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization, make_user):
    return make_user(organization, Role.FINANCE, username="finance-labels")


def get(client, user, path, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(path)
    assert response.status_code == 200
    return response


def test_order_statuses_start_with_a_capital_in_the_list_its_filter_and_the_orders_page(client, finance,
                                                                                       organization):
    store = store_ensure(organization=organization, channel="youzan", ref="yz", name="有赞店")
    paid, _applied = order_upsert(organization=organization, store=store,
                                  snapshot=order(number="NO1", status="paid", placed_at=at(1)))
    order_upsert(organization=organization, store=store, snapshot=order(number="NO2", status="pending",
                                                                         placed_at=at(2), paid_at=None))
    page = get(client, finance, "/settlement/orders/").content.decode()
    cells = re.findall(r"<td >([^<]*)</td>|<td>([^<]*)</td>", page)
    texts = {a or b for a, b in cells}
    assert {"Paid", "Awaiting payment"} <= texts and not {"paid", "awaiting payment"} & texts
    assert '<option value="paid">Paid</option>' in page
    assert '<option value="pending">Awaiting payment</option>' in page
    detail = get(client, finance, f"/settlement/orders/{paid.pk}/").content.decode()
    assert 'data-testid="order-status">Paid<' in detail
    # Chinese reads as it did.
    assert "已付款" in get(client, finance, "/settlement/orders/", "zh-hans").content.decode()


def test_the_configuration_changes_name_what_changed_with_a_capital(client, organization, finance, ops_admin):
    item = service_item_save(organization=organization, code="ac", name="空调安装", kind="installation",
                             actor=ops_admin)
    service_price_set(organization=organization, item=item, tier=1, price="180", actor=ops_admin)
    page = get(client, finance, "/settlement/configuration-changes/").content.decode()
    assert "<td >Service price</td>" in page and "<td >Service item</td>" in page
    assert ">service price<" not in page
    chinese = get(client, finance, "/settlement/configuration-changes/", "zh-hans").content.decode()
    assert "<td >服务价格</td>" in chinese


def test_a_partner_statements_workbook_and_pdf_title_their_totals_with_a_capital(client, finance, organization):
    from settlement.partner_pdf import statement_pdf
    from tests.settlement.pdf_text import pdf_text
    east = region(organization, "EAST", "华东")
    monthly_rule(organization, region=east)
    partner, store = partner_with_store(organization, east, code="P1")
    paid_order(organization, store, "A1", "1500.00", paid_at=oct_(3), fee="9.00")
    statement, _done = statement_generate(partner=partner, period_start=PERIOD[0], period_end=PERIOD[1])
    book = get(client, finance, f"/settlement/settlements/{statement.pk}/export.xlsx").content
    first = [row[0].value for row in openpyxl.load_workbook(io.BytesIO(book)).active.iter_rows()]
    assert {"Sales", "Payable", "Channel fees"} <= set(first) and not {"sales", "payable"} & set(first)
    with translation.override("en"), tenant_scope(organization):
        text = pdf_text(statement_pdf(statement, compress=False))
    assert "Sales" in text and "Payable" in text and "payable" not in text
