"""AI metering in the admin: on a tenant's own domain only (its rows live in its schema)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ai_engine.models import AIRequest
from suresh_ai.admin_site import admin_site, tenant_admin_role


@admin.register(AIRequest, site=admin_site)
class AIRequestAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: owners and admins of the tenant whose domain this is (the public schema has no
    AI tables, so platform staff read metering per tenant domain or through the API)."""

    list_display = (
        "created_at",
        "task",
        "model",
        "outcome",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd_micros",
    )
    list_filter = ("outcome", "task", "model", "cache_hit")
    readonly_fields = tuple(f.name for f in AIRequest._meta.fields)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return tenant_admin_role(request) is not None

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return tenant_admin_role(request) is not None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
