"""Backups in the platform admin: read-only (they are made by the scheduler, the API or manage.py)."""

from __future__ import annotations

from django.contrib import admin

from ops.backups.models import Backup
from suresh_ai.admin_site import admin_site
from tenants.admin import ReadOnlyPlatformAdmin


@admin.register(Backup, site=admin_site)
class BackupAdmin(ReadOnlyPlatformAdmin):
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
