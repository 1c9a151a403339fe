"""A customer's orders and refunds appear on their timeline, and so on the tickets about them."""

import pytest

from scrm.customers.services import customer_resolve
from scrm.platform.tenancy import tenant_scope
from settlement.models import Refund
from settlement.services import order_upsert, refund_upsert, store_ensure
from tests.settlement.ledger import order, refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def bought(organization):
    store = store_ensure(organization=organization, channel="youzan", ref="kdt-1", name="艾克美有赞店")
    with tenant_scope(organization):
        buyer = customer_resolve(organization=organization, channel="youzan", app_id="kdt-1", external_id="b1")
    order_upsert(organization=organization, store=store, customer=buyer, snapshot=order(number="YZ-77"))
    refund_upsert(organization=organization, store=store, snapshot=refund(number="RF-9", order_number="YZ-77"))
    return buyer


def test_the_customer_page_shows_their_orders_and_refunds(client, ops_admin, bought):
    client.force_login(ops_admin)
    body = client.get(f"/customers/{bought.pk}/").content.decode()
    assert 'data-kind="order"' in body and "YZ-77" in body and "艾克美有赞店" in body
    assert 'data-kind="refund"' in body and "RF-9" in body


def test_the_refunds_ticket_page_shows_the_order(client, ops_admin, organization, bought):
    with tenant_scope(organization):
        ticket = Refund.objects.get().ticket
    client.force_login(ops_admin)
    response = client.get(f"/tickets/{ticket.pk}/")
    assert response.status_code == 200
    history = response.content.decode().split('data-testid="customer-history"')[1].split("</ul>")[0]
    assert "YZ-77" in history and "艾克美有赞店" in history and "RF-9" in history
