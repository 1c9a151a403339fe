from django.urls import path

from settlement import views, views_statements

app_name = "settlement"

urlpatterns = [
    path("", views.SettlementIndexView.as_view(), name="index"),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("currencies/", views.AcceptedCurrenciesView.as_view(), name="currencies"),
    path("statements/", views_statements.StatementListView.as_view(), name="statement-list"),
    path("statements/upload/", views_statements.StatementUploadView.as_view(), name="statement-upload"),
    path("statements/<int:pk>/", views_statements.StatementDetailView.as_view(), name="statement-detail"),
    path("statements/<int:pk>/progress/", views_statements.StatementProgressView.as_view(),
         name="statement-progress"),
    path("channels/", views_statements.PaymentChannelListView.as_view(), name="channel-list"),
    path("channels/new/", views_statements.PaymentChannelEditView.as_view(), name="channel-create"),
    path("channels/<int:pk>/", views_statements.PaymentChannelEditView.as_view(), name="channel-edit"),
]

# Reconciliation (settlement/views_reconciliation.py).
from settlement import views_reconciliation as recon  # noqa: E402

urlpatterns += [
    path("reconciliation/", recon.ReconciliationHomeView.as_view(), name="reconciliation"),
    path("reconciliation/run/", recon.ReconciliationRunView.as_view(), name="reconciliation-run"),
    path("reconciliation/report/", recon.ReconciliationReportView.as_view(), name="reconciliation-report"),
    path("reconciliation/report.xlsx", recon.ReconciliationExportView.as_view(), name="reconciliation-export"),
    path("discrepancies/", recon.DiscrepancyListView.as_view(), name="discrepancy-list"),
    path("discrepancies/<int:pk>/", recon.DiscrepancyDetailView.as_view(), name="discrepancy-detail"),
    *[path(f"discrepancies/<int:pk>/{action}/", recon.DiscrepancyActionView.as_view(action=action),
           name=f"discrepancy-{action}")
      for action in recon.DiscrepancyActionView.actions],
    path("channels/<int:pk>/dry-run/", recon.ChannelDryRunView.as_view(), name="channel-dry-run"),
]

# Partner settlement (statements, partners, rules, catalogue, dashboard).
from settlement.partner_urls import urlpatterns as _partner_urlpatterns  # noqa: E402

urlpatterns += _partner_urlpatterns
