"""The notification centre: my notifications (unread first), opening one, marking one or all read, and the bell
in the top bar that refreshes its unread count with htmx and, clicked, opens a panel of the newest few. Every
signed-in user of an organization has one; each sees only their own (every query filters on the recipient)."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from notifications import selectors
from notifications.errors import MSG_ALL_READ, MSG_TICKET_OUT_OF_REACH
from notifications.models import Notification
from notifications.services import notification_mark_read, notifications_mark_all_read, ticket_url
from scrm.paginators import CappedCountPaginator
from scrm.platform.access import user_may_open_ticket

PER_PAGE = 20
# The bell's panel: the first few of the centre's own order (unread first, newest first, then the recently read).
# An old unread one stays on top until it is dealt with; the read ones fill the rest, so the panel also finds what
# was just opened.
PANEL_SIZE = 6


class NotificationAccessMixin(LoginRequiredMixin):
    """Staff of an organization: the platform operator has no notifications of their own."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.organization_id is None:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_notification(self, pk):
        notification = selectors.notification_list(user=self.request.user).filter(pk=pk).first()
        if notification is None:
            raise Http404
        return notification


class NotificationListView(NotificationAccessMixin, TemplateView):
    template_name = "notifications/list.html"

    def get_context_data(self, **kwargs):
        # Counting stops at 1,000: an agent with years of notifications pages the latest 50 pages, not all of them.
        paginator = CappedCountPaginator(selectors.notification_list(user=self.request.user), PER_PAGE)
        page = paginator.get_page(self.request.GET.get("page"))
        return super().get_context_data(
            page_obj=page, notifications=page.object_list,
            unread=selectors.notification_unread_count(user=self.request.user), **kwargs)


class NotificationBellView(NotificationAccessMixin, TemplateView):
    """The bell partial (htmx polls it)."""

    template_name = "notifications/_bell.html"

    def get_context_data(self, **kwargs):
        unread = selectors.notification_unread_count(user=self.request.user)
        return super().get_context_data(unread=unread, capped=unread > selectors.NOTIFICATION_BELL_CAP,
                                        poll=settings.NOTIFY_BELL_POLL_SECONDS, **kwargs)


class NotificationPanelView(NotificationAccessMixin, TemplateView):
    """The bell's panel (htmx loads it each time the bell is opened): the newest few notifications, with the
    bell's count swapped in out of band so the two always agree."""

    template_name = "notifications/_panel.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        unread = selectors.notification_unread_count(user=user)
        return super().get_context_data(
            notifications=list(selectors.notification_list(user=user)[:PANEL_SIZE]), unread=unread,
            a_minute_ago=timezone.now() - timedelta(minutes=1),
            capped=unread > selectors.NOTIFICATION_BELL_CAP, poll=settings.NOTIFY_BELL_POLL_SECONDS, **kwargs)


class NotificationPanelReadAllView(NotificationPanelView):
    """"Mark all read" in the bell's panel: the panel again, its count gone."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        notifications_mark_all_read(user=request.user)
        return self.render_to_response(self.get_context_data(**kwargs))


class NotificationOpenView(NotificationAccessMixin, View):
    """Follow a notification to what it is about, marking it read."""

    def get(self, request, pk):
        notification = self.get_notification(pk)
        notification_mark_read(notification=notification, user=request.user)
        return redirect(_target(notification, request))


class NotificationReadView(NotificationAccessMixin, View):
    def post(self, request, pk):
        notification_mark_read(notification=self.get_notification(pk), user=request.user)
        return _back(request, page=request.POST.get("page", ""))


class NotificationReadAllView(NotificationAccessMixin, View):
    def post(self, request):
        count = notifications_mark_all_read(user=request.user)
        messages.success(request, MSG_ALL_READ % {"count": count})
        return _back(request)


def _target(notification: Notification, request):
    # The ticket's page is resolved now, not when the notification was written (pages move, tickets merge).
    if notification.ticket_id is not None and notification.url.startswith("/tickets/"):
        if not user_may_open_ticket(request.user, notification.ticket_id):
            # Its page would answer "not found": say why here instead.
            messages.warning(request, MSG_TICKET_OUT_OF_REACH % {"number": notification.ticket.number})
            return "notifications:list"
        return ticket_url(notification.ticket)
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()}):
        return notification.url
    return "notifications:list"


def _back(request, page=""):
    """The list again, on the page the reader was on (marking one read on page 3 sent them back to page 1)."""
    response = redirect("notifications:list")
    if page.isdigit() and int(page) > 1:
        response["Location"] += f"?page={int(page)}"
    if request.headers.get("HX-Request"):
        response["HX-Redirect"] = response["Location"]
    return response
