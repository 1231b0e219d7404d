"""Platform staff API: error groups, per-endpoint performance and the slow-query log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ops.telemetry.models import ErrorCategory, ErrorGroup, SlowQuery
from ops.telemetry.selectors import WINDOWS, endpoint_performance, error_groups, slow_queries
from suresh_ai.api.pagination import CreatedCursorPagination
from suresh_ai.api.views import BaseAPIView, BaseListAPIView
from tenants.permissions import IsPlatformStaff


class LastSeenPagination(CreatedCursorPagination):
    ordering = ("-last_seen", "-id")  # newest first


class ErrorGroupSerializer(serializers.ModelSerializer[ErrorGroup]):
    class Meta:
        model = ErrorGroup
        fields = (
            "id",
            "fingerprint",
            "exception_type",
            "location",
            "category",
            "message",
            "count",
            "first_seen",
            "last_seen",
            "last_request_id",
            "last_endpoint",
            "last_tenant_schema",
        )
        read_only_fields = fields


class ErrorFilterSerializer(serializers.Serializer[Any]):
    category = serializers.ChoiceField(choices=ErrorCategory.choices, required=False)


class ErrorGroupListView(BaseListAPIView):
    serializer_class = ErrorGroupSerializer
    permission_classes = (IsPlatformStaff,)
    pagination_class = LastSeenPagination

    def get_queryset(self) -> QuerySet[ErrorGroup]:
        params = ErrorFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return error_groups(category=params.validated_data.get("category"))

    @extend_schema(
        parameters=[
            OpenApiParameter("category", OpenApiTypes.STR, enum=[c.value for c in ErrorCategory]),
        ],
        summary="Error groups (fingerprint: type + location), most recently seen first (platform staff)",
        tags=["platform"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


class WindowSerializer(serializers.Serializer[Any]):
    window = serializers.ChoiceField(choices=list(WINDOWS), default="1h")


class EndpointPerformanceSerializer(serializers.Serializer[Any]):
    endpoint = serializers.CharField(help_text="URL route pattern.")
    requests = serializers.IntegerField()
    throughput_per_minute = serializers.FloatField()
    client_errors = serializers.IntegerField(help_text="4xx, 429s included.")
    server_errors = serializers.IntegerField(help_text="5xx.")
    rate_limited = serializers.IntegerField(help_text="429.")
    error_rate = serializers.FloatField(help_text="5xx share, 0..1.")
    mean_ms = serializers.FloatField(allow_null=True)
    p50_ms = serializers.FloatField(allow_null=True)
    p95_ms = serializers.FloatField(allow_null=True)
    p99_ms = serializers.FloatField(allow_null=True)


class PerformanceSerializer(serializers.Serializer[Any]):
    window = serializers.CharField()
    minutes = serializers.IntegerField()
    endpoints = EndpointPerformanceSerializer(many=True)


class PerformanceView(BaseAPIView):
    permission_classes = (IsPlatformStaff,)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "window",
                OpenApiTypes.STR,
                enum=list(WINDOWS),
                description="Up to 1h live from Redis (current minute included); longer from per-minute history.",
            )
        ],
        responses=PerformanceSerializer,
        summary="Per-endpoint latency percentiles, throughput and error rate over a window (platform staff)",
        tags=["platform"],
    )
    def get(self, request: Request) -> Response:
        params = WindowSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        window = params.validated_data["window"]
        minutes = WINDOWS[window]
        rows = [asdict(row) for row in endpoint_performance(minutes=minutes)]
        return Response(PerformanceSerializer({"window": window, "minutes": minutes, "endpoints": rows}).data)


class SlowQuerySerializer(serializers.ModelSerializer[SlowQuery]):
    mean_ms = serializers.FloatField(read_only=True)

    class Meta:
        model = SlowQuery
        fields = ("id", "fingerprint", "sql", "count", "mean_ms", "max_ms", "first_seen", "last_seen", "last_source")
        read_only_fields = fields


class SlowQueryListView(BaseListAPIView):
    serializer_class = SlowQuerySerializer
    permission_classes = (IsPlatformStaff,)
    pagination_class = LastSeenPagination

    def get_queryset(self) -> QuerySet[SlowQuery]:
        return slow_queries()

    @extend_schema(summary="Slow queries, normalised (no values), most recently seen first", tags=["platform"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)
