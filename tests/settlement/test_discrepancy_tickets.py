"""Opening a ticket from the workbench: a payment the ledger does not know has no customer, so finance chooses the
fixing team's queue and an internal ticket (no customer) is opened there, carrying the discrepancy's reference; the
workbench shows the linked ticket and the ticket's page opens without a customer."""

import pytest

from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.models import Discrepancy, DiscrepancyAction
from settlement.reconciliation import errors
from settlement.reconciliation.services import reconciliation_run
from tests.settlement.recon import DAY, make_channel, make_order, make_statement, make_store, pay
from tests.tickets.factories import QueueFactory
from tickets.errors import MSG_INTERNAL_NEEDS_QUEUE, TicketError
from tickets.models import Ticket
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def ghost(organization):
    channel = make_channel(organization)
    store = make_store(organization, channel)
    make_order(store, "K1", "10.00")
    make_statement(channel, lines=[pay("K1", "10.00"), pay("UNKNOWN-9", "66.00")])
    reconciliation_run(channel=channel, period_start=DAY)
    with tenant_scope(organization):
        return Discrepancy.objects.get(key="order:UNKNOWN-9")


@pytest.fixture
def queue(organization):
    with platform_scope():
        return QueueFactory(organization=organization, name="出纳组", code="cashier")


def test_finance_opens_an_internal_ticket_for_a_payment_nobody_knows(client, organization, make_user, ghost, queue,
                                                                     ops_admin):
    finance = make_user(organization, Role.FINANCE, username="finance-t")
    client.force_login(finance)
    page = client.get(f"/settlement/discrepancies/{ghost.pk}/").content.decode()
    assert 'data-testid="ticket-form"' in page and "出纳组" in page
    refused = client.post(f"/settlement/discrepancies/{ghost.pk}/ticket/", {"note": "谁的钱"}, follow=True)
    assert str(errors.MSG_NO_CUSTOMER) in refused.content.decode()
    with tenant_scope(organization):
        assert not Ticket.objects.exists() and not DiscrepancyAction.objects.exists()
    client.post(f"/settlement/discrepancies/{ghost.pk}/ticket/", {"queue": queue.pk, "note": "谁的钱"})
    with tenant_scope(organization):
        ticket = Ticket.objects.get()
        action = DiscrepancyAction.objects.get()
    assert (ticket.customer_id, ticket.queue_id, ticket.source_ref) == (None, queue.pk, f"discrepancy:{ghost.pk}")
    assert "UNKNOWN-9" in ticket.subject and "66.00" in ticket.description
    assert (action.action, action.by_id) == ("open_ticket", finance.pk)
    detail = client.get(f"/settlement/discrepancies/{ghost.pk}/").content.decode()
    assert 'data-testid="linked-ticket"' in detail and ticket.number in detail and "出纳组" in detail
    assert 'data-testid="ticket-form"' not in detail
    listed = client.get("/settlement/discrepancies/?number=UNKNOWN-9").content.decode()
    # Finance reads the number; the ticket's page is the queue's, so no link to a 403.
    assert ticket.number in listed and f'href="/tickets/{ticket.pk}/"' not in listed
    # The ticket's own page opens for who works the queue, with no customer panel.
    client.force_login(ops_admin)
    ticket_page = client.get(f"/tickets/{ticket.pk}/")
    assert ticket_page.status_code == 200
    text = ticket_page.content.decode()
    assert 'data-testid="internal-ticket"' in text and 'data-testid="customer-panel"' not in text
    # And in the team queues, marked internal.
    listed = client.get("/tickets/queues/")
    assert listed.status_code == 200 and ticket.number in listed.content.decode()
    assert client.get("/tickets/board/").status_code == 200


def test_a_ticket_without_a_customer_needs_a_queue(organization):
    with pytest.raises(TicketError) as refused:
        ticket_open(organization=organization, customer=None, subject="x", description="", channel="manual")
    assert str(refused.value) == str(MSG_INTERNAL_NEEDS_QUEUE)
    with tenant_scope(organization):
        assert not Ticket.objects.exists()
