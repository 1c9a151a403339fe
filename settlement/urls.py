from django.urls import path

from settlement import views

app_name = "settlement"

urlpatterns = [
    path("", views.SettlementIndexView.as_view(), name="index"),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
]

# Partner settlement (statements, partners, rules, catalogue, dashboard).
from settlement.partner_urls import urlpatterns as _partner_urlpatterns  # noqa: E402

urlpatterns += _partner_urlpatterns
