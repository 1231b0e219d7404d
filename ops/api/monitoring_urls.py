from django.urls import path

from ops.api import monitoring

urlpatterns = [
    path("incidents/", monitoring.IncidentListView.as_view(), name="api-platform-incidents"),
    path("alerts/", monitoring.AlertListView.as_view(), name="api-platform-alerts"),
    path("alerts/test/", monitoring.AlertTestView.as_view(), name="api-platform-alerts-test"),
    path("uptime/", monitoring.UptimeView.as_view(), name="api-platform-uptime"),
    path("uptime/targets/", monitoring.UptimeTargetListView.as_view(), name="api-platform-uptime-targets"),
    path("uptime/targets/<int:pk>/", monitoring.UptimeTargetDetailView.as_view(), name="api-platform-uptime-target"),
]
