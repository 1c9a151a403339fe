"""What a new organization gets from the other apps. The core app imports none of them, so each app registers, from
its AppConfig.ready(), what it sets up for a new tenant:

    register_organization_setup("sla-calendars", calendars_ensure_defaults)   # func(*, organization), idempotent

`organization_setup` runs them all in the organization's scope, inside the transaction that creates it (the service
`organization_create` and the platform admin's add page): a tenant never exists half set up.
"""

from scrm.tenancy import tenant_scope

_setups = {}


def register_organization_setup(name, func):
    _setups[name] = func


def organization_setup(organization):
    with tenant_scope(organization):
        for func in _setups.values():
            func(organization=organization)
