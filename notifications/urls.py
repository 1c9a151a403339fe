from django.urls import path

from notifications import views, views_settings

app_name = "notifications"

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="list"),
    path("bell/", views.NotificationBellView.as_view(), name="bell"),
    path("bell/panel/", views.NotificationPanelView.as_view(), name="panel"),
    path("bell/panel/read-all/", views.NotificationPanelReadAllView.as_view(), name="panel-read-all"),
    path("settings/", views_settings.NotificationChannelsView.as_view(), name="channel-settings"),
    path("settings/test/", views_settings.NotificationChannelTestView.as_view(), name="channel-test"),
    path("read-all/", views.NotificationReadAllView.as_view(), name="read-all"),
    path("<int:pk>/open/", views.NotificationOpenView.as_view(), name="notification-open"),
    path("<int:pk>/read/", views.NotificationReadView.as_view(), name="notification-read"),
]
