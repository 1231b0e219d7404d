"""Backups in the platform admin: read-only (they are made by the scheduler, the API or manage.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ops.backups.models import Backup
from suresh_ai.admin_site import admin_site, is_public_request


@admin.register(Backup, site=admin_site)
class BackupAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "id",
        "day",
        "kind",
        "status",
        "size_bytes",
        "encrypted",
        "offsite_status",
        "verification_status",
        "restore_seconds",
    )
    list_filter = ("status", "kind", "verification_status", "offsite_status")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return tuple(f.name for f in Backup._meta.fields)

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
