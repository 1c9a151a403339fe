"""Audited lifts of the tenant guard: the platform console and named maintenance commands.

A person (a platform operator in the console) or a named maintenance command that needs every organization's rows
lifts the guard through `platform_lift`, which first records who, when and what in `PlatformAudit`, then opens
`platform_scope()`. System machinery that must see every tenant without a person behind it (the outbox and SLA
sweeps, sign-in, global uniqueness checks) calls `platform_scope()` itself, with a `# Lift:` comment saying why;
docs/tenancy.md lists every such place and tests/scrm/test_platform_lifts.py keeps the list honest.
"""

from scrm.models import PlatformAudit, SettingsChange
from scrm.platform.tenancy import platform_scope

WHAT_MAX = PlatformAudit._meta.get_field("what").max_length


def platform_lift(*, what, actor=None, command=""):
    """Record the lift (a platform operator as `actor`, or a maintenance `command` by name), then return the
    platform scope to open with `with`. The record is written before any cross-tenant query runs."""
    if actor is None and not command:
        raise ValueError("platform_lift() needs who lifts the guard: a platform operator or a command's name.")
    PlatformAudit.objects.create(
        source=PlatformAudit.Source.CONSOLE if actor is not None else PlatformAudit.Source.COMMAND,
        actor=actor, command=command, what=what[:WHAT_MAX])
    return platform_scope()


def settings_change_record(*, instance, action, by=None, detail=None):
    """One row of the settings audit trail for a tenant object ops changed (call it inside the service's
    transaction, after the write, so the row and the change commit or roll back together)."""
    return SettingsChange.objects.create(
        organization_id=instance.organization_id, subject=instance._meta.label_lower, subject_id=instance.pk,
        subject_name=str(instance)[:200], action=action, by=by, detail=detail or {})
