from rest_framework.routers import SimpleRouter

from settlement import api, api_statements

router = SimpleRouter()
router.register("orders", api.OrderViewSet, basename="order")
router.register("refunds", api.RefundViewSet, basename="refund")
router.register("statements", api_statements.StatementViewSet, basename="statement")

urlpatterns = router.urls
