from rest_framework.routers import SimpleRouter

from settlement import api, api_statements

router = SimpleRouter()
router.register("orders", api.OrderViewSet, basename="order")
router.register("refunds", api.RefundViewSet, basename="refund")
router.register("statements", api_statements.StatementViewSet, basename="statement")

# Partner settlement.
from settlement import partner_api  # noqa: E402

router.register("settlements", partner_api.SettlementViewSet, basename="settlement")
router.register("service-jobs", partner_api.ServiceJobViewSet, basename="service-job")

urlpatterns = router.urls
