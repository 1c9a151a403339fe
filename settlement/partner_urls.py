"""Partner settlement's pages, under the settlement namespace (appended to settlement.urls)."""

from django.urls import path

from settlement import partner_dashboard, partner_views

urlpatterns = [
    path("settlements/", partner_views.StatementListView.as_view(), name="settlement-list"),
    path("settlements/generate/", partner_views.StatementGenerateView.as_view(), name="settlement-generate"),
    path("settlements/generate/partners/", partner_views.PartnerPickView.as_view(), name="settlement-partner-pick"),
    path("settlements/summary.xlsx", partner_views.PeriodSummaryExportView.as_view(), name="settlement-summary"),
    path("settlements/bank-payments.csv", partner_views.BankFileExportView.as_view(), name="settlement-bank-file"),
    path("settlements/<int:pk>/", partner_views.StatementDetailView.as_view(), name="settlement-detail"),
    path("settlements/<int:pk>/export.xlsx", partner_views.StatementExportView.as_view(), name="settlement-export"),
    path("settlements/<int:pk>/export.pdf", partner_views.StatementPdfView.as_view(), name="settlement-export-pdf"),
    path("settlements/<int:pk>/<slug:action>/", partner_views.StatementActionView.as_view(),
         name="settlement-action"),
    path("partners/", partner_views.PartnerListView.as_view(), name="partner-list"),
    path("partners/new/", partner_views.PartnerEditView.as_view(), name="partner-create"),
    path("partners/<int:pk>/", partner_views.PartnerEditView.as_view(), name="partner-edit"),
    path("rules/", partner_views.RuleListView.as_view(), name="rule-list"),
    path("rules/new/", partner_views.RuleCreateView.as_view(), name="rule-create"),
    path("exchange-rates/", partner_views.ExchangeRateView.as_view(), name="exchange-rates"),
    path("catalogue/", partner_views.CatalogueView.as_view(), name="catalogue"),
    path("catalogue/items/new/", partner_views.ServiceItemEditView.as_view(), name="catalogue-item-create"),
    path("catalogue/items/<int:pk>/", partner_views.ServiceItemEditView.as_view(), name="catalogue-item-edit"),
    path("catalogue/prices/new/", partner_views.ServicePriceEditView.as_view(), name="catalogue-price-create"),
    path("catalogue/prices/<int:pk>/", partner_views.ServicePriceEditView.as_view(), name="catalogue-price-edit"),
    path("city-tiers/", partner_views.CityTierView.as_view(), name="city-tiers"),
    path("configuration-changes/", partner_views.SettingsChangeListView.as_view(), name="settings-changes"),
    path("service-jobs/", partner_views.ServiceJobListView.as_view(), name="service-jobs"),
    path("service-jobs/<int:pk>/<slug:action>/", partner_views.ServiceJobActionView.as_view(),
         name="service-job-action"),
    path("dashboard/", partner_dashboard.FinanceDashboardView.as_view(), name="dashboard"),
]
