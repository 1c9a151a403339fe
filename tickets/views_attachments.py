"""Downloading a comment's attachment: only someone who may see the ticket (organization, role and region, as
the ticket lists), always as a download with the type sniffed when it was stored."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.views import View

from tickets import selectors


class AttachmentDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk):
        if not request.user.has_perm("tickets.view_comment"):
            raise PermissionDenied
        attachment = selectors.attachment_for_download(pk=pk, user=request.user)
        if attachment is None:
            raise Http404
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                                content_type=attachment.content_type)
        response["Cache-Control"] = "private, no-store"
        return response
