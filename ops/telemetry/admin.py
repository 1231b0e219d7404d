"""Telemetry in the platform admin: read-only (the records are written by the middleware and signals)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from ops.telemetry.models import ErrorGroup, RequestMinute, SlowQuery
from suresh_ai.admin_site import admin_site, is_public_request


class ReadOnlyStaffAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Platform staff on the platform domain may look; nobody may add, change or delete."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        model: type[models.Model] = self.model
        return tuple(f.name for f in model._meta.fields)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_public_request(request) and bool(getattr(request.user, "is_staff", False))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ErrorGroup, site=admin_site)
class ErrorGroupAdmin(ReadOnlyStaffAdmin):
    list_display = ("last_seen", "category", "exception_type", "location", "count", "first_seen", "last_endpoint")
    list_filter = ("category",)
    search_fields = ("exception_type", "location", "last_endpoint", "last_request_id", "last_tenant_schema")
    date_hierarchy = "last_seen"


@admin.register(SlowQuery, site=admin_site)
class SlowQueryAdmin(ReadOnlyStaffAdmin):
    list_display = ("last_seen", "short_sql", "count", "max_ms", "last_source")
    search_fields = ("sql", "last_source")
    date_hierarchy = "last_seen"

    @admin.display(description="SQL")
    def short_sql(self, obj: SlowQuery) -> str:
        return obj.sql[:120]


@admin.register(RequestMinute, site=admin_site)
class RequestMinuteAdmin(ReadOnlyStaffAdmin):
    list_display = ("minute", "endpoint", "requests", "client_errors", "server_errors", "rate_limited")
    search_fields = ("endpoint",)
    date_hierarchy = "minute"
