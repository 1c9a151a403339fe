from django.urls import path

from tickets import views, views_create, views_settings

app_name = "tickets"

urlpatterns = [
    path("", views.TicketQueueMineView.as_view(), name="index"),
    path("queues/", views.TicketQueueTeamView.as_view(), name="ticket-queues"),
    path("take-next/", views.TicketTakeNextView.as_view(), name="ticket-take-next"),
    path("bulk/", views.TicketBulkView.as_view(), name="ticket-bulk"),
    path("new/", views_create.TicketLogView.as_view(), name="ticket-create"),
    path("new/customers/", views_create.TicketLogCustomerSearchView.as_view(), name="ticket-create-customers"),
    path("board/", views.TicketBoardView.as_view(), name="board"),
    path("board/live/", views.TicketBoardLiveView.as_view(), name="board-live"),
    path("board/cell/", views.TicketBoardCellView.as_view(), name="board-cell"),
    path("settings/rules/", views.RoutingRuleTesterView.as_view(), name="rule-tester"),
    path("settings/rules/new/", views_settings.RoutingRuleFormView.as_view(), name="rule-create"),
    path("settings/rules/<int:pk>/", views_settings.RoutingRuleFormView.as_view(), name="rule-edit"),
    path("settings/rules/<int:pk>/move/", views_settings.RoutingRuleMoveView.as_view(), name="rule-move"),
    path("settings/rules/<int:pk>/active/", views_settings.RoutingRuleActiveView.as_view(), name="rule-active"),
    path("settings/queues/", views_settings.QueueSettingsView.as_view(), name="queue-settings"),
    path("settings/queues/<int:pk>/", views_settings.QueueSettingsView.as_view(), name="queue-edit"),
    path("settings/types/", views_settings.TicketTypeView.as_view(), name="type-list"),
    path("settings/types/<int:pk>/", views_settings.TicketTypeView.as_view(), name="type-edit"),
    path("settings/canned/", views_settings.CannedResponseListView.as_view(), name="canned-list"),
    path("settings/canned/new/", views_settings.CannedResponseFormView.as_view(), name="canned-create"),
    path("settings/canned/<int:pk>/", views_settings.CannedResponseFormView.as_view(), name="canned-edit"),
    path("<int:pk>/", views.TicketDetailView.as_view(), name="ticket-detail"),
    path("<int:pk>/conversation/", views.TicketConversationView.as_view(), name="ticket-conversation"),
    path("<int:pk>/reply/", views.TicketReplyView.as_view(), name="ticket-reply"),
    path("<int:pk>/replies/<int:comment_id>/retry/", views.TicketReplyRetryView.as_view(), name="ticket-reply-retry"),
    path("<int:pk>/status/", views.TicketStatusView.as_view(), name="ticket-status"),
    path("<int:pk>/priority/", views.TicketPriorityView.as_view(), name="ticket-priority"),
    path("<int:pk>/assign/", views.TicketAssignView.as_view(), name="ticket-assign"),
    path("<int:pk>/transfer/", views.TicketTransferView.as_view(), name="ticket-transfer"),
    path("<int:pk>/merge/", views.TicketMergeView.as_view(), name="ticket-merge"),
    path("<int:pk>/split/", views.TicketSplitView.as_view(), name="ticket-split"),
    path("<int:pk>/canned/<int:canned_pk>/", views.TicketCannedView.as_view(), name="ticket-canned"),
]
