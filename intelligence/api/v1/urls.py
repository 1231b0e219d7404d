from django.urls import path

from intelligence.api.v1 import views

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
]
