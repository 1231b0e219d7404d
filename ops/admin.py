"""The audit log in the platform admin: read-only (the table itself refuses changes)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ops.models import AuditEntry
from suresh_ai.admin_site import admin_site, is_public_request


@admin.register(AuditEntry, site=admin_site)
class AuditEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "user_email", "tenant_schema", "method", "path", "status_code", "ip")
    list_filter = ("method", "tenant_schema")
    search_fields = ("user_email", "path", "request_id", "tenant_schema", "action")
    date_hierarchy = "at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return tuple(f.name for f in AuditEntry._meta.fields)

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
