"""Every write of people and places (people.py) and of custom roles (roles.py); customers have theirs in
scrm.customers.services."""

from scrm.services.people import *  # noqa: F403
from scrm.services.roles import *  # noqa: F403
from scrm.services.skills import *  # noqa: F403
from scrm.services.staff import *  # noqa: F403
from scrm.services.tags import *  # noqa: F403
