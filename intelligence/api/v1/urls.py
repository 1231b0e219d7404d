from django.urls import path

from intelligence.api.v1 import attribution, funnels, segments, views

urlpatterns = [
    path("data/settings/", views.DataSettingsView.as_view(), name="api-data-settings"),
    path("data/imports/", views.ImportListView.as_view(), name="api-data-imports"),
    path("data/imports/<int:pk>/", views.ImportDetailView.as_view(), name="api-data-import"),
    path("data/imports/<int:pk>/errors.csv", views.ImportErrorsView.as_view(), name="api-data-import-errors"),
    path("data/<str:kind>/", views.BatchIngestView.as_view(), name="api-data-batch"),
    path("analytics/kpis/", views.KpiView.as_view(), name="api-analytics-kpis"),
    path("analytics/payments/", views.PaymentsView.as_view(), name="api-analytics-payments"),
    path("analytics/top/", views.TopView.as_view(), name="api-analytics-top"),
    path("analytics/series/", views.SeriesView.as_view(), name="api-analytics-series"),
    path("analytics/funnel/", funnels.FunnelView.as_view(), name="api-analytics-funnel"),
    path("analytics/funnel.csv", funnels.FunnelCsvView.as_view(), name="api-analytics-funnel-csv"),
    path("analytics/retention/", funnels.RetentionView.as_view(), name="api-analytics-retention"),
    path("analytics/retention.csv", funnels.RetentionCsvView.as_view(), name="api-analytics-retention-csv"),
    path("analytics/attribution/", attribution.AttributionView.as_view(), name="api-analytics-attribution"),
    path("analytics/attribution.csv", attribution.AttributionCsvView.as_view(), name="api-analytics-attribution-csv"),
    path("analytics/segments/", segments.SegmentSummaryView.as_view(), name="api-segments"),
    path("analytics/segments/movement/", segments.SegmentMovementView.as_view(), name="api-segments-movement"),
    path("analytics/segments/snapshot/", segments.SegmentSnapshotView.as_view(), name="api-segments-snapshot"),
    path("analytics/segments/clusters/", segments.SegmentClustersView.as_view(), name="api-segments-clusters"),
    path(
        "analytics/segments/<str:segment>/customers/",
        segments.SegmentMembersView.as_view(),
        name="api-segments-customers",
    ),
    path(
        "analytics/segments/<str:segment>/customers.csv",
        segments.SegmentMembersCsvView.as_view(),
        name="api-segments-customers-csv",
    ),
]
