from django.urls import path

from scrm import views, views_roles, views_tags
from scrm.customers.urls import urlpatterns as customer_urls

app_name = "scrm"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("reports/", views.ReportsView.as_view(), name="reports"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("settings/roles/", views_roles.RoleListView.as_view(), name="role-list"),
    path("settings/tags/", views_tags.TagListView.as_view(), name="tag-list"),
    path("settings/tags/<int:pk>/", views_tags.TagListView.as_view(), name="tag-edit"),
    path("settings/tags/<int:pk>/delete/", views_tags.TagDeleteView.as_view(), name="tag-delete"),
    path("settings/roles/new/", views_roles.RoleFormView.as_view(), name="role-create"),
    path("settings/roles/<int:pk>/", views_roles.RoleFormView.as_view(), name="role-edit"),
    path("settings/roles/<int:pk>/assign/", views_roles.RoleAssignView.as_view(), name="role-assign"),
    path("settings/roles/<int:pk>/unassign/", views_roles.RoleUnassignView.as_view(), name="role-unassign"),
    path("account/api-token/", views.ApiTokenView.as_view(), name="api-token"),
    *customer_urls,
]
