from django.urls import path

from forms_builder import views

app_name = "forms_builder"

urlpatterns = [
    path("", views.FormsBuilderIndexView.as_view(), name="index"),
    path("new/", views.FormCreateView.as_view(), name="form-create"),
    path("<int:pk>/", views.FormDetailView.as_view(), name="form-detail"),
    path("<int:pk>/status/", views.FormStatusView.as_view(), name="form-status"),
    path("<int:pk>/settings/", views.FormSettingsView.as_view(), name="form-settings"),
    path("<int:pk>/webhook/<int:delivery_pk>/replay/", views.WebhookReplayView.as_view(), name="webhook-replay"),
    path("<int:pk>/edit/", views.FormEditorView.as_view(), name="form-edit"),
    path("<int:pk>/draft/", views.FormDraftSaveView.as_view(), name="form-draft"),
    path("<int:pk>/publish/", views.FormPublishView.as_view(), name="form-publish"),
    path("<int:pk>/preview/", views.FormPreviewView.as_view(), name="form-preview"),
    path("<int:pk>/export.csv", views.SubmissionExportView.as_view(), {"extension": "csv"},
         name="submission-export-csv"),
    path("<int:pk>/export.xlsx", views.SubmissionExportView.as_view(), {"extension": "xlsx"},
         name="submission-export-xlsx"),
    path("<int:pk>/submissions/", views.SubmissionListView.as_view(), name="submission-list"),
    path("<int:pk>/submissions/<int:submission_pk>/", views.SubmissionDetailView.as_view(),
         name="submission-detail"),
    path("<int:pk>/submissions/<int:submission_pk>/edit/", views.SubmissionEditView.as_view(),
         name="submission-edit"),
    path("<int:pk>/submissions/<int:submission_pk>/files/<int:file_pk>/", views.SubmissionFileView.as_view(),
         name="submission-file"),
]
