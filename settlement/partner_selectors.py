"""Reads of partner settlement shaped for its pages, exports and API: each a bounded number of queries."""

from django.db.models import Case, OuterRef, Prefetch, Q, Subquery, When

from scrm.models import Region, SettingsChange
from scrm.platform.coded import coded_render
from settlement.models import (
    ExchangeRate,
    Partner,
    RegionCityTier,
    ServiceItem,
    ServiceJob,
    ServicePrice,
    SettlementRule,
    SettlementRun,
    SettlementStatement,
    SettlementStatementEvent,
)
from settlement.partner_errors import RUN_PROBLEMS_NAMESPACE


def statement_list():
    return (SettlementStatement.objects.select_related("partner", "partner__region")
            .order_by("-period_start", "partner__name", "pk"))


def statement_detail(*, pk):
    events = SettlementStatementEvent.objects.select_related("by").order_by("at", "pk")
    return (SettlementStatement.objects.select_related("partner", "partner__region", "rule", "reviewed_by",
                                                      "approved_by", "paid_by", "carried_into")
            .prefetch_related("lines", Prefetch("events", queryset=events)).filter(pk=pk).first())


def partner_list():
    return Partner.objects.select_related("region").order_by("name", "pk")


# The partners a search offers at once; an organization has thousands: the search narrows, it never lists them all.
PARTNER_PICK_LIMIT = 50


def partner_pick(*, query="", limit=PARTNER_PICK_LIMIT):
    """Active partners whose name, code or region's name holds `query` (every active partner without one), by name,
    at most `limit` + 1 of them (the one more says there are more): one query."""
    partners = Partner.objects.filter(active=True).select_related("region").only("pk", "name", "code",
                                                                                "region__name")
    query = (query or "").strip()
    if query:
        partners = partners.filter(Q(name__icontains=query) | Q(code__icontains=query)
                                   | Q(region__name__icontains=query))
    return list(partners.order_by("name", "pk")[:limit + 1])


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
    """The latest runs, each with `problem_lines`: its first problems as (partner, message in the reader's
    language; one stored as a sentence before codes keeps it)."""
    runs = list(SettlementRun.objects.order_by("-created_at", "-pk")[:limit])
    for run in runs:
        run.problem_lines = [(problem.get("partner", ""), coded_render(problem, namespace=RUN_PROBLEMS_NAMESPACE))
                             for problem in (run.problems or [])[:3]]
    return runs


def city_tier_regions():
    """The organization's regions in tree order, each with its city tier (`tier`, None when it has none: priced as
    tier 3), one query."""
    tier = RegionCityTier.objects.filter(region=OuterRef("pk")).values("tier")[:1]
    return Region.objects.select_related("parent").annotate(tier=Subquery(tier)).order_by("path", "pk")


# The configuration of partner settlement whose changes the audit trail keeps (partner_services.audit_record).
AUDITED_MODELS = (SettlementRule, ExchangeRate, Partner, ServiceItem, ServicePrice, RegionCityTier)


def settings_changes_readable(*, user):
    """The audit trail of partner settlement's configuration that `user` may read (a subject's `view_` permission),
    newest first, with who changed it."""
    subjects = [model._meta.label_lower for model in AUDITED_MODELS
                if user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")]
    # A price's name reads in the reader's language ("All regions", its city tier): the price row's codes, for a
    # change of a price that still exists (its item, region and tier never change; a deleted one keeps its text).
    price = ServicePrice.objects.filter(pk=OuterRef("subject_id"))
    price_of_row = Q(subject=ServicePrice._meta.label_lower)
    return (SettingsChange.objects.filter(subject__in=subjects).select_related("by")
            .annotate(price_tier=Case(When(price_of_row, then=Subquery(price.values("tier")[:1]))),
                      price_region_id=Case(When(price_of_row, then=Subquery(price.values("region_id")[:1]))))
            .order_by("-at", "-pk"))
