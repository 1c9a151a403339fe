"""Writes of an organization's own roles: define or change one, give it to a user, take it back. Each writes a
`CustomRoleChange` row (the audit trail) in the same transaction. Who may call them is the view's rule
(`scrm.platform.access.user_may_manage_roles`); what a role may grant is checked here, whoever calls."""

from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction

from scrm.errors import (
    MSG_ROLE_INACTIVE,
    MSG_ROLE_NAME_PRESET,
    MSG_ROLE_NAME_TAKEN,
    MSG_ROLE_NOT_GRANTABLE,
    MSG_ROLE_OTHER_ORG,
    MSG_ROLE_UNKNOWN_MODULE,
    ScrmError,
)
from scrm.models import (
    CustomRole,
    CustomRoleAssignment,
    CustomRoleChange,
    CustomRolePermission,
    DataScope,
    MaskedField,
    Role,
)
from scrm.platform.roles import MODULE_ROLES, grantable_permission_names

__all__ = ["role_assign", "role_save", "role_unassign"]


def _snapshot(role, permissions):
    return {"name": role.name, "description": role.description, "modules": list(role.modules),
            "permissions": sorted(permissions), "data_scope": role.data_scope,
            "masked_fields": list(role.masked_fields), "is_active": role.is_active}


def _permission_rows(names):
    """Permission rows for "app_label.codename" names; refuses any the permission table does not offer."""
    offered = grantable_permission_names()
    for name in sorted(names):
        if name not in offered:
            raise ScrmError(MSG_ROLE_NOT_GRANTABLE % {"name": name})
    wanted = {tuple(name.split(".", 1)) for name in names}
    rows = [p for p in Permission.objects.select_related("content_type").filter(codename__in={c for _a, c in wanted})
            if (p.content_type.app_label, p.codename) in wanted]
    return rows


@transaction.atomic
def role_save(*, organization, by, name, permissions, modules, data_scope, masked_fields=(), description="",
              is_active=True, role=None):
    """Create a custom role (`role=None`) or replace what `role` grants, in full.

    Invariants: the name is unique in the organization and is no preset role's; modules are known ones;
    `permissions` ("app_label.codename") are all offered by the permission table (`grantable_permissions`), so a
    custom role never grants what no preset role holds, nor role or staff management. Deactivating
    (`is_active=False`) keeps the holders; the role grants nothing until reactivated.
    """
    name = name.strip()
    if name in set(Role.values) | {str(label) for label in Role.labels}:
        raise ScrmError(MSG_ROLE_NAME_PRESET)
    for module in modules:
        if module not in MODULE_ROLES:
            raise ScrmError(MSG_ROLE_UNKNOWN_MODULE % {"name": module})
    permissions = set(permissions)
    rows = _permission_rows(permissions)
    creating = role is None
    if creating:
        role = CustomRole(organization=organization)
    elif role.organization_id != organization.pk:
        raise ScrmError(MSG_ROLE_OTHER_ORG)
    role.name, role.description, role.is_active = name, description.strip(), is_active
    role.modules = [m for m in MODULE_ROLES if m in set(modules)]
    role.data_scope = DataScope(data_scope).value
    role.masked_fields = [f.value for f in MaskedField if f.value in set(masked_fields)]
    try:
        with transaction.atomic():
            role.save()
    except IntegrityError as exc:
        raise ScrmError(MSG_ROLE_NAME_TAKEN) from exc
    CustomRolePermission.objects.filter(role=role).exclude(permission__in=rows).delete()
    held = set(CustomRolePermission.objects.filter(role=role).values_list("permission_id", flat=True))
    CustomRolePermission.objects.bulk_create([
        CustomRolePermission(organization=organization, role=role, permission=p) for p in rows if p.pk not in held
    ])
    CustomRoleChange.objects.create(
        organization=organization, role=role, by=by,
        action=CustomRoleChange.Action.CREATED if creating else CustomRoleChange.Action.CHANGED,
        detail=_snapshot(role, permissions),
    )
    return role


def _same_organization(role, user):
    if user.organization_id is None or role.organization_id != user.organization_id:
        raise ScrmError(MSG_ROLE_OTHER_ORG)


@transaction.atomic
def role_assign(*, role, user, by):
    """Give `user` the custom role (a no-op when they hold it). Both must be of the same organization; a
    deactivated role is not handed out."""
    _same_organization(role, user)
    if not role.is_active:
        raise ScrmError(MSG_ROLE_INACTIVE)
    _assignment, created = CustomRoleAssignment.objects.get_or_create(
        organization_id=role.organization_id, role=role, user=user)
    if created:
        CustomRoleChange.objects.create(organization_id=role.organization_id, role=role, by=by, user=user,
                                        action=CustomRoleChange.Action.ASSIGNED, detail={"user": user.username})
    return created


@transaction.atomic
def role_unassign(*, role, user, by):
    """Take the custom role back from `user` (a no-op when they do not hold it)."""
    _same_organization(role, user)
    deleted, _rows = CustomRoleAssignment.objects.filter(role=role, user=user).delete()
    if deleted:
        CustomRoleChange.objects.create(organization_id=role.organization_id, role=role, by=by, user=user,
                                        action=CustomRoleChange.Action.UNASSIGNED, detail={"user": user.username})
    return bool(deleted)
