"""Signing in and loading the signed-in user: the one place product code reads users with no scope open.

`User.objects` is scoped like every tenant manager, and at sign-in (and when a session or token names its user) no
organization is known yet: the backend looks the user up through the unscoped `User.all_objects`, then does what
writes the user's row (a password hash upgrade, the last sign-in time) in that user's own scope.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in

from scrm.models import User
from scrm.platform.tenancy import platform_scope, tenant_scope


def own_scope(user):
    """The scope of the user's own row: their organization's, or the platform's for a platform operator."""
    if user.organization_id is None:
        # Lift: a platform operator's own row belongs to no organization (sign-in, its hash upgrade, last login).
        return platform_scope()
    return tenant_scope(user.organization_id)


class ScrmModelBackend(ModelBackend):
    """Django's model backend, reading users through `User.all_objects` (sign-in and session loading)."""

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

