from django.urls import path

from sla import views, views_settings

app_name = "sla"

urlpatterns = [
    path("report/", views.SLAReportView.as_view(), name="report"),
    path("policies/", views_settings.PolicyListView.as_view(), name="policy-list"),
    path("policies/new/", views_settings.PolicyFormView.as_view(), name="policy-create"),
    path("policies/preview/", views_settings.PolicyPreviewView.as_view(), name="policy-preview"),
    path("policies/<int:pk>/", views_settings.PolicyFormView.as_view(), name="policy-edit"),
    path("policies/<int:pk>/delete/", views_settings.PolicyDeleteView.as_view(), name="policy-delete"),
    path("calendars/", views_settings.CalendarListView.as_view(), name="calendar-list"),
    path("calendars/new/", views_settings.CalendarFormView.as_view(), name="calendar-create"),
    path("calendars/<int:pk>/", views_settings.CalendarFormView.as_view(), name="calendar-edit"),
    path("calendars/<int:pk>/delete/", views_settings.CalendarDeleteView.as_view(), name="calendar-delete"),
    path("calendars/<int:pk>/import/", views_settings.CalendarImportView.as_view(), name="calendar-import"),
    path("calendars/<int:pk>/days/new/", views_settings.CalendarDayFormView.as_view(), name="calendar-day-create"),
    path("calendars/<int:pk>/days/<int:day_pk>/", views_settings.CalendarDayFormView.as_view(),
         name="calendar-day-edit"),
    path("calendars/<int:pk>/days/<int:day_pk>/delete/", views_settings.CalendarDayDeleteView.as_view(),
         name="calendar-day-delete"),
]
