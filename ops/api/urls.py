from django.urls import path

from ops.api import views

urlpatterns = [
    path("", views.AuditListView.as_view(), name="api-platform-audit"),
    path("export.csv", views.AuditExportCsvView.as_view(), name="api-platform-audit-export-csv"),
    path("export.jsonl", views.AuditExportJsonlView.as_view(), name="api-platform-audit-export-jsonl"),
    path("verify/", views.AuditVerifyView.as_view(), name="api-platform-audit-verify"),
]
