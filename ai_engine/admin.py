"""The AI engine in the admin: on a tenant's own domain only (its rows live in its schema)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ai_engine.models import (
    AIRequest,
    BrandVoice,
    Generation,
    GenerationBatch,
    PromptLabel,
    PromptTemplate,
    PromptVersion,
)
from suresh_ai.admin_site import admin_site, tenant_admin_role


class TenantReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Visible to the owners and admins of the tenant whose domain this is; changes go through
    the web app and the API, where the services check them."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return tuple(f.name for f in self.model._meta.fields)

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


@admin.register(AIRequest, site=admin_site)
class AIRequestAdmin(TenantReadOnlyAdmin):
    """Metering (the public schema has no AI tables, so platform staff read it per tenant
    domain or through the API)."""

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


class PromptVersionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PromptVersion
    fields = ("number", "origin", "temperature", "max_tokens", "note", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PromptLabelInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PromptLabel
    fields = ("name", "version", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PromptTemplate, site=admin_site)
class PromptTemplateAdmin(TenantReadOnlyAdmin):
    list_display = ("name", "key", "task", "output_format", "cache_ttl_seconds", "updated_at")
    search_fields = ("key", "name")
    inlines = (PromptLabelInline, PromptVersionInline)


@admin.register(PromptVersion, site=admin_site)
class PromptVersionAdmin(TenantReadOnlyAdmin):
    list_display = ("template", "number", "origin", "created_at")
    list_filter = ("origin",)
    search_fields = ("template__key", "system", "user")


@admin.register(Generation, site=admin_site)
class GenerationAdmin(TenantReadOnlyAdmin):
    list_display = ("created_at", "template", "version", "model", "quality_score", "judge_score", "rating", "used_at")
    list_filter = ("template", "assignment", "model")
    search_fields = ("output", "edited_output", "subject")
    list_select_related = ("template", "version")


@admin.register(GenerationBatch, site=admin_site)
class GenerationBatchAdmin(TenantReadOnlyAdmin):
    list_display = ("created_at", "template", "status", "total", "succeeded", "failed")
    list_filter = ("status",)


@admin.register(BrandVoice, site=admin_site)
class BrandVoiceAdmin(TenantReadOnlyAdmin):
    list_display = ("tone", "audience", "updated_at")
