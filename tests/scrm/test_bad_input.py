"""Bad input on the pages and the API of the core app and the workspace: each answers with a clear error (or a
bounded page), stores nothing, and never a 500."""

import pytest
from django.test import Client

from scrm.models import Customer, Role
from scrm.paginators import MAX_PER_PAGE
from scrm.services.customers import customers_log_reveal
from tests.scrm.factories import UserFactory
from tests.tenancy import tenant_pair
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


# --- the admin's PII-reveal list --------------------------------------------------------------------------------

def test_the_reveal_lists_user_filter_offers_only_the_organizations_own_users(db):
    def seed(tenant):
        for role, user in tenant.users.items():
            user.display_name = f"{tenant.marker} {role.value}"
            user.save(update_fields=["display_name"])
        customer = Customer.objects.create(organization=tenant.organization, display_name=f"{tenant.marker} 客户")
        customers_log_reveal(customers=[customer], user=tenant.users[Role.OPS_ADMIN], fields=("mobile",))

    a, b = tenant_pair(seed)
    response = _client(a.users[Role.OPS_ADMIN]).get("/admin/scrm/piireveal/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "[tenant-a] ops_admin" in body
    # Only users who revealed something, and never another organization's.
    assert "[tenant-b]" not in body
    assert "[tenant-a] agent" not in body
