"""Who may use what: roles of a user, module access, and the view mixin that enforces it."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from scrm.models import Role
from scrm.platform.roles import MODULE_ROLES, ROLE_HOME_MODULE

_ROLE_ORDER = list(ROLE_HOME_MODULE)


def user_roles(user):
    """The user's roles, most privileged first; cached on the user object for the request."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_scrm_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = [role for role in _ROLE_ORDER if role.value in names]
        user._scrm_roles = cached
    return cached


def user_has_role(user, *roles):
    return bool(set(user_roles(user)) & set(roles))


def user_can_use_module(user, module):
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(MODULE_ROLES[module] & set(user_roles(user)))


def user_home_module(user):
    """The module a user lands on after signing in, or None when they hold no role."""
    roles = user_roles(user)
    if roles:
        return ROLE_HOME_MODULE[roles[0]]
    if user.is_superuser:
        return "settings"
    return None


class ModuleRequiredMixin(LoginRequiredMixin):
    """A page of one module: signed-in users whose role may use the module; everyone else gets 403."""

    module = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_can_use_module(request.user, self.module):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)



def user_may_reveal_pii(user):
    """Whether the user may see customers' full mobile and real name. Finance never may, whatever else they hold."""
    if not user.is_authenticated or user_has_role(user, Role.FINANCE):
        return False
    return user.has_perm("scrm.reveal_customer_pii")
