from django.urls import path

from settlement import views

app_name = "settlement"

urlpatterns = [
    path("", views.SettlementIndexView.as_view(), name="index"),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
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
