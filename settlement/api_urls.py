from rest_framework.routers import SimpleRouter

from settlement import api
from settlement.reconciliation import api as recon_api

router = SimpleRouter()
router.register("orders", api.OrderViewSet, basename="order")
router.register("refunds", api.RefundViewSet, basename="refund")
router.register("reconciliation-runs", recon_api.ReconciliationRunViewSet, basename="reconciliation-run")
router.register("discrepancies", recon_api.DiscrepancyViewSet, basename="discrepancy")

urlpatterns = router.urls
