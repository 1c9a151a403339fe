"""Readable ticket numbers: T + the day in China + the organization's sequence of that day, unique under load."""

from datetime import UTC, datetime

import pytest
import time_machine

from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.concurrency import run_at_once
from tests.scrm.factories import OrganizationFactory
from tests.tickets.factories import CustomerFactory
from tickets.models import Ticket
from tickets.services import ticket_open


def _open(organization, customer):
    return ticket_open(organization=organization, customer=customer, subject="咨询", description="",
                       channel="phone")


@pytest.mark.django_db
def test_the_number_carries_the_day_in_china_and_restarts_each_day(scoped, customer):
    with time_machine.travel(datetime(2026, 11, 22, 15, 59, tzinfo=UTC), tick=False):  # 23:59 in Shanghai
        assert _open(scoped, customer).number == "T20261122-000001"
        assert _open(scoped, customer).number == "T20261122-000002"
    with time_machine.travel(datetime(2026, 11, 22, 16, 30, tzinfo=UTC), tick=False):  # 00:30 the next day
        assert _open(scoped, customer).number == "T20261123-000001"


@pytest.mark.django_db
def test_each_organization_counts_its_own_tickets(scoped, customer):
    with platform_scope():
        other = OrganizationFactory(slug="other")
    with tenant_scope(other):
        other_customer = CustomerFactory(organization=other)
    with time_machine.travel(datetime(2026, 11, 23, 2, 0, tzinfo=UTC), tick=False):
        assert _open(scoped, customer).number == "T20261123-000001"
        assert _open(other, other_customer).number == "T20261123-000001"
        assert _open(scoped, customer).number == "T20261123-000002"


@pytest.mark.django_db(transaction=True)
def test_numbers_opened_at_once_are_unique_and_gapless(organization):
    with tenant_scope(organization):
        customer = CustomerFactory(organization=organization)
    run_at_once([lambda: _open(organization, customer)] * 20)

    with tenant_scope(organization):
        sequences = sorted(int(n.rsplit("-", 1)[1]) for n in Ticket.objects.values_list("number", flat=True))
    assert sequences == list(range(1, 21))
