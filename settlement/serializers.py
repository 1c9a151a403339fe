from rest_framework import serializers

from settlement.models import Order, OrderLine, Refund


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["position", "sku", "name", "quantity", "unit_price", "amount"]


class RefundBriefSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="external_number")

    class Meta:
        model = Refund
        fields = ["id", "number", "status", "amount", "currency", "reason", "requested_at", "refunded_at", "ticket"]


class OrderSerializer(serializers.ModelSerializer):
    """Amounts are decimal strings (to the fen), times ISO 8601."""

    number = serializers.CharField(source="external_number")
    store_name = serializers.CharField(source="store.name")
    customer_name = serializers.CharField(source="customer.display_name", default=None)
    lines = OrderLineSerializer(many=True)
    refunds = RefundBriefSerializer(many=True)

    class Meta:
        model = Order
        fields = ["id", "number", "store", "store_name", "channel", "customer", "customer_name", "region", "status",
                  "currency", "goods_amount", "discount_amount", "shipping_amount", "paid_amount", "platform_fee",
                  "placed_at", "paid_at", "shipped_at", "completed_at", "cancelled_at", "source_updated_at",
                  "shipping_address", "lines", "refunds"]


class RefundSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="external_number")

    class Meta:
        model = Refund
        fields = ["id", "number", "store", "order", "order_number", "customer", "status", "amount", "currency",
                  "reason", "requested_at", "resolved_at", "refunded_at", "ticket"]
