from rest_framework.routers import SimpleRouter

from tickets import api

router = SimpleRouter()
router.register("", api.TicketViewSet, basename="ticket")

urlpatterns = router.urls
