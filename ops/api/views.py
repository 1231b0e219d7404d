"""Platform staff API for the audit log: search it, and verify its hash chain."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ops.audit import audit_verify
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


class VerificationSerializer(serializers.Serializer[Any]):
    entries = serializers.IntegerField()
    intact = serializers.BooleanField()
    first_broken_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class AuditPagination(CreatedCursorPagination):
    ordering = ("-at", "-id")  # newest first, as the chain was written


class AuditListView(BaseListAPIView):
    serializer_class = AuditEntrySerializer
    permission_classes = (IsPlatformStaff,)
    pagination_class = AuditPagination

    def get_queryset(self) -> QuerySet[AuditEntry]:
        rows = AuditEntry.objects.all()
        params = self.request.query_params
        if params.get("tenant"):
            rows = rows.filter(tenant_schema=params["tenant"])
        if params.get("user_email"):
            rows = rows.filter(user_email__iexact=params["user_email"])
        if params.get("path"):
            rows = rows.filter(path__startswith=params["path"])
        return rows

    @extend_schema(
        parameters=[
            OpenApiParameter("tenant", OpenApiTypes.STR, description="Tenant schema, e.g. t_acme."),
            OpenApiParameter("user_email", OpenApiTypes.STR),
            OpenApiParameter("path", OpenApiTypes.STR, description="Path prefix, e.g. /api/v1/members/."),
        ],
        summary="The audit log, newest first (platform staff)",
        tags=["platform"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


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
        from datetime import timedelta

        from django.db.models import Count, Q
        from django.utils import timezone

        from ops.health import WEIGHTS
        from ops.models import HealthCheck

        latest = {}
        for check in HealthCheck.objects.order_by("component", "-checked_at").distinct("component"):
            latest[check.component] = check
        since = timezone.now() - timedelta(hours=24)
        uptime = {
            row["component"]: row["up"] / row["n"]
            for row in HealthCheck.objects.filter(checked_at__gte=since)
            .values("component")
            .annotate(n=Count("id"), up=Count("id", filter=Q(ok=True)))
        }
        total = sum(WEIGHTS.get(c, 1) for c in latest)
        score = round(100 * sum(WEIGHTS.get(c, 1) for c, k in latest.items() if k.ok) / total, 1) if total else None
        components = [
            {
                "component": c,
                "status": "ok" if k.ok else "down",
                "latency_ms": k.latency_ms,
                "error": k.error,
                "checked_at": k.checked_at,
                "uptime_24h": round(uptime[c], 4) if c in uptime else None,
            }
            for c, k in sorted(latest.items())
        ]
        return Response(HealthSerializer({"score": score, "components": components}).data)
