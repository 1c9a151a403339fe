from django.urls import path
from rest_framework.routers import DefaultRouter

from scrm import api
from scrm.customers.api import CustomerViewSet

router = DefaultRouter()
router.register("regions", api.RegionViewSet, basename="region")
router.register("teams", api.TeamViewSet, basename="team")
router.register("users", api.UserViewSet, basename="user")
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = [path("me/", api.MeView.as_view(), name="api-me"), *router.urls]
