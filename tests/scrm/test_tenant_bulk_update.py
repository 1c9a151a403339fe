"""`tenant_bulk_update`: many rows' fields in one statement, only rows of the organization it is given."""

from datetime import timedelta

import pytest
from django.utils import timezone

from scrm.models import Customer
from scrm.platform.tenancy import ScopeError, platform_scope, tenant_bulk_update, tenant_scope
from tests.scrm.factories import OrganizationFactory
from tests.tickets.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_it_writes_each_rows_own_values_in_one_statement(organization, django_assert_num_queries):
    with tenant_scope(organization):
        customers = [CustomerFactory(organization=organization) for _ in range(3)]
        for n, customer in enumerate(customers):
            customer.display_name = f"新名{n} it's 100%"
            customer.first_contact_at = None if n == 0 else timezone.now() - timedelta(days=n)
        with django_assert_num_queries(1):
            assert tenant_bulk_update(customers, ["display_name", "first_contact_at"], organization=organization) == 3
        stored = {row.pk: row for row in Customer.objects.all()}
        assert [(stored[c.pk].display_name, stored[c.pk].first_contact_at) for c in customers] == [
            (c.display_name, c.first_contact_at) for c in customers]


def test_a_row_of_another_organization_is_refused_and_nothing_is_written(organization):
    with platform_scope():
        other = OrganizationFactory(slug="other-org")
        theirs = CustomerFactory(organization=other, display_name="别家")
        mine = CustomerFactory(organization=organization, display_name="自家")
    mine.display_name = theirs.display_name = "改了"
    with pytest.raises(ScopeError), platform_scope():
        tenant_bulk_update([mine, theirs], ["display_name"], organization=organization)
    with pytest.raises(ScopeError), tenant_scope(organization):
        tenant_bulk_update([theirs], ["display_name"], organization=organization)
    with platform_scope():
        assert set(Customer.objects.values_list("display_name", flat=True)) == {"别家", "自家"}
