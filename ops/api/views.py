"""Platform staff API for the audit log: search it, export it (CSV, JSON lines), verify its hash chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ops.audit import (
    audit_csv_lines,
    audit_entries,
    audit_export_rows,
    audit_jsonl_lines,
    audit_record_request,
    audit_verify,
)
from ops.models import AuditEntry
from suresh_ai.api.pagination import CreatedCursorPagination
from suresh_ai.api.views import BaseAPIView, BaseListAPIView
from tenants.permissions import IsPlatformStaff


class AuditEntrySerializer(serializers.ModelSerializer[AuditEntry]):
    class Meta:
        model = AuditEntry
        fields = (
            "id",
            "at",
            "user_id",
            "user_email",
            "api_key_id",
            "tenant_schema",
            "method",
            "path",
            "status_code",
            "action",
            "before",
            "after",
            "ip",
            "user_agent",
            "request_id",
            "prev_hash",
            "hash",
        )
        read_only_fields = fields


class AuditFilterSerializer(serializers.Serializer[Any]):
    """The query filters shared by the list and the exports."""

    tenant = serializers.CharField(required=False, allow_blank=True, max_length=63)
    user_email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    user_id = serializers.IntegerField(required=False, min_value=1)
    path = serializers.CharField(required=False, allow_blank=True, max_length=500)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "since" in attrs and "until" in attrs and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["Must be after since."]})
        return attrs


FILTER_PARAMETERS = [
    OpenApiParameter("tenant", OpenApiTypes.STR, description="Tenant schema, e.g. t_acme."),
    OpenApiParameter("user_email", OpenApiTypes.STR, description="The acting user's email (any case)."),
    OpenApiParameter("user_id", OpenApiTypes.INT, description="The acting user's id."),
    OpenApiParameter("path", OpenApiTypes.STR, description="Path prefix, e.g. /api/v1/members/."),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="From this time on (ISO 8601; a date is midnight)."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Before this time (ISO 8601; a date is midnight)."),
]


def filtered_entries(request: Request) -> QuerySet[AuditEntry]:
    filters = AuditFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return audit_entries(**filters.validated_data)


class VerificationSerializer(serializers.Serializer[Any]):
    entries = serializers.IntegerField()
    intact = serializers.BooleanField()
    first_broken_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    last_hash = serializers.CharField(help_text="The newest entry's hash (empty when broken or empty).")


class AuditPagination(CreatedCursorPagination):
    ordering = ("-at", "-id")  # newest first, as the chain was written


class AuditListView(BaseListAPIView):
    serializer_class = AuditEntrySerializer
    permission_classes = (IsPlatformStaff,)
    pagination_class = AuditPagination

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return filtered_entries(self.request)

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        summary="The audit log, newest first (platform staff)",
        tags=["platform"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


def export_response(request: Request, entries: QuerySet[AuditEntry], *, file_format: str) -> StreamingHttpResponse:
    """Stream the entries (oldest first, with both hashes) and record the export itself in the log
    (a GET, so the middleware would not)."""
    audit_record_request(request._request, status_code=200, path=request.get_full_path())
    return export_stream(entries, file_format=file_format)


def export_stream(entries: QuerySet[AuditEntry], *, file_format: str) -> StreamingHttpResponse:
    rows = audit_export_rows(entries)
    lines: Iterator[str] = audit_csv_lines(rows) if file_format == "csv" else audit_jsonl_lines(rows)
    content_type = "text/csv; charset=utf-8" if file_format == "csv" else "application/jsonl; charset=utf-8"
    response = StreamingHttpResponse(lines, content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{file_format}"'
    return response


class AuditExportCsvView(BaseAPIView):
    permission_classes = (IsPlatformStaff,)

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="Export the audit log as CSV, oldest first, with the hash columns (platform staff)",
        description="Streamed. `before` and `after` are canonical JSON; a cell that a spreadsheet would "
        "read as a formula starts with an added quote. Check a file with `manage.py audit_verify --file`.",
        tags=["platform"],
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return export_response(request, filtered_entries(request), file_format="csv")


class AuditExportJsonlView(BaseAPIView):
    permission_classes = (IsPlatformStaff,)

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={(200, "application/jsonl"): OpenApiTypes.STR},
        summary="Export the audit log as JSON lines, oldest first, with the hash columns (platform staff)",
        description="Streamed, one entry per line. Check a file with `manage.py audit_verify --file`.",
        tags=["platform"],
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return export_response(request, filtered_entries(request), file_format="jsonl")


class AuditVerifyView(BaseAPIView):
    permission_classes = (IsPlatformStaff,)

    @extend_schema(
        responses=VerificationSerializer,
        summary="Recompute the audit log's hash chain; names the first entry that was changed",
        tags=["platform"],
    )
    def get(self, request: Request) -> Response:
        result = audit_verify()
        data = {
            "entries": result.entries,
            "intact": result.intact,
            "first_broken_id": result.first_broken_id,
            "reason": result.reason,
            "last_hash": result.last_hash,
        }
        return Response(VerificationSerializer(data).data)


class ComponentHealthSerializer(serializers.Serializer[Any]):
    component = serializers.CharField()
    status = serializers.CharField()
    latency_ms = serializers.FloatField()
    error = serializers.CharField()
    checked_at = serializers.DateTimeField()
    uptime_24h = serializers.FloatField(allow_null=True, help_text="Share of checks up in the last 24 hours.")


class HealthSerializer(serializers.Serializer[Any]):
    score = serializers.FloatField(allow_null=True, help_text="0-100, weighted (docs/operations.md).")
    components = ComponentHealthSerializer(many=True)


class HealthView(BaseAPIView):
    permission_classes = (IsPlatformStaff,)

    @extend_schema(
        responses=HealthSerializer,
        summary="The latest check of each component, its uptime over 24 hours, and the health score",
        tags=["platform"],
    )
    def get(self, request: Request) -> Response:
        from ops.health import latest_health

        score, components = latest_health()
        return Response(HealthSerializer({"score": score, "components": components}).data)
