"""Reads of the statement pages and the API (the organization's scope, opened by the caller, limits them)."""

from scrm.platform.coded import coded_render
from settlement.models import PaymentChannel, StatementImport
from settlement.statements import alipay, mapped, wechatpay
from settlement.statements.messages import STATEMENT_REFUSALS_NAMESPACE

LAYOUT_LABELS = {**wechatpay.LAYOUT_LABELS, **alipay.LAYOUT_LABELS, **mapped.LAYOUT_LABELS}


def layout_label(layout):
    return LAYOUT_LABELS.get(layout, layout)


def statement_list():
    return (StatementImport.objects.select_related("channel", "created_by")
            .defer("errors", "failure_detail").order_by("-created_at", "-pk"))


def statement_get(*, pk):
    return StatementImport.objects.select_related("channel", "created_by").filter(pk=pk).first()


def statement_errors(row):
    """The import's refusals, each with its line and the message in the reader's language."""
    return [{"line": error.get("line", 0), "code": error.get("code", ""),
             "message": coded_render(error, namespace=STATEMENT_REFUSALS_NAMESPACE)}
            for error in row.errors or []]


def payment_channel_list(*, active_only=False):
    channels = PaymentChannel.objects.order_by("name", "pk")
    return channels.filter(active=True) if active_only else channels


def payment_channel_get(*, pk):
    return PaymentChannel.objects.filter(pk=pk).first()
