"""The audit log in the platform admin: read-only (the table itself refuses changes), with exports
of the filtered list or of selected entries as CSV and JSON lines."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.urls import URLPattern, path

from ops.api.views import export_stream
from ops.audit import audit_record_request
from ops.models import AuditEntry
from suresh_ai.admin_site import admin_site
from tenants.admin import ReadOnlyPlatformAdmin


@admin.register(AuditEntry, site=admin_site)
class AuditEntryAdmin(ReadOnlyPlatformAdmin):
    list_display = ("at", "user_email", "tenant_schema", "method", "path", "status_code", "ip")
    list_filter = ("method", "tenant_schema")
    search_fields = ("user_email", "path", "request_id", "tenant_schema", "action")
    date_hierarchy = "at"
    actions = ("export_selected_csv", "export_selected_jsonl")
    change_list_template = "admin/ops/auditentry/change_list.html"

    # --- Exports -----------------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:  # type: ignore[override]
        def view(file_format: str) -> Any:
            return self.admin_site.admin_view(lambda request: self.export_filtered(request, file_format))

        return [
            path("export.csv", view("csv"), name="ops_auditentry_export_csv"),
            path("export.jsonl", view("jsonl"), name="ops_auditentry_export_jsonl"),
            *super().get_urls(),
        ]  # type: ignore[list-item]

    def export_filtered(self, request: HttpRequest, file_format: str) -> HttpResponse | StreamingHttpResponse:
        """The changelist's current selection (filters, search, date) as a file, oldest first."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            entries = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("The export link's filters are not valid for the audit log.")
        return self._export(request, entries, file_format)

    @admin.action(description="Export selected entries as CSV")
    def export_selected_csv(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> StreamingHttpResponse:
        return self._export(request, queryset, "csv")

    @admin.action(description="Export selected entries as JSON lines")
    def export_selected_jsonl(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> StreamingHttpResponse:
        return self._export(request, queryset, "jsonl")

    @staticmethod
    def _export(request: HttpRequest, entries: QuerySet[AuditEntry], file_format: str) -> StreamingHttpResponse:
        # Recorded here, with the query string that says what was exported (actions are POSTs the
        # middleware would otherwise record without it, link exports GETs it would not record).
        audit_record_request(request, status_code=200, path=request.get_full_path())
        return export_stream(entries, file_format=file_format)
