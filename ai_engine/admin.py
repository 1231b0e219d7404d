"""The AI engine in the admin: on a tenant's own domain only (its rows live in its schema)."""

from __future__ import annotations

from django.contrib import admin

from ai_engine.models import (
    AIRequest,
    BrandVoice,
    Generation,
    GenerationBatch,
    PromptLabel,
    PromptTemplate,
    PromptVersion,
)
from suresh_ai.admin_site import ReadOnlyInline, TenantReadOnlyAdmin, admin_site


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


class PromptVersionInline(ReadOnlyInline):
    model = PromptVersion
    fields = ("number", "origin", "temperature", "max_tokens", "note", "created_at")
    show_change_link = True


class PromptLabelInline(ReadOnlyInline):
    model = PromptLabel
    fields = ("name", "version", "updated_at")


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
