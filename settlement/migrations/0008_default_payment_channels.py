"""Every organization starts with the payment channels wechatpay, alipay and unionpay (the same defaults new
organizations get from settlement.statements.services.payment_channels_ensure); existing ones get those they lack.
No tenant scope in migrations: the historical model's base manager."""

from decimal import Decimal

from django.db import migrations

UNIONPAY_MAPPING = {
    "columns": {"transaction_id": "交易流水号", "order_number": "商户订单号", "refund_number": "退款单号",
                "type": "交易类型", "amount": "交易金额", "fee": "手续费", "time": "交易时间"},
    "refund_values": ["退货", "退款"], "date_format": "%Y-%m-%d %H:%M:%S", "decimal_comma": False, "encoding": "auto",
    "header_row": 1,
}
DEFAULTS = (
    {"code": "wechatpay", "name": "微信支付", "layout": "wechatpay", "expected_fee_rate": Decimal("0.006")},
    {"code": "alipay", "name": "支付宝", "layout": "alipay", "expected_fee_rate": Decimal("0.006")},
    {"code": "unionpay", "name": "银联", "layout": "mapped", "mapping": UNIONPAY_MAPPING,
     "expected_fee_rate": Decimal("0.0038")},
)


def channels_add(apps, schema_editor):
    organization_model = apps.get_model("scrm", "Organization")
    channel_model = apps.get_model("settlement", "PaymentChannel")
    for organization_id in organization_model._base_manager.values_list("pk", flat=True):
        channel_model._base_manager.bulk_create(
            [channel_model(organization_id=organization_id, **defaults) for defaults in DEFAULTS],
            ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("settlement", "0007_roles_reconciliation"), ("scrm", "0001_initial")]

    operations = [migrations.RunPython(channels_add, migrations.RunPython.noop)]
