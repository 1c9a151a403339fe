from django.urls import path

from forms_builder import views

app_name = "forms_builder"

urlpatterns = [
    path("", views.FormsBuilderIndexView.as_view(), name="index"),
]
