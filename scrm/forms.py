"""Sign-in forms of the site and of the admin, and how a refused form reads as page messages."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from scrm.errors import MSG_ORGANIZATION_SUSPENDED

# A form field and why it was refused, as one message: "渠道：此项为必填。"
MSG_FIELD_ERROR = _("%(field)s: %(error)s")


def form_error_messages(form):
    """The refusals of a bound form as messages for a page that redirects (so the form's own errors are not shown):
    each names its field ("渠道：此项为必填。", never a bare "此项为必填。" per field); a form-wide one as it is."""
    shown = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        for error in errors:
            shown.append(MSG_FIELD_ERROR % {"field": field.label, "error": error} if field is not None else error)
    return shown


class SignInForm(AuthenticationForm):
    """Sign-in that refuses, with a clear message, a user of an organization the platform suspended."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.organization_id is not None and user.organization.is_suspended:
            raise forms.ValidationError(MSG_ORGANIZATION_SUSPENDED, code="organization_suspended")


class AdminSignInForm(SignInForm, AdminAuthenticationForm):
    """The admin's sign-in page, with the same refusal."""
