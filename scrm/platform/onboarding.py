"""What a new organization gets from the other apps. The core app imports none of them, so each app registers, from
its AppConfig.ready(), what it sets up for a new tenant:

    register_organization_setup("sla-calendars", calendars_ensure_defaults)   # func(*, organization), idempotent

`organization_setup` runs them all in the organization's scope, inside the transaction that creates it (the service
`organization_create` and the platform admin's add page): a tenant never exists half set up.

Likewise an app that keeps something of an organization's status (the webhooks' cached account lookup) registers
what to do when the platform suspends or resumes it:

    register_organization_status_hook("callback-accounts", accounts_forget_organization)   # func(*, organization)
"""

from scrm.platform.tenancy import tenant_scope

_setups = {}
_status_hooks = {}


def register_organization_setup(name, func):
    _setups[name] = func


def organization_setup(organization):
    with tenant_scope(organization):
        for func in _setups.values():
            func(organization=organization)


def register_organization_status_hook(name, func):
    _status_hooks[name] = func


def organization_status_changed(organization):
    for func in _status_hooks.values():
        func(organization=organization)
