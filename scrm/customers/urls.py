"""Customer URLs: the list, one customer, merges, reveals, the import and the export. No app_name: the list is
spliced into the `scrm` namespace by scrm.urls_core, so the names stay "scrm:customer-..."."""

from django.urls import path

from scrm.customers import views, views_edit, views_imports

urlpatterns = [
    path("customers/", views.CustomerListView.as_view(), name="customers"),
    path("customers/bulk/", views.CustomerBulkView.as_view(), name="customer-bulk"),
    path("customers/segments/", views.SegmentCreateView.as_view(), name="segment-create"),
    path("customers/merge/", views.CustomerMergeView.as_view(), name="customer-merge"),
    path("customers/merges/<int:pk>/undo/", views.CustomerMergeUndoView.as_view(), name="customer-merge-undo"),
    path("customers/reveals/", views.PiiRevealListView.as_view(), name="pii-reveals"),
    path("customers/new/", views_edit.CustomerCreateView.as_view(), name="customer-create"),
    path("customers/<int:pk>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path("customers/<int:pk>/edit/", views_edit.CustomerEditView.as_view(), name="customer-edit"),
    path("customers/<int:pk>/reveal/", views.CustomerRevealView.as_view(), name="customer-reveal"),
    path("customers/import/", views_imports.CustomerImportView.as_view(), name="customer-import"),
    path("customers/import/template.csv", views_imports.CustomerImportTemplateView.as_view(),
         name="customer-import-template"),
    path("customers/import/<int:pk>/", views_imports.CustomerImportDetailView.as_view(), name="customer-import-detail"),
    path("customers/import/<int:pk>/progress/", views_imports.CustomerImportProgressView.as_view(),
         name="customer-import-progress"),
    path("customers/import/<int:pk>/confirm/", views_imports.CustomerImportConfirmView.as_view(),
         name="customer-import-confirm"),
    path("customers/import/<int:pk>/cancel/", views_imports.CustomerImportCancelView.as_view(),
         name="customer-import-cancel"),
    path("customers/import/<int:pk>/undo/", views_imports.CustomerImportUndoView.as_view(),
         name="customer-import-undo"),
    path("customers/import/<int:pk>/errors.csv", views_imports.CustomerImportErrorsView.as_view(),
         name="customer-import-errors"),
    path("customers/export/", views_imports.CustomerExportView.as_view(), name="customer-export"),
    path("customers/export/<int:pk>/", views_imports.CustomerExportJobView.as_view(), name="customer-export-job"),
    path("customers/export/<int:pk>/progress/", views_imports.CustomerExportProgressView.as_view(),
         name="customer-export-progress"),
    path("customers/export/<int:pk>/download/", views_imports.CustomerExportDownloadView.as_view(),
         name="customer-export-download"),
]
