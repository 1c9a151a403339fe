from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="list"),
    path("bell/", views.NotificationBellView.as_view(), name="bell"),
    path("read-all/", views.NotificationReadAllView.as_view(), name="read-all"),
    path("<int:pk>/open/", views.NotificationOpenView.as_view(), name="notification-open"),
    path("<int:pk>/read/", views.NotificationReadView.as_view(), name="notification-read"),
]
