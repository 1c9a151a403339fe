"""Every write of the core app: people and places (people.py) and customers (customers.py)."""

from scrm.services.customers import *  # noqa: F403
from scrm.services.people import *  # noqa: F403
