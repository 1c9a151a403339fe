from rest_framework.routers import SimpleRouter

from settlement import api, api_statements
from settlement.reconciliation import api as recon_api

router = SimpleRouter()
router.register("orders", api.OrderViewSet, basename="order")
router.register("refunds", api.RefundViewSet, basename="refund")
router.register("aftersales", api.AfterSaleViewSet, basename="aftersale")
router.register("statements", api_statements.StatementViewSet, basename="statement")
router.register("reconciliation-runs", recon_api.ReconciliationRunViewSet, basename="reconciliation-run")
router.register("discrepancies", recon_api.DiscrepancyViewSet, basename="discrepancy")

# Partner settlement.
from settlement import partner_api  # noqa: E402

router.register("settlements", partner_api.SettlementViewSet, basename="settlement")
router.register("service-jobs", partner_api.ServiceJobViewSet, basename="service-job")

urlpatterns = router.urls
