"""Audited lifts of the tenant guard: the platform console and named maintenance commands.

A person (a platform operator in the console) or a named maintenance command that needs every organization's rows
lifts the guard through `platform_lift`, which first records who, when and what in `PlatformAudit`, then opens
`platform_scope()`. System machinery that must see every tenant without a person behind it (the outbox and SLA
sweeps, sign-in, global uniqueness checks) calls `platform_scope()` itself, with a `# Lift:` comment saying why;
docs/tenancy.md lists every such place and tests/scrm/test_platform_lifts.py keeps the list honest.
"""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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


MSG_IN_USE = _("“%(name)s” cannot be deleted: it is still used by %(uses)s. Change those first.")
MSG_IN_USE_SWITCH_OFF = _("“%(name)s” cannot be deleted: it is still used by %(uses)s. Switch it off instead: "
                          "it is then no longer offered, and what used it keeps it.")


def settings_object_uses(instance, *, parts=()):
    """What still points at a settings object, as [(what, count)]: every row of every model (of any app) with a
    foreign key to it, except the models in `parts` (its own parts and through rows, deleted with it; models or
    "app_label.Model" labels of apps the caller may not import). One count
    per relation; run it in the object's tenant scope."""
    uses = []
    for relation in instance._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        model = relation.related_model
        if model in parts or model._meta.label in parts:
            continue
        count = model._base_manager.filter(**{relation.field.name: instance}).count()
        if count:
            uses.append((_use_label(model), count))
    return uses


def _use_label(model):
    """What a row of `model` is to ops: the through row of a many-to-many (an agent profile's regions, a rule's
    tags) is named by the model that holds the relation, as its own name is the class name in English."""
    for owner in apps.get_models():
        for field in owner._meta.local_many_to_many:
            if field.remote_field.through is model:
                return owner._meta.verbose_name_plural
    return model._meta.verbose_name_plural


def settings_object_delete(*, instance, by, parts=(), switch_off=False, detail=None):
    """Delete a settings object ops no longer want, with one row of the settings audit trail, unless something
    still uses it (tickets, rules, policies...: `settings_object_uses`): then ValidationError says what, and
    nothing is deleted. `switch_off`: the object can be switched off instead, and the message says so. Call it
    inside the service's transaction and tenant scope."""
    uses = settings_object_uses(instance, parts=parts)
    if uses:
        message = MSG_IN_USE_SWITCH_OFF if switch_off else MSG_IN_USE
        raise ValidationError(message, params={
            "name": str(instance), "uses": "、".join(f"{what} {count}" for what, count in uses)})
    settings_change_record(instance=instance, by=by, action=SettingsChange.Action.DELETED, detail=detail)
    instance.delete()
