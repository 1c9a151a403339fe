from rest_framework.routers import SimpleRouter

from forms_builder import api

router = SimpleRouter()
router.register("", api.FormViewSet, basename="form")

urlpatterns = router.urls
