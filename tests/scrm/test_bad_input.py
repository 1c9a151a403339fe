"""Bad input on the pages and the API of the core app and the workspace: each answers with a clear error (or a
bounded page), stores nothing, and never a 500."""

import pytest
from django.test import Client

from scrm.models import Customer, Role
from scrm.paginators import MAX_PER_PAGE
from scrm.services.customers import customers_log_reveal
from tests.scrm.factories import UserFactory
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# --- per_page -----------------------------------------------------------------------------------------------------

@pytest.fixture
def crowd(scoped):
    """More customers and tickets than the largest page, and a supervisor who sees them all."""
    Customer.objects.bulk_create([Customer(organization=scoped, display_name=f"客户{n}")
                                  for n in range(MAX_PER_PAGE + 20)])
    queue = QueueFactory(organization=scoped)
    customer = CustomerFactory(organization=scoped)
    for _n in range(MAX_PER_PAGE + 5):
        TicketFactory(organization=scoped, queue=queue, customer=customer)
    user = UserFactory(organization=scoped, roles=[Role.OPS_ADMIN, Role.SUPERVISOR])
    customers_log_reveal(customers=Customer.objects.all(), user=user, fields=("mobile",))
    return user


@pytest.mark.parametrize("path", ["/customers/", "/tickets/queues/", "/customers/reveals/"])
@pytest.mark.parametrize("per_page", ["60000", "-1", "0", "99999999999999999999", "abc"])
def test_per_page_is_clamped_on_every_list(crowd, path, per_page):
    response = _client(crowd).get(path, {"per_page": per_page})
    assert response.status_code == 200
    page = response.context["table"].page
    assert 1 <= len(page.object_list) <= MAX_PER_PAGE
    if per_page == "60000":
        assert len(page.object_list) == MAX_PER_PAGE
