from rest_framework import serializers

from settlement.models import AfterSale, Order, OrderLine, Refund
from settlement.selectors import AMOUNT_MASK, ORDER_AMOUNT_FIELDS


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

    def to_representation(self, instance):
        """Amounts (of the order, its lines and refunds) and the shipping address read AMOUNT_MASK for a user whose
        role masks them (the view puts `mask_amounts` / `mask_address` in the context)."""
        data = super().to_representation(instance)
        if self.context.get("mask_amounts"):
            for name in ORDER_AMOUNT_FIELDS:
                data[name] = AMOUNT_MASK
            for line in data["lines"]:
                line["unit_price"] = line["amount"] = AMOUNT_MASK
            for refund in data["refunds"]:
                refund["amount"] = AMOUNT_MASK
        if self.context.get("mask_address"):
            data["shipping_address"] = AMOUNT_MASK
        return data


class RefundSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="external_number")

    class Meta:
        model = Refund
        fields = ["id", "number", "store", "order", "order_number", "customer", "status", "amount", "currency",
                  "reason", "requested_at", "resolved_at", "refunded_at", "ticket"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("mask_amounts"):
            data["amount"] = AMOUNT_MASK
        return data


class AfterSaleSerializer(serializers.ModelSerializer):
    """A return, an exchange or a complaint (a bad review when `rating` is set). It carries no amount and no address
    (a return's money is its refund of the same number, in /api/v1/refunds/, masked there); the store's raw snapshot
    (which may name the buyer's mobile or address) is never written."""

    number = serializers.CharField(source="external_number")
    store_name = serializers.CharField(source="store.name")
    customer_name = serializers.CharField(source="customer.display_name", default=None)

    class Meta:
        model = AfterSale
        fields = ["id", "number", "kind", "store", "store_name", "order", "order_number", "customer", "customer_name",
                  "status", "reason", "detail", "rating", "requested_at", "created_at", "updated_at", "ticket"]
