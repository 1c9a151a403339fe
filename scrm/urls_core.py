from django.urls import path

from scrm import views
from scrm.customers.urls import urlpatterns as customer_urls

app_name = "scrm"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("reports/", views.ReportsView.as_view(), name="reports"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("account/api-token/", views.ApiTokenView.as_view(), name="api-token"),
    *customer_urls,
]
