"""Monitoring in the platform admin: uptime targets (editable), and read-only history of checks,
incidents, alerts and their deliveries. Imported by OpsConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ops.models import Alert, AlertDelivery, HealthCheck, Incident, UptimeTarget
from suresh_ai.admin_site import admin_site
from tenants.admin import PlatformOnlyAdmin, ReadOnlyPlatformAdmin


@admin.register(UptimeTarget, site=admin_site)
class UptimeTargetAdmin(PlatformOnlyAdmin):
    list_display = ("name", "url", "expected_status", "timeout_seconds", "enabled", "public")
    list_filter = ("enabled", "public")


@admin.register(HealthCheck, site=admin_site)
class HealthCheckAdmin(ReadOnlyPlatformAdmin):
    list_display = ("checked_at", "component", "ok", "latency_ms", "error")
    list_filter = ("ok", "component")
    date_hierarchy = "checked_at"
    show_full_result_count = False  # a minute-by-minute table: no COUNT(*) over all of it


@admin.register(Incident, site=admin_site)
class IncidentAdmin(ReadOnlyPlatformAdmin):
    list_display = ("component", "started_at", "ended_at", "duration", "failed_checks", "cause")
    list_filter = ("component",)
    date_hierarchy = "started_at"

    @admin.display(description="Duration")
    def duration(self, obj: Incident) -> str:
        seconds = obj.duration_seconds
        return "ongoing" if seconds is None else f"{seconds:.0f} s"


class DeliveryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AlertDelivery.alerts.through
    extra = 0
    can_delete = False
    verbose_name = verbose_name_plural = "Messages sent"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alert, site=admin_site)
class AlertAdmin(ReadOnlyPlatformAdmin):
    list_display = ("first_fired_at", "status", "severity", "rule", "key", "summary", "occurrences", "resolved_at")
    list_filter = ("status", "severity", "rule")
    search_fields = ("key", "summary")
    date_hierarchy = "first_fired_at"
    inlines = (DeliveryInline,)


@admin.register(AlertDelivery, site=admin_site)
class AlertDeliveryAdmin(ReadOnlyPlatformAdmin):
    list_display = ("sent_at", "channel", "kind", "ok", "error", "latency_ms")
    list_filter = ("channel", "kind", "ok")
    date_hierarchy = "sent_at"
