"""Sign-in forms of the site and of the admin, how a refused form reads as page messages, and the one way a form's
widgets get their Bootstrap classes."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from scrm.errors import MSG_ORGANIZATION_SUSPENDED

# A form field and why it was refused, as one message: "渠道：此项为必填。"
MSG_FIELD_ERROR = _("%(field)s: %(error)s")

# The only value a browser's date input (<input type="date">) accepts, whatever the language: a DateInput left to
# the locale writes Chinese pages' first input format (2026/12/04), which the browser drops, leaving the field empty.
ISO_DATE = "%Y-%m-%d"


def form_error_messages(form):
    """The refusals of a bound form as messages for a page that redirects (so the form's own errors are not shown):
    each names its field ("渠道：此项为必填。", never a bare "此项为必填。" per field); a form-wide one as it is."""
    shown = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        for error in errors:
            shown.append(MSG_FIELD_ERROR % {"field": field.label, "error": error} if field is not None else error)
    return shown


# A class any of these in it is one a form chose for the control on purpose: `bootstrap` leaves it as it is.
BOOTSTRAP_CONTROL_CLASSES = frozenset({"form-control", "form-control-sm", "form-control-lg", "form-control-plaintext",
                                       "form-select", "form-select-sm", "form-select-lg", "form-check-input",
                                       "form-range", "btn-check"})


def _bootstrap_class(widget, small):
    """The Bootstrap class of one (not multi-) widget, or None for one the templates render themselves."""
    if isinstance(widget, forms.HiddenInput):
        return None
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
        # A list of radios or boxes (CheckboxSelectMultiple is a RadioSelect) is laid out option by option by its
        # template (`{{ box.tag }}` in a .form-check); each option's box needs the class its .form-check expects, or
        # it sits indented and touching its label.
        return "form-check-input"
    if isinstance(widget, forms.Select) or getattr(widget, "input_type", None) == "select":
        return "form-select form-select-sm" if small else "form-select"
    return "form-control form-control-sm" if small else "form-control"


def _bootstrap_widget(widget, small):
    classes = widget.attrs.get("class", "").split()
    if BOOTSTRAP_CONTROL_CLASSES.intersection(classes):
        return  # sized or styled on purpose where the widget was declared
    if isinstance(widget, forms.MultiWidget):
        # A range (django-filter's from/to boxes) or a split date and time: each box gets its own class. The outer
        # widget's class would replace theirs when it renders, so an unrelated one set there moves onto each box.
        widget.attrs.pop("class", None)
        for part in widget.widgets:
            if classes:
                part.attrs["class"] = " ".join(dict.fromkeys([*classes, *part.attrs.get("class", "").split()]))
            _bootstrap_widget(part, small)
        return
    css = _bootstrap_class(widget, small)
    if css is not None:
        # An unrelated class (a hook for the page's script, a font) is kept and the Bootstrap one added after it.
        widget.attrs["class"] = " ".join([*classes, css])


def bootstrap(form, *, small=False):
    """Give every widget of `form` its Bootstrap 5 class and return the form: a checkbox and each option of a list
    of radios or boxes `form-check-input` (its template lays the options out), a drop-down (single or multiple)
    `form-select`, anything else (text, number, date, textarea, file, each box of a range) `form-control`; `small`
    for the `-sm` sizes of a filter row or a dense settings grid; hidden inputs alone. A widget already carrying a
    Bootstrap control class keeps it untouched; one with only other classes keeps them and gets ours appended."""
    for field in form.fields.values():
        _bootstrap_widget(field.widget, small)
    return form


class SignInForm(AuthenticationForm):
    """Sign-in that refuses, with a clear message, a user of an organization the platform suspended."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.organization_id is not None and user.organization.is_suspended:
            raise forms.ValidationError(MSG_ORGANIZATION_SUSPENDED, code="organization_suspended")


class AdminSignInForm(SignInForm, AdminAuthenticationForm):
    """The admin's sign-in page, with the same refusal."""
