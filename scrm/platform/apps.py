"""Third-party apps as our admin names them. A package that ships no Chinese gets its name here: Django's own way to
rename an installed app is an AppConfig subclass named in INSTALLED_APPS in place of the package."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    """django-axes (sign-in lockouts): its app read "Axes" in the platform operator's admin and console."""

    verbose_name = _("Sign-in protection")
