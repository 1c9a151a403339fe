"""What a new organization gets from the other apps. The core app imports none of them, so each app registers, from
its AppConfig.ready(), what it sets up for a new tenant:

    register_organization_setup("sla-calendars", calendars_ensure_defaults)   # func(*, organization), idempotent

`organization_setup` runs them all in the organization's scope, inside the transaction that creates it (the service
`organization_create` and the platform admin's add page): a tenant never exists half set up.

Likewise an app that keeps something of an organization's status (the webhooks' cached account lookup) registers
what to do when the platform suspends or resumes it:

    register_organization_status_hook("callback-accounts", accounts_forget_organization)   # func(*, organization)

And what a new organization's ops admin should configure, in order: each app registers its step of the checklist
the settings page shows until every step is done (`onboarding_steps_for`).
"""

from dataclasses import dataclass

from django.urls import reverse

from scrm.platform.tenancy import tenant_scope

_setups = {}
_status_hooks = {}
_steps = {}


@dataclass(frozen=True)
class OnboardingStep:
    """A step of a new organization's setup: `done()` (run in the open scope) says whether it has been made;
    `allowed(user)` is the rule of the page it links to (the same as its navigation entry's)."""

    key: str
    order: int
    label: str
    hint: str
    url_name: str
    done: object
    allowed: object


def register_onboarding_step(step):
    _steps[step.key] = step


def onboarding_steps_for(user):
    """The setup steps this user may take, in order, each with its page and whether it is done."""
    steps = sorted(_steps.values(), key=lambda step: step.order)
    return [{"step": step, "url": reverse(step.url_name), "done": step.done()}
            for step in steps if step.allowed(user)]


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
