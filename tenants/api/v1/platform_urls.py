from django.urls import path

from tenants.api.v1 import platform

urlpatterns = [
    path("tenants/", platform.PlatformTenantListView.as_view(), name="api-platform-tenants"),
]
