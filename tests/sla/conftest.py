"""The SLA tests work on tickets: they use the tickets tests' customer and queue."""

from tests.tickets.conftest import customer, queue  # noqa: F401 - fixtures

