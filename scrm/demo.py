"""Demo data of other apps: `seed_demo` creates the core (regions, teams, users, customers), then runs every seeder
registered here, in the demo organization's scope. The core app imports no other app, so each app registers its own
seeder from its AppConfig.ready():

    register_demo_seeder("tickets", seed_tickets)   # seed_tickets(*, organization) -> None, idempotent
"""

_seeders = {}


def register_demo_seeder(name, func):
    _seeders[name] = func


def demo_seeders():
    return dict(_seeders)
