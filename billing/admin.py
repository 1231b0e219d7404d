"""Platform staff edit plans in the public admin; a change to a plan publishes a new version."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from billing import services
from billing.models import PLAN_TERMS, Plan
from suresh_ai.admin_site import admin_site
from suresh_ai.errors import ApplicationError
from tenants.admin import PlatformOnlyAdmin


@admin.register(Plan, site=admin_site)
class PlanAdmin(PlatformOnlyAdmin):
    list_display = ("name", "code", "version", "is_current", "price_monthly_paise", "seats", "api_rate_per_minute")
    list_filter = ("is_current", "code")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Published versions are immutable: editing one saves a new version instead.
        return ("code", "version", "is_current", "created_at") if obj else ("version", "is_current", "created_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tenants may be on any version

    def save_model(self, request: HttpRequest, obj: Plan, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        changes = {field: form.cleaned_data[field] for field in form.changed_data if field in PLAN_TERMS}
        if not changes:
            return
        try:
            new = services.plan_publish(code=obj.code, changes=changes)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"Published {new}; {obj.name} v{obj.version} stays with its subscribers.")
