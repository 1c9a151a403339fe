from django.urls import path

from tickets import views_sla

app_name = "sla"

urlpatterns = [
    path("report/", views_sla.SLAReportView.as_view(), name="report"),
]
