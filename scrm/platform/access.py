"""Who may use what: the roles a user holds, module access, data scopes, masking, and the view mixin that enforces it.

A user holds preset roles (Django groups, the same for every organization) and custom roles (their organization's
`CustomRole` rows, active ones only). They combine so that a role can only ever widen what a user may do and see,
except masking, which any held role can impose:

- permissions add up (`ScrmModelBackend` adds the custom roles' grants to `has_perm`);
- modules add up (`user_can_use_module`);
- data scopes add up: a user sees a ticket or a customer when any role they hold lets them see it (the widest
  scope wins; `tickets.selectors.ticket_visible_q`, `scrm.selectors.customer_visible_q`);
- a field is shown in full only when the user holds its reveal permission AND no role they hold masks it
  (`user_masks`): a mask is a restriction, and a restriction of one role is not lifted by another.

Nothing here outlives a request: roles are read once per request onto the user object, which Django loads afresh for
every request, so a change of role takes effect on the user's next request.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from scrm.models import CustomRole, CustomRolePermission, MaskedField, User
from scrm.platform.roles import (
    FIELD_REVEAL_PERMISSION,
    MODULE_ROLES,
    PRESET_MASKED_FIELDS,
    ROLE_HOME_MODULE,
)
from scrm.platform.tenancy import tenant_scope

_ROLE_ORDER = list(ROLE_HOME_MODULE)
_MODULE_ORDER = list(MODULE_ROLES)


def user_roles(user):
    """The user's preset roles, most privileged first; cached on the user object for the request.

    The same query reads which custom roles the user holds (`user_custom_roles` then loads them only when there is
    one), so a user with none pays nothing for them.
    """
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_scrm_roles", None)
    if cached is None:
        if user.organization_id is None:  # a platform operator: no organization, so no custom role
            rows = [(name, None) for name in user.groups.values_list("name", flat=True)]
        else:
            with tenant_scope(user.organization_id):
                rows = list(User.objects.filter(pk=user.pk).values_list("groups__name",
                                                                         "custom_role_holdings__role_id"))
        names = {name for name, _role_id in rows}
        cached = [role for role in _ROLE_ORDER if role.value in names]
        user._scrm_roles = cached
        user._scrm_custom_role_ids = {role_id for _name, role_id in rows if role_id is not None}
    return cached


def user_has_role(user, *roles):
    return bool(set(user_roles(user)) & set(roles))


def user_custom_roles(user):
    """The active custom roles the user holds, each with `permission_names` ({"app_label.codename"}); read in the
    user's own organization once per request (cached on the user object; two queries, none for a user who holds
    no custom role)."""
    if not user.is_authenticated or user.organization_id is None:
        return []
    cached = getattr(user, "_scrm_custom_roles", None)
    if cached is None:
        user_roles(user)
        if not user._scrm_custom_role_ids:
            user._scrm_custom_roles = []
            return []
        grants = CustomRolePermission.objects.select_related("permission__content_type")
        with tenant_scope(user.organization_id):
            cached = list(CustomRole.objects.filter(is_active=True, pk__in=user._scrm_custom_role_ids)
                          .prefetch_related(Prefetch("grants", queryset=grants)).order_by("name", "pk"))
        for role in cached:
            role.permission_names = {f"{g.permission.content_type.app_label}.{g.permission.codename}"
                                     for g in role.grants.all()}
        user._scrm_custom_roles = cached
    return cached


def user_data_scopes(user, permission):
    """The data scopes of the user's custom roles that grant `permission` (a scope applies to what its role may
    view: a role without "tickets.view_ticket" shows no ticket, whatever its scope)."""
    return {role.data_scope for role in user_custom_roles(user) if permission in role.permission_names}


_customer_scopes = {}


def register_customer_scope(name, func):
    """More customers a supervisor or agent sees by their preset role: `func(user)` answers a Q of customers (the
    tickets app adds the customers of the tickets the user's queues and teams show). Read by
    `scrm.selectors.customer_visible_q`; the core app imports none of the apps that register."""
    _customer_scopes[name] = func


def customer_scope_providers():
    return list(_customer_scopes.values())


_ticket_access = {}


def register_ticket_access(func, *, many=None):
    """Whether a user may open a ticket's page: `func(user, ticket_id)` answers True or False, `many(user,
    ticket_ids)` the set of those of `ticket_ids` they may open, in one query (the tickets app registers its own
    rule). Read by the notification centre and the forms' submissions tables, which link to tickets without
    importing them."""
    _ticket_access["func"] = func
    _ticket_access["many"] = many


def user_may_open_ticket(user, ticket_id):
    func = _ticket_access.get("func")
    return True if func is None else func(user, ticket_id)


def user_openable_tickets(user, ticket_ids):
    """Of `ticket_ids`, the set the user may open (all of them when no app registered a rule)."""
    ids = {ticket_id for ticket_id in ticket_ids if ticket_id is not None}
    if not ids:
        return set()
    many = _ticket_access.get("many")
    if many is not None:
        return set(many(user, ids))
    return {ticket_id for ticket_id in ids if user_may_open_ticket(user, ticket_id)}


def user_can_use_module(user, module):
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if MODULE_ROLES[module] & set(user_roles(user)):
        return True
    return any(module in role.modules for role in user_custom_roles(user))


def user_home_module(user):
    """The module a user lands on after signing in, or None when they hold no role: their first preset role's, else
    the first module (in navigation order) one of their custom roles opens."""
    roles = user_roles(user)
    if roles:
        return ROLE_HOME_MODULE[roles[0]]
    opened = {module for role in user_custom_roles(user) for module in role.modules}
    for module in _MODULE_ORDER:
        if module in opened:
            return module
    if user.is_superuser:
        return "settings"
    return None


def user_may_manage_roles(user):
    """The roles page: preset ops admins only (the permission is never grantable by a custom role)."""
    return user.is_authenticated and user.organization_id is not None and user.has_perm("scrm.change_customrole")


class ModuleRequiredMixin(LoginRequiredMixin):
    """A page of one module: signed-in users whose role may use the module; everyone else gets 403."""

    module = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_can_use_module(request.user, self.module):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def user_masks(user, field):
    """Whether `user` must see `field` (a `MaskedField`) masked: the one masking rule of pages, API and exports.

    Shown in full only when the user holds the field's reveal permission (FIELD_REVEAL_PERMISSION, from any role)
    and no role they hold masks it: finance masks mobile, real name and address; a custom role masks the fields ops
    ticked. A mask of one role is never lifted by another role's grant.
    """
    if not user.is_authenticated:
        return True
    if any(field in PRESET_MASKED_FIELDS.get(role, ()) for role in user_roles(user)):
        return True
    if any(field in role.masked_fields for role in user_custom_roles(user)):
        return True
    permission = FIELD_REVEAL_PERMISSION.get(field)
    return permission is not None and not user.has_perm(permission)


CUSTOMER_PII_FIELDS = (MaskedField.MOBILE, MaskedField.REAL_NAME)


def user_revealable_fields(user, fields=CUSTOMER_PII_FIELDS):
    """Of `fields`, those the user may see in full (as plain strings, in the given order)."""
    return tuple(str(field) for field in fields if not user_masks(user, field))


def user_may_reveal_pii(user):
    """Whether the user may see any of a customer's mobile and real name in full (the reveal button)."""
    return bool(user_revealable_fields(user))


MSG_SETTINGS_DELETED = _("“%(name)s” deleted.")


def settings_form_errors(form, exc):
    """Show a service's ValidationError on the settings page's form: each message on its field when the form has
    one, else above the form."""
    for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def settings_delete_response(request, delete, *, name, done, back):
    """The answer of a settings page's Delete button: `delete()` (a service) and back to the list (`done`), or,
    when it refuses (ValidationError: still in use), its reason shown on the object's page (`back`)."""
    try:
        delete()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    messages.success(request, MSG_SETTINGS_DELETED % {"name": name})
    return redirect(done)


# The people-and-places pages of the settings module (scrm.views_people): one rule per page, from the model
# permissions of scrm.platform.roles, so that a custom role granting them opens the page and nothing else does.


def _org_user_has(user, *permissions):
    return (user.is_authenticated and user.organization_id is not None
            and all(user.has_perm(permission) for permission in permissions))


def user_configures_regions(user):
    """The regions page: add and change regions (deleting one needs `scrm.delete_region` too)."""
    return _org_user_has(user, "scrm.add_region", "scrm.change_region")


def user_configures_teams(user):
    """The teams page: add and change teams, add and remove members (deleting needs `scrm.delete_team` too)."""
    return _org_user_has(user, "scrm.add_team", "scrm.change_team")


def user_manages_staff(user):
    """The users page: create staff accounts, change their roles, deactivate them, reset passwords. Preset ops
    admins only (`scrm.add_user` and `scrm.change_user` are never grantable by a custom role)."""
    return _org_user_has(user, "scrm.add_user", "scrm.change_user")


def user_configures_agents(user):
    """The agents page: capacity, presence, skills and regions of agent profiles (ops admins and supervisors;
    a supervisor sees the agents they supervise or whose team they lead: `scrm.selectors.agent_profiles_for`)."""
    return _org_user_has(user, "scrm.change_agentprofile")
