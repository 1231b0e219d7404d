"""The REST API, version 1: tenant endpoints (on tenant domains) and platform endpoints (platform domain).

This module is also the source of the OpenAPI schema, so both sets are documented in one place.
"""

from django.urls import URLPattern, URLResolver, include, path

from ops.api.views import HealthView

tenant_api = [
    path("api/v1/", include("tenants.api.v1.urls")),
    path("api/v1/billing/", include("billing.api.v1.urls")),
    path("api/v1/ai/", include("ai_engine.api.v1.urls")),
    path("api/v1/", include("intelligence.api.v1.urls")),
    path("api/v1/public/", include("intelligence.api.v1.public_urls")),
    path("api/v1/ai/chat/", include("ai_engine.chat.api.v1.urls")),
    path("api/v1/public/chat/", include("ai_engine.chat.api.v1.public_urls")),
]
platform_api: list[URLPattern | URLResolver] = [
    path("api/v1/platform/", include("tenants.api.v1.platform_urls")),
    path("api/v1/platform/billing/", include("billing.api.v1.platform_urls")),
    path("api/v1/platform/audit/", include("ops.api.urls")),
    path("api/v1/platform/health/", HealthView.as_view(), name="api-platform-health"),
    path("api/v1/platform/backups/", include("ops.backups.api.urls")),
    path("api/v1/platform/", include("ops.api.monitoring_urls")),
    path("api/v1/platform/", include("ops.telemetry.api.urls")),
]

urlpatterns = tenant_api + platform_api
