from django.urls import path

from ops.api import views

urlpatterns = [
    path("", views.AuditListView.as_view(), name="api-platform-audit"),
    path("verify/", views.AuditVerifyView.as_view(), name="api-platform-audit-verify"),
]
