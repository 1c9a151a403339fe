"""Signing in and loading the signed-in user: the one place product code reads users with no scope open.

`User.objects` is scoped like every tenant manager, and at sign-in (and when a session or token names its user) no
organization is known yet: the backend looks the user up through the unscoped `User.all_objects`, then does what
writes the user's row (a password hash upgrade, the last sign-in time) in that user's own scope.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission, update_last_login
from django.contrib.auth.signals import user_logged_in
from django.db.models import Q

from scrm.models import CustomRolePermission, User
from scrm.platform.tenancy import platform_scope, tenant_scope


def own_scope(user):
    """The scope of the user's own row: their organization's, or the platform's for a platform operator."""
    if user.organization_id is None:
        # Lift: a platform operator's own row belongs to no organization (sign-in, its hash upgrade, last login).
        return platform_scope()
    return tenant_scope(user.organization_id)


class ScrmModelBackend(ModelBackend):
    """Django's model backend, reading users through `User.all_objects` (sign-in and session loading), whose
    `has_perm` also counts the permissions of the custom roles the user holds (read once per request)."""

    def get_group_permissions(self, user_obj, obj=None):
        """The permissions of the user's preset roles (groups) and of the active custom roles they hold, in one
        query, cached on the user object for the request (as Django caches its own)."""
        if (not user_obj.is_active or user_obj.is_anonymous or obj is not None or user_obj.is_superuser
                or user_obj.organization_id is None):
            return super().get_group_permissions(user_obj, obj)
        if not hasattr(user_obj, "_group_perm_cache"):
            with tenant_scope(user_obj.organization_id):
                granted = CustomRolePermission.objects.filter(
                    role__is_active=True, role__assignments__user=user_obj).values("permission_id")
                rows = set(Permission.objects.filter(Q(group__user=user_obj) | Q(pk__in=granted))
                           .values_list("content_type__app_label", "codename"))
            user_obj._group_perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._group_perm_cache

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = User.all_objects.get_by_natural_key(username)
        except User.DoesNotExist:
            User().set_password(password)  # as long as for a user who exists (Django's timing defence)
            return None
        with own_scope(user):  # check_password saves an upgraded hash
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        return None

    def get_user(self, user_id):
        user = User.all_objects.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


def update_last_login_in_own_scope(sender, user, **kwargs):
    with own_scope(user):
        update_last_login(sender, user, **kwargs)


def connect_signals():
    """Django's receiver saves `last_login` with no scope open (the sign-in request is anonymous): ours saves it in
    the user's own scope. Same dispatch uid, so it replaces Django's."""
    user_logged_in.disconnect(dispatch_uid="update_last_login")
    user_logged_in.connect(update_last_login_in_own_scope, dispatch_uid="update_last_login")

