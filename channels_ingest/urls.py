from django.urls import path

from channels_ingest import views

app_name = "channels_ingest"

urlpatterns = [
    path("", views.ChannelAccountListView.as_view(), name="account-list"),
    path("add/", views.ChannelAccountCreateView.as_view(), name="account-add"),
    path("<int:pk>/", views.ChannelAccountEventsView.as_view(), name="account-events"),
    path("<int:pk>/templates/", views.WeChatTemplateListView.as_view(), name="account-templates"),
    path("<int:pk>/templates/<int:template_pk>/delete/", views.WeChatTemplateDeleteView.as_view(),
         name="account-template-delete"),
    path("<int:pk>/edit/", views.ChannelAccountUpdateView.as_view(), name="account-edit"),
    path("<int:pk>/events/<int:event_pk>/replay/", views.InboundEventReplayView.as_view(), name="event-replay"),
    path("<int:pk>/replies/<int:outbound_pk>/replay/", views.OutboundReplayView.as_view(), name="reply-replay"),
]
