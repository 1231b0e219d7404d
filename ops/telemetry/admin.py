"""Telemetry in the platform admin: read-only (the records are written by the middleware and signals)."""

from __future__ import annotations

from django.contrib import admin

from ops.telemetry.models import ErrorGroup, RequestMinute, SlowQuery
from suresh_ai.admin_site import admin_site
from tenants.admin import ReadOnlyPlatformAdmin


@admin.register(ErrorGroup, site=admin_site)
class ErrorGroupAdmin(ReadOnlyPlatformAdmin):
    list_display = ("last_seen", "category", "exception_type", "location", "count", "first_seen", "last_endpoint")
    list_filter = ("category",)
    search_fields = ("exception_type", "location", "last_endpoint", "last_request_id", "last_tenant_schema")
    date_hierarchy = "last_seen"


@admin.register(SlowQuery, site=admin_site)
class SlowQueryAdmin(ReadOnlyPlatformAdmin):
    list_display = ("last_seen", "short_sql", "count", "max_ms", "last_source")
    search_fields = ("sql", "last_source")
    date_hierarchy = "last_seen"

    @admin.display(description="SQL")
    def short_sql(self, obj: SlowQuery) -> str:
        return obj.sql[:120]


@admin.register(RequestMinute, site=admin_site)
class RequestMinuteAdmin(ReadOnlyPlatformAdmin):
    list_display = ("minute", "endpoint", "requests", "client_errors", "server_errors", "rate_limited")
    search_fields = ("endpoint",)
    date_hierarchy = "minute"
