"""A signed-in user's own pages under /accounts/ (sign-in and the password are Django's, in the root URLconf)."""

from django.urls import path

from notifications import views_account

app_name = "account"

urlpatterns = [
    path("", views_account.MySettingsView.as_view(), name="my-settings"),
]
