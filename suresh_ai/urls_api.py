"""The tenant REST API, version 1 (also the source of the OpenAPI schema)."""

from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("tenants.api.v1.urls")),
]
