"""Root URLconf. Other apps are included by dotted path, so the core package imports none of them."""

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from scrm import views
from scrm.forms import AdminSignInForm

admin.site.site_header = admin.site.site_title = "SCRM"
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}img/favicon.svg", permanent=True)),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # 个人设置: language and which notifications are also emailed (the notifications app's page).
    path("accounts/settings/", include("notifications.urls_account")),
    # The language switch (Django's, which also keeps a signed-in user's choice on their account).
    path("i18n/setlang/", views.LanguageSetView.as_view(), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/tickets/", include("tickets.api_urls")),
    path("api/v1/forms/", include("forms_builder.api_urls")),
    path("api/v1/", include("settlement.api_urls")),
    path("api/v1/", include("scrm.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI renders with inline styles: allow them on this page only, never inline scripts.
    path("api/docs/", login_required(csp_update({"style-src": ["'unsafe-inline'"]})(
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"))), name="api-docs"),
    path("hooks/", include("channels_ingest.urls_hooks")),
    path("settings/channels/", include("channels_ingest.urls")),
    path("tickets/", include("tickets.urls")),
    path("sla/", include("sla.urls")),
    path("notifications/", include("notifications.urls")),
    path("files/", include("tickets.urls_files")),
    path("rate/", include("tickets.urls_public")),
    path("forms/", include("forms_builder.urls")),
    path("f/", include("forms_builder.urls_public")),
    path("captcha/", include("captcha.urls")),  # the pictures of the public forms' captcha
    path("settlement/", include("settlement.urls")),
    path("", include("scrm.urls_core")),
]
