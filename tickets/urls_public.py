from django.urls import path

from tickets import views_public

app_name = "public"

urlpatterns = [
    path("<str:token>/", views_public.SatisfactionRateView.as_view(), name="rate"),
]
