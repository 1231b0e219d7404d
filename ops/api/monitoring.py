"""Platform staff API for monitoring: incidents, alerts (with their deliveries), uptime by
period, HTTP uptime targets, and a test message to every alert channel."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ops.alerting import Changes, channels, deliver
from ops.models import Alert, AlertDelivery, Incident, UptimeTarget
from ops.uptime import uptime_by_period
from suresh_ai.api.pagination import CreatedCursorPagination
from suresh_ai.api.views import BaseAPIView, BaseListAPIView, StrictSerializerMixin, ThrottleFirstMixin
from tenants.permissions import IsPlatformStaff

TAGS = ["platform"]


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = ("id", "component", "cause", "started_at", "ended_at", "duration_seconds", "failed_checks")
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer[AlertDelivery]):
    class Meta:
        model = AlertDelivery
        fields = ("id", "channel", "kind", "ok", "error", "latency_ms", "sent_at")
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer[Alert]):
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = (
            "id",
            "rule",
            "key",
            "severity",
            "status",
            "summary",
            "detail",
            "first_fired_at",
            "last_fired_at",
            "resolved_at",
            "occurrences",
            "reopened",
            "deliveries",
        )
        read_only_fields = fields


class UptimeTargetSerializer(StrictSerializerMixin, serializers.ModelSerializer[UptimeTarget]):
    class Meta:
        model = UptimeTarget
        fields = ("id", "name", "url", "expected_status", "timeout_seconds", "enabled", "public", "created_at")
        read_only_fields = ("id", "created_at")


class PeriodUptimeSerializer(serializers.Serializer[Any]):
    component = serializers.CharField()
    day = serializers.FloatField(allow_null=True, help_text="Share of checks up over the last 24 hours (0..1).")
    week = serializers.FloatField(allow_null=True)
    month = serializers.FloatField(allow_null=True, help_text="Over the last 30 days.")


class IncidentPagination(CreatedCursorPagination):
    ordering = ("-started_at", "-id")


class AlertPagination(CreatedCursorPagination):
    ordering = ("-first_fired_at", "-id")


class IncidentListView(BaseListAPIView):
    serializer_class = IncidentSerializer
    permission_classes = (IsPlatformStaff,)
    pagination_class = IncidentPagination

    def get_queryset(self) -> QuerySet[Incident]:
        rows = Incident.objects.all()
        params = self.request.query_params
        if params.get("component"):
            rows = rows.filter(component=params["component"])
        if "open" in params:
            if params["open"] not in ("true", "false", "1", "0"):
                raise serializers.ValidationError({"open": ["true or false."]})
            rows = rows.filter(ended_at__isnull=params["open"] in ("true", "1"))
        return rows

    @extend_schema(
        parameters=[
            OpenApiParameter("component", OpenApiTypes.STR, description="e.g. workers, database, http:landing"),
            OpenApiParameter("open", OpenApiTypes.BOOL, description="Only incidents still open."),
        ],
        summary="Incidents, newest first: component, cause, start, end, duration (platform staff)",
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


class AlertListView(BaseListAPIView):
    serializer_class = AlertSerializer
    permission_classes = (IsPlatformStaff,)
    pagination_class = AlertPagination

    def get_queryset(self) -> QuerySet[Alert]:
        rows = Alert.objects.prefetch_related("deliveries")
        params = self.request.query_params
        if params.get("status"):
            if params["status"] not in Alert.Status.values:
                raise serializers.ValidationError({"status": [f"One of {', '.join(Alert.Status.values)}."]})
            rows = rows.filter(status=params["status"])
        if params.get("rule"):
            rows = rows.filter(rule=params["rule"])
        return rows

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Alert.Status.values),
            OpenApiParameter("rule", OpenApiTypes.STR, description="e.g. component_down, error_rate"),
        ],
        summary="Alert history with each message sent (platform staff)",
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


class AlertTestView(BaseAPIView):
    permission_classes = (IsPlatformStaff,)

    @extend_schema(
        request=None,
        responses=DeliverySerializer(many=True),
        summary="Send a test message to every configured alert channel; each channel's outcome",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        if not channels():
            return Response(
                {
                    "code": "no_channels",
                    "message": "No alert channel is configured: set ALERT_EMAILS, ALERT_SLACK_WEBHOOK_URL, "
                    "ALERT_DISCORD_WEBHOOK_URL or ALERT_WEBHOOK_URL.",
                    "detail": {},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        deliveries = deliver(Changes(), kind=AlertDelivery.Kind.TEST)
        return Response(DeliverySerializer(deliveries, many=True).data)


class UptimeView(BaseAPIView):
    permission_classes = (IsPlatformStaff,)

    @extend_schema(
        responses=PeriodUptimeSerializer(many=True),
        summary="Uptime per component over the last day, week and month (share of checks up)",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        rows = [{"component": c, **periods} for c, periods in uptime_by_period().items()]
        return Response(PeriodUptimeSerializer(rows, many=True).data)


class UptimeTargetListView(BaseListAPIView):
    serializer_class = UptimeTargetSerializer
    permission_classes = (IsPlatformStaff,)
    queryset = UptimeTarget.objects.all()
    pagination_class = None

    @extend_schema(summary="HTTP uptime targets checked with every round", tags=TAGS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(summary="Add an HTTP uptime target", tags=TAGS)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class UptimeTargetDetailView(ThrottleFirstMixin, generics.RetrieveUpdateDestroyAPIView):  # type: ignore[type-arg]
    serializer_class = UptimeTargetSerializer
    permission_classes = (IsPlatformStaff,)
    queryset = UptimeTarget.objects.all()
    http_method_names = ("get", "patch", "delete", "head", "options")

    @extend_schema(summary="One HTTP uptime target", tags=TAGS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.retrieve(request, *args, **kwargs)

    @extend_schema(summary="Change an HTTP uptime target", tags=TAGS)
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(summary="Stop checking an HTTP uptime target (its history stays)", tags=TAGS)
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.destroy(request, *args, **kwargs)
