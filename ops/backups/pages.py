"""The platform staff page (an admin view): backups, their verification, and charts."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from ops.backups.exceptions import BackupUnhealthy
from ops.backups.selectors import backup_charts, backups_recent
from ops.backups.services import backup_check, backup_notice
from suresh_ai.admin_site import admin_site


def backups_dashboard(request: HttpRequest) -> HttpResponse:
    if not getattr(request.user, "is_staff", False):
        raise Http404
    backups = list(backups_recent(limit=90))
    try:
        backup_check()
        health = ""
    except BackupUnhealthy as exc:
        health = str(exc)
    context = {
        **admin_site.each_context(request),
        "title": "Backups",
        "backups": backups,
        "health": health,
        "notice": "" if health else backup_notice(),
        "charts": {name: mark_safe(svg) for name, svg in backup_charts(backups).items()},  # noqa: S308 - pygal output
    }
    return render(request, "admin/ops/backups.html", context)
