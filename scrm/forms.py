"""Sign-in forms of the site and of the admin."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from scrm.errors import MSG_ORGANIZATION_SUSPENDED


class SignInForm(AuthenticationForm):
    """Sign-in that refuses, with a clear message, a user of an organization the platform suspended."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.organization_id is not None and user.organization.is_suspended:
            raise forms.ValidationError(MSG_ORGANIZATION_SUSPENDED, code="organization_suspended")


class AdminSignInForm(SignInForm, AdminAuthenticationForm):
    """The admin's sign-in page, with the same refusal."""
