from django.urls import path

from billing.api.v1 import platform

urlpatterns = [
    path("metrics/", platform.RevenueMetricsView.as_view(), name="api-platform-billing-metrics"),
    path("metrics.csv", platform.RevenueMetricsCsvView.as_view(), name="api-platform-billing-metrics-csv"),
]
