from rest_framework.routers import SimpleRouter

from settlement import api

router = SimpleRouter()
router.register("orders", api.OrderViewSet, basename="order")
router.register("refunds", api.RefundViewSet, basename="refund")

urlpatterns = router.urls
