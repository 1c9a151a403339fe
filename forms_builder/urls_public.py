from django.urls import path

from forms_builder import views_public

app_name = "forms_public"

urlpatterns = [
    path("<slug:org>/<slug:slug>/", views_public.PublicFormView.as_view(), name="form"),
    path("<slug:org>/<slug:slug>/thanks/", views_public.PublicFormThanksView.as_view(), name="thanks"),
    path("<slug:org>/<slug:slug>/edit/<str:token>/", views_public.PublicSubmissionEditView.as_view(), name="edit"),
]
