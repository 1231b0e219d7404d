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
