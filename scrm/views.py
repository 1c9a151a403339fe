from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, resolve_url
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from django.views.i18n import set_language

from scrm import health
from scrm.errors import (
    MSG_API_TOKEN_ISSUED,
    MSG_API_TOKEN_NO_ORGANIZATION,
    MSG_API_TOKEN_REVOKED,
    MSG_PLATFORM_OPERATOR_HOME,
)
from scrm.forms import SignInForm
from scrm.paginators import TableRequestConfig
from scrm.platform.access import ModuleRequiredMixin, user_home_module
from scrm.platform.middleware import sign_in_landing_remember
from scrm.platform.navigation import NAV_ITEMS, nav_children_for
from scrm.platform.onboarding import onboarding_steps_for
from scrm.selectors import api_token_of, organization_summary, organization_users, region_list, team_list
from scrm.services import api_token_issue, api_token_revoke, user_language_set
from scrm.tables import RegionTable, TeamTable, UserTable

_MODULE_URLS = {item.module: item.url_name for item in NAV_ITEMS}


CONSOLE_URL = "admin:index"


class SignInView(LoginView):
    """Django's sign-in, landing each user where they can work: a platform operator (no organization) in the platform
    console whatever `next` says (product pages are not theirs; a `next` inside the console is kept); anyone else on
    the safe `next` (Django's host and scheme check), remembered so that a `next` their role may not open sends
    them home with a message instead of a bare 403 (`SignInLandingMiddleware`)."""

    redirect_authenticated_user = True
    authentication_form = SignInForm

    def get_success_url(self):
        user = self.request.user
        if user.is_authenticated and user.organization_id is None:
            console = resolve_url(CONSOLE_URL)
            wanted = self.get_redirect_url()
            if user.is_superuser and wanted.startswith(console):
                return wanted
            messages.info(self.request, MSG_PLATFORM_OPERATOR_HOME)
            return console
        return super().get_success_url()

    def form_valid(self, form):
        response = super().form_valid(form)
        user = self.request.user
        if user.organization_id is not None and self.get_redirect_url():
            sign_in_landing_remember(self.request, response.url)
        if user.language:
            # The language they chose on another browser or device: this browser opens in it from the first page.
            language_cookie_set(response, user.language)
        return response


def language_cookie_set(response, language):
    """The language cookie `ChineseFirstLocaleMiddleware` reads, set as Django's language switch sets it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LanguageSetView(View):
    """The language switch: Django's own (the cookie, back to a safe `next`), and for a signed-in user the choice
    kept on their account too, so their other browsers and devices open in it once they sign in, and what is sent
    to them is worded in it. Signed out (the sign-in page, a public form), only this browser's cookie changes."""

    http_method_names = ["post"]

    def post(self, request):
        response = set_language(request)
        language = request.POST.get("language")
        if request.user.is_authenticated and language in dict(settings.LANGUAGES):
            user_language_set(user=request.user, language=language)
        return response


class HomeView(LoginRequiredMixin, View):
    """Send each role to where its work is: agents to the queue, finance to settlement, ops to settings; a platform
    operator to the platform console."""

    def get(self, request):
        if request.user.organization_id is None:
            messages.info(request, MSG_PLATFORM_OPERATOR_HOME)
            return redirect(CONSOLE_URL)
        module = user_home_module(request.user)
        if module is None:
            raise PermissionDenied(_("Your account has no role yet. Ask your administrator to assign one."))
        return redirect(_MODULE_URLS[module])


class ModulePendingView(ModuleRequiredMixin, TemplateView):
    """The page of a module that is not built yet: it says so plainly and shows no data."""

    template_name = "scrm/module_pending.html"
    title = ""
    description = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, description=self.description, **kwargs)


class ReportsView(ModulePendingView):
    """The reports other apps have built (registered under the "reports" module), or a page saying which roles read
    them when none is open to this user."""

    module = "reports"
    title = _("Reports")
    # Said to a role none of the reports is open to.
    description = _("No report is open to your role. The SLA compliance report is open to supervisors, ops and "
                    "viewers; reconciliation and revenue reports to finance.")

    def get_template_names(self):
        return ["scrm/reports.html"] if self.reports else [self.template_name]

    def get(self, request, *args, **kwargs):
        self.reports = nav_children_for(request.user, "reports")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(reports=self.reports, **kwargs)


class SettingsView(ModuleRequiredMixin, TemplateView):
    module = "settings"
    template_name = "scrm/settings.html"

    def get_context_data(self, **kwargs):
        organization = self.request.user.organization
        tables = {
            "region_table": RegionTable(region_list(), prefix="r-"),
            "team_table": TeamTable(team_list(), prefix="t-"),
            "user_table": UserTable(organization_users(), prefix="u-"),
        }
        for table in tables.values():
            TableRequestConfig(self.request, paginate={"per_page": 20}).configure(table)
        # A new organization's checklist, in the order each step needs the ones before it; gone once all are done.
        onboarding = onboarding_steps_for(self.request.user)
        if all(entry["done"] for entry in onboarding):
            onboarding = []
        return super().get_context_data(
            organization=organization, summary=organization_summary(), onboarding=onboarding,
            settings_pages=nav_children_for(self.request.user, "settings"), **tables, **kwargs
        )


def healthz(request):
    """JSON status of the database and the broker; 503 when either is down, for load balancers and compose."""
    database = health.database_ok()
    broker = health.broker_ok()
    status = 200 if database and broker else 503
    body = {
        "status": "ok" if status == 200 else "degraded",
        "database": "ok" if database else "down",
        "broker": "ok" if broker else "down",
        "worker_last_seen": health.worker_last_seen(),
    }
    return JsonResponse(body, status=status)


class ApiTokenView(LoginRequiredMixin, TemplateView):
    """The signed-in user's token for `/api/v1/` (`Authorization: Token <key>`): issue, replace or revoke it. A new
    key is shown once, on the page the issue redirects to; afterwards only its last four characters."""

    template_name = "scrm/api_token.html"
    _SESSION_KEY = "scrm_new_api_token"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.organization_id is None:
            raise PermissionDenied(MSG_API_TOKEN_NO_ORGANIZATION)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            token=api_token_of(user=self.request.user),
            new_key=self.request.session.pop(self._SESSION_KEY, None),
            api_root=self.request.build_absolute_uri("/api/v1/"),
            **kwargs,
        )

    def post(self, request):
        if request.POST.get("action") == "revoke":
            api_token_revoke(user=request.user)
            messages.success(request, MSG_API_TOKEN_REVOKED)
        else:
            request.session[self._SESSION_KEY] = api_token_issue(user=request.user)
            messages.success(request, MSG_API_TOKEN_ISSUED)
        return redirect("scrm:api-token")
