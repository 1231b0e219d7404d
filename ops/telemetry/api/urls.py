from django.urls import path

from ops.telemetry.api import views

urlpatterns = [
    path("errors/", views.ErrorGroupListView.as_view(), name="api-platform-errors"),
    path("performance/", views.PerformanceView.as_view(), name="api-platform-performance"),
    path("slow-queries/", views.SlowQueryListView.as_view(), name="api-platform-slow-queries"),
]
