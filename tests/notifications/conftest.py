"""The notifications tests tell people about tickets: they use the tickets tests' customer and queue."""

from tests.tickets.conftest import customer, queue  # noqa: F401 - fixtures

