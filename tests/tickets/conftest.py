"""Fixtures of the tickets tests: one organization's customer, queue and agents, opened in its scope."""

import pytest

from tests.tickets.factories import CustomerFactory, QueueFactory


@pytest.fixture
def customer(scoped):
    return CustomerFactory(organization=scoped, display_name="王小明")


@pytest.fixture
def queue(scoped):
    return QueueFactory(organization=scoped, name="售后一线", code="l1")

