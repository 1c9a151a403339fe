from django.urls import path

from settlement import views, views_statements

app_name = "settlement"

urlpatterns = [
    path("", views.SettlementIndexView.as_view(), name="index"),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("statements/", views_statements.StatementListView.as_view(), name="statement-list"),
    path("statements/upload/", views_statements.StatementUploadView.as_view(), name="statement-upload"),
    path("statements/<int:pk>/", views_statements.StatementDetailView.as_view(), name="statement-detail"),
    path("statements/<int:pk>/progress/", views_statements.StatementProgressView.as_view(),
         name="statement-progress"),
    path("channels/", views_statements.PaymentChannelListView.as_view(), name="channel-list"),
    path("channels/new/", views_statements.PaymentChannelEditView.as_view(), name="channel-create"),
    path("channels/<int:pk>/", views_statements.PaymentChannelEditView.as_view(), name="channel-edit"),
]

# Partner settlement (statements, partners, rules, catalogue, dashboard).
from settlement.partner_urls import urlpatterns as _partner_urlpatterns  # noqa: E402

urlpatterns += _partner_urlpatterns
