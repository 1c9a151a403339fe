from urllib.parse import unquote, urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect, resolve_url
from django.template.loader import render_to_string
from django.urls import URLResolver, get_resolver, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from scrm.errors import MSG_NEXT_NEEDS_ANOTHER_ROLE, MSG_ORGANIZATION_SUSPENDED
from scrm.platform.audit import platform_lift
from scrm.platform.tenancy import (
    NO_ORGANIZATION_API,
    NO_ORGANIZATION_PAGE,
    NO_ORGANIZATION_TITLE,
    assert_no_scope_open,
    tenant_scope,
)


class TenantScopeMiddleware:
    """Open the signed-in user's organization scope around the whole request, in one `with` block.

    Every request starts with no scope open (one found open leaked from earlier work and fails loudly). A user
    with no organization (a platform operator) works only in the platform console, the Django admin, which runs in
    the platform scope, each request recorded in the platform audit; signing in and the home page send them there
    (saying why), every other product page answers them 403 with a pointer to it, so no page ever shows the rows of
    several organizations mixed. A user of a suspended
    organization is refused, saying so, on the very next request: the organization's status is read from the
    database on every request, never cached. Anonymous requests open no scope, so a tenant query there raises.
    """

    CONSOLE_PATH = "/admin/"
    # Pages a user without an organization may still open besides the console: signing out, the language (the
    # switch, and 个人设置, where they have nothing else to set), the sign-in page (which sends a signed-in operator
    # on to the console).
    ACCOUNT_PATHS = ("/accounts/logout/", "/i18n/", "/accounts/settings/", "/accounts/login/")
    # The home page sends a platform operator on to the console, saying why (scrm.views.HomeView).
    HOME_PATH = "/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        assert_no_scope_open("a request")
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        if user.organization_id is None:
            if user.is_superuser and request.path_info.startswith(self.CONSOLE_PATH):
                # The platform console: every request of it lifts the guard, recorded (who, when, which page).
                with platform_lift(actor=user, what=f"{request.method} {request.get_full_path()}"):
                    return self.get_response(request)
            if request.path_info.startswith(self.ACCOUNT_PATHS) or (
                    user.is_superuser and request.path_info == self.HOME_PATH):
                return self.get_response(request)
            return self._refuse_no_organization(request)
        if user.organization.is_suspended:
            return self._refuse(request)
        with tenant_scope(user.organization_id):
            return self.get_response(request)

    def _refuse(self, request):
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": str(MSG_ORGANIZATION_SUSPENDED)}, status=403)
        return HttpResponseForbidden(render_to_string("403_organization.html", {
            "heading": _("Your organization is suspended"), "message": MSG_ORGANIZATION_SUSPENDED,
        }, request=request))

    def _refuse_no_organization(self, request):
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": str(NO_ORGANIZATION_API)}, status=403)
        return HttpResponseForbidden(render_to_string("403_organization.html", {
            "heading": NO_ORGANIZATION_TITLE, "message": NO_ORGANIZATION_PAGE, "console": True,
        }, request=request))


_SIGN_IN_LANDING = "scrm_sign_in_landing"


def sign_in_landing_remember(request, url):
    """The sign-in sent the user on to `url` (a safe `next`): `SignInLandingMiddleware` looks at that one request."""
    request.session[_SIGN_IN_LANDING] = url


class SignInLandingMiddleware:
    """The request right after signing in with `?next=`: when that page refuses the user's role (403), send them to
    their own home page with a message rather than a bare 403 as the first thing they see. Any later request to the
    same page gets the 403 as usual; only the landing is softened. Place after the message middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        landing = None
        if request.user.is_authenticated:
            landing = request.session.pop(_SIGN_IN_LANDING, None)
        response = self.get_response(request)
        if (landing and response.status_code == 403 and request.method == "GET"
                and unquote(urlsplit(landing).path) == request.path and request.path != reverse("scrm:home")):
            messages.warning(request, MSG_NEXT_NEEDS_ANOTHER_ROLE)
            return redirect("scrm:home")
        return response


class HtmxSignInMiddleware:
    """A part of a page loaded by htmx (the bell's count and panel, a ticket's forms panel) after the session
    expired was redirected to the sign-in page, which htmx followed and swapped in: a login form inside the bell.
    Such a request sent to sign in now reloads the whole browser page at the sign-in page (`HX-Redirect`), coming
    back to the page the user was on (`HX-Current-URL`), not to the fragment's address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or response.status_code not in (301, 302):
            return response
        login = resolve_url(settings.LOGIN_URL)
        if urlsplit(response.get("Location", "")).path != login:
            return response
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = current.path if current.path.startswith("/") and not current.path.startswith("//") else "/"
        if current.query:
            back = f"{back}?{current.query}"
        whole_page = HttpResponse(status=204)
        whole_page["HX-Redirect"] = f"{login}?{urlencode({'next': back})}"
        return whole_page


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise: the language cookie set by the language switch decides, and the
    browser's Accept-Language does not (an English-language browser in a Chinese company still gets Chinese)."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class CallbackFastPathMiddleware:
    """The platforms' callbacks (`/hooks/...`) go straight to their view, past the middleware below this one.

    Sessions, sign-in, CSRF, the language, messages, the Content-Security-Policy header and login lockouts are the
    browser's: a callback is a signed machine request that uses none of them, and together they cost a third of its
    time on the product's hottest path. Place it right after SecurityMiddleware (HTTPS redirect and its headers
    still apply). The view is resolved from the same URLconf; an exception becomes the usual error response.
    """

    PREFIX = "/hooks/"

    def __init__(self, get_response):
        self.get_response = get_response
        self.callback = convert_exception_to_response(self._view)
        self._hooks = None

    def __call__(self, request):
        if request.path_info.startswith(self.PREFIX):
            assert_no_scope_open("a callback")
            return self.callback(request)
        return self.get_response(request)

    def _resolver(self):
        """The URLconf's own `hooks/` include, found once: resolving a callback there skips trying every page's
        pattern first (a fifth of the web side's Python on this path). Without one, the whole URLconf."""
        if self._hooks is None:
            root = get_resolver()
            found = [p for p in root.url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "hooks/"]
            self._hooks = (found[0], 1) if found else (root, 0)
        return self._hooks

    def _view(self, request):
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it: a foreign Host is a 400
        resolver, skip = self._resolver()
        match = resolver.resolve(request.path_info[skip:])
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
