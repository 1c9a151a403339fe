from django.urls import path

from scrm import views, views_customers

app_name = "scrm"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("customers/", views_customers.CustomerListView.as_view(), name="customers"),
    path("customers/bulk/", views_customers.CustomerBulkView.as_view(), name="customer-bulk"),
    path("customers/segments/", views_customers.SegmentCreateView.as_view(), name="segment-create"),
    path("customers/merge/", views_customers.CustomerMergeView.as_view(), name="customer-merge"),
    path("customers/reveals/", views_customers.PiiRevealListView.as_view(), name="pii-reveals"),
    path("customers/<int:pk>/", views_customers.CustomerDetailView.as_view(), name="customer-detail"),
    path("customers/<int:pk>/reveal/", views_customers.CustomerRevealView.as_view(), name="customer-reveal"),
    path("reports/", views.ReportsView.as_view(), name="reports"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("account/api-token/", views.ApiTokenView.as_view(), name="api-token"),
]

from scrm.urls_imports import urlpatterns as _import_urls  # noqa: E402

urlpatterns += _import_urls
