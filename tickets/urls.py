from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.TicketsIndexView.as_view(), name="index"),
]
