"""Every write of people and places (people.py); customers have theirs in scrm.customers.services."""

from scrm.services.people import *  # noqa: F403
