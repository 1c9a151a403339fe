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
    path("discrepancies/<int:pk>/annotate/", recon.DiscrepancyActionView.as_view(action="annotate"), name="discrepancy-annotate"),
    path("discrepancies/<int:pk>/resolve/", recon.DiscrepancyActionView.as_view(action="resolve"), name="discrepancy-resolve"),
    path("discrepancies/<int:pk>/write-off/", recon.DiscrepancyActionView.as_view(action="write-off"), name="discrepancy-write-off"),
    path("discrepancies/<int:pk>/approve/", recon.DiscrepancyActionView.as_view(action="approve"), name="discrepancy-approve"),
    path("discrepancies/<int:pk>/reject/", recon.DiscrepancyActionView.as_view(action="reject"), name="discrepancy-reject"),
    path("discrepancies/<int:pk>/ticket/", recon.DiscrepancyActionView.as_view(action="ticket"), name="discrepancy-ticket"),
    path("channels/<int:pk>/dry-run/", recon.ChannelDryRunView.as_view(), name="channel-dry-run"),
]
