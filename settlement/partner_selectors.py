"""Reads of partner settlement shaped for its pages, exports and API: each a bounded number of queries."""

from django.db.models import Prefetch

from settlement.models import (
    Partner,
    ServiceJob,
    ServicePrice,
    SettlementRule,
    SettlementRun,
    SettlementStatement,
    SettlementStatementEvent,
)


def statement_list():
    return (SettlementStatement.objects.select_related("partner", "partner__region")
            .order_by("-period_start", "partner__name", "pk"))


def statement_detail(*, pk):
    events = SettlementStatementEvent.objects.select_related("by").order_by("at", "pk")
    return (SettlementStatement.objects.select_related("partner", "partner__region", "rule", "reviewed_by",
                                                      "approved_by", "paid_by")
            .prefetch_related("lines", Prefetch("events", queryset=events)).filter(pk=pk).first())


def partner_list():
    return Partner.objects.select_related("region").order_by("name", "pk")


def rule_list():
    return SettlementRule.objects.select_related("region", "partner").order_by("region__path", "partner__name",
                                                                              "-valid_from", "pk")


def price_list():
    return ServicePrice.objects.select_related("item", "region").order_by("item__kind", "item__code",
                                                                          "region__path", "tier", "pk")


def service_job_list():
    return ServiceJob.objects.select_related("partner", "region", "ticket").prefetch_related("lines", "lines__item") \
        .order_by("-created_at", "-pk")


def run_list(limit=10):
    return SettlementRun.objects.order_by("-created_at", "-pk")[:limit]
