"""Customer import and export URLs. No app_name: the list is spliced into the `scrm` namespace by scrm.urls_core."""

from django.urls import path

from scrm import views_imports as views

urlpatterns = [
    path("customers/import/", views.CustomerImportView.as_view(), name="customer-import"),
    path("customers/import/template.csv", views.CustomerImportTemplateView.as_view(),
         name="customer-import-template"),
    path("customers/import/<int:pk>/", views.CustomerImportDetailView.as_view(), name="customer-import-detail"),
    path("customers/import/<int:pk>/progress/", views.CustomerImportProgressView.as_view(),
         name="customer-import-progress"),
    path("customers/import/<int:pk>/confirm/", views.CustomerImportConfirmView.as_view(),
         name="customer-import-confirm"),
    path("customers/import/<int:pk>/cancel/", views.CustomerImportCancelView.as_view(), name="customer-import-cancel"),
    path("customers/import/<int:pk>/undo/", views.CustomerImportUndoView.as_view(), name="customer-import-undo"),
    path("customers/import/<int:pk>/errors.csv", views.CustomerImportErrorsView.as_view(),
         name="customer-import-errors"),
    path("customers/export/", views.CustomerExportView.as_view(), name="customer-export"),
    path("customers/export/<int:pk>/", views.CustomerExportJobView.as_view(), name="customer-export-job"),
    path("customers/export/<int:pk>/progress/", views.CustomerExportProgressView.as_view(),
         name="customer-export-progress"),
    path("customers/export/<int:pk>/download/", views.CustomerExportDownloadView.as_view(),
         name="customer-export-download"),
]
