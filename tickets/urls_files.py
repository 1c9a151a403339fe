from django.urls import path

from tickets import views_attachments

app_name = "files"

urlpatterns = [
    path("attachments/<int:pk>/", views_attachments.AttachmentDownloadView.as_view(), name="attachment-download"),
]
