"""The helpers that keep the bench's generators and cleanups in step with the models."""

import pytest
from django.db import connection

from bench.django_setup import organization_delete
from bench.rows import GeneratorError, default_columns
from scrm.models import Customer, Organization
from scrm.platform.tenancy import platform_scope
from tests.scrm.factories import OrganizationFactory
from tests.tickets.factories import CustomerFactory, TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_default_columns_fill_what_the_generator_does_not_name_with_the_models_defaults():
    given = ("organization_id", "number", "subject", "customer_id", "priority", "status", "created_at")

    columns, values = default_columns(Ticket, given)

    filled = dict(zip([c.strip(' "') for c in columns.lstrip(", ").split(",")],
                      [v.strip() for v in values.lstrip(", ").split(",")], strict=True))
    assert filled["escalation_level"] == "0"
    assert filled["sla_breached"] == "false"
    assert filled["updated_at"] == "now()"
    assert not set(given) & set(filled)
    assert "assignee_id" not in filled  # nullable: left NULL


def test_default_columns_name_a_not_null_column_the_generator_must_give():
    with pytest.raises(GeneratorError, match="tickets_ticket.organization_id"):
        default_columns(Ticket, ("number", "subject", "customer_id"))


def test_an_insert_select_with_the_default_columns_makes_valid_rows():
    with platform_scope():
        customer = CustomerFactory(organization=OrganizationFactory())
    given = ("organization_id", "number", "subject", "customer_id", "priority", "status", "created_at")
    columns, values = default_columns(Ticket, given)

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO tickets_ticket ({', '.join(given)}{columns}) "  # noqa: S608 - names from the models
            f"SELECT %s, 'T-' || g, 'subject', %s, 3, 'new', now(){values} FROM generate_series(1, 3) AS g",
            [customer.organization_id, customer.pk],
        )

    with platform_scope():
        assert Ticket.objects.filter(customer=customer, escalation_level=0, sla_breached=False).count() == 3


def test_organization_delete_removes_the_organization_and_its_rows_only():
    with platform_scope():
        doomed, kept = OrganizationFactory(), OrganizationFactory()
        for organization in (doomed, kept):
            TicketFactory(organization=organization, customer=CustomerFactory(organization=organization))

        organization_delete(doomed)

        assert not Organization.objects.filter(pk=doomed.pk).exists()
        assert not Ticket.objects.filter(organization_id=doomed.pk).exists()
        assert not Customer.objects.filter(organization_id=doomed.pk).exists()
        assert Ticket.objects.filter(organization=kept).count() == 1
