from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseForbidden
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation

from scrm.tenancy import platform_scope, tenant_scope


class TenantScopeMiddleware:
    """Open the signed-in user's organization scope around the whole request.

    A platform superuser (no organization) works in the platform scope; a staff user of an inactive organization,
    or with no organization, is refused. Anonymous requests open no scope, so a tenant query there raises.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        if user.organization_id is None:
            if user.is_superuser:
                with platform_scope():
                    return self.get_response(request)
            return self._refuse(request)
        if not user.organization.is_active:
            return self._refuse(request)
        with tenant_scope(user.organization_id):
            return self.get_response(request)

    def _refuse(self, request):
        return HttpResponseForbidden(
            render_to_string("403.html", {"exception": PermissionDenied()}, request=request)
        )


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise: the language cookie set by the language switch decides, and the
    browser's Accept-Language does not (an English-language browser in a Chinese company still gets Chinese)."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
