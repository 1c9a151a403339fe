"""The ticket page shows the customer's orders, and the order the ticket is about with its lines, refunds and
status: through the panel registry (tickets never imports settlement), in a bounded number of queries."""

from datetime import timedelta

import pytest

from scrm.customers.services import customer_resolve
from scrm.platform.panels import panel_providers
from scrm.platform.tenancy import tenant_scope
from settlement.models import Refund
from settlement.services import order_upsert, refund_upsert, store_ensure
from tests.settlement.ledger import at, order, refund
from tickets.models import Ticket
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db


def _panel(body):
    assert 'data-testid="ticket-orders"' in body
    return body.split('data-testid="ticket-orders"')[1].split('data-testid="customer-history"')[0]


def test_the_refund_ticket_shows_its_order_with_lines_refunds_and_status(client, ops_admin, organization, store,
                                                                           buyer):
    order_upsert(organization=organization, store=store, customer=buyer,
                 snapshot=order(number="YZ-77", status="shipped"))
    refund_upsert(organization=organization, store=store, snapshot=refund(number="RF-9", order_number="YZ-77"))
    with tenant_scope(organization):
        ticket = Refund.objects.get().ticket
    client.force_login(ops_admin)
    panel = _panel(client.get(f"/tickets/{ticket.pk}/").content.decode())
    focus = panel.split('data-testid="ticket-order"')[1]
    assert 'data-order="YZ-77"' in focus
    assert "已发货" in focus.split('data-testid="ticket-order-status"')[1][:40]
    # Money as on every finance page: grouped by thousands (the paid amount and the refund read 2899.00 here).
    assert "2,899.00 CNY" in focus.split('data-testid="ticket-order-paid"')[1][:80]
    assert "空调 1.5 匹" in focus.split('data-testid="ticket-order-lines"')[1]
    refunds = focus.split('data-testid="ticket-order-refunds"')[1]
    assert "RF-9" in refunds and "2,899.00 CNY" in refunds
    assert "/settlement/orders/" in focus  # ops may open the ledger


def test_an_agent_sees_the_customers_latest_orders_without_a_link_into_the_ledger(client, organization, store,
                                                                                    buyer, agent):
    for n in range(7):
        order_upsert(organization=organization, store=store, customer=buyer,
                     snapshot=order(number=f"YZ-{n}", placed_at=at(0) + timedelta(days=n)))
    with tenant_scope(organization):
        ticket = ticket_open(organization=organization, customer=buyer, subject="咨询", description="物流多久",
                             channel="youzan")
        Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)  # an agent sees the tickets assigned to them
    client.force_login(agent)
    panel = _panel(client.get(f"/tickets/{ticket.pk}/").content.decode())
    listed = panel.split('data-testid="customer-orders"')[1]
    assert [n for n in range(7) if f'data-order="YZ-{n}"' in listed] == [2, 3, 4, 5, 6]  # the latest five
    assert 'data-testid="ticket-order"' not in panel  # the ticket names no order
    assert "/settlement/orders/" not in panel


def test_an_order_number_the_ledger_does_not_know_yet_is_said(client, ops_admin, organization, buyer):
    with tenant_scope(organization):
        ticket = ticket_open(organization=organization, customer=buyer, subject="退货", description="退货",
                             channel="youzan", order_number="YZ-404")
    client.force_login(ops_admin)
    panel = _panel(client.get(f"/tickets/{ticket.pk}/").content.decode())
    assert "YZ-404" in panel.split('data-testid="ticket-order-unknown"')[1]


def test_no_panel_for_a_customer_without_orders(client, ops_admin, organization, buyer):
    with tenant_scope(organization):
        ticket = ticket_open(organization=organization, customer=buyer, subject="咨询", description="你好",
                             channel="youzan")
    client.force_login(ops_admin)
    assert 'data-testid="ticket-orders"' not in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_another_customers_order_of_the_same_number_is_not_shown_as_theirs(client, ops_admin, organization, buyer):
    """Two stores may share an order number: the panel shows the ticket customer's order, never a stranger's."""
    other_store = store_ensure(organization=organization, channel="shopify", ref="s.myshopify.com", name="S")
    with tenant_scope(organization):
        stranger = customer_resolve(organization=organization, channel="shopify", app_id="s", external_id="x")
    order_upsert(organization=organization, store=other_store, customer=stranger, snapshot=order(number="N-1"))
    order_upsert(organization=organization, store=store_ensure(organization=organization, channel="youzan",
                                                               ref="kdt-2", name="T"),
                 customer=None, snapshot=order(number="N-1"))
    with tenant_scope(organization):
        ticket = ticket_open(organization=organization, customer=buyer, subject="?", description="?",
                             channel="youzan", order_number="N-1")
    client.force_login(ops_admin)
    panel = _panel(client.get(f"/tickets/{ticket.pk}/").content.decode())
    assert 'data-testid="ticket-order"' not in panel and 'data-testid="ticket-order-unknown"' in panel


def test_the_panel_costs_the_same_queries_whatever_the_history(client, ops_admin, organization, store, buyer,
                                                               django_assert_max_num_queries):
    for n in range(3):
        order_upsert(organization=organization, store=store, customer=buyer, snapshot=order(number=f"A-{n}"))
    with tenant_scope(organization):
        ticket = ticket_open(organization=organization, customer=buyer, subject="?", description="?",
                             channel="youzan", order_number="A-0")
    provider = panel_providers("ticket")["settlement.orders"]
    ops_admin.has_perm("settlement.view_order")  # the page has read the user's permissions already
    with tenant_scope(organization), django_assert_max_num_queries(5):
        small = provider(ticket=ticket, user=ops_admin)
        small.context["focus"].lines.all(), small.context["focus"].refunds.all()
    for n in range(3, 40):
        order_upsert(organization=organization, store=store, customer=buyer, snapshot=order(number=f"A-{n}"))
        refund_upsert(organization=organization, store=store,
                      snapshot=refund(number=f"R-{n}", order_number="A-0"))
    with tenant_scope(organization), django_assert_max_num_queries(5):
        large = provider(ticket=ticket, user=ops_admin)
        assert len(large.context["focus"].refunds.all()) == 37
    client.force_login(ops_admin)
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 200
