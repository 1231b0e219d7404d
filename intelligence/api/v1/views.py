"""Data ingestion API: batches of customers, products, orders, payments, refunds, events, spend."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from intelligence import analytics, services
from intelligence.api.v1 import serializers as s
from intelligence.ingest.records import KINDS
from intelligence.ranges import range_from
from suresh_ai.api.views import BaseAPIView
from suresh_ai.errors import NotFound, ValidationFailed
from tenants.models import Role


class BatchIngestView(BaseAPIView):
    write_role = Role.ANALYST
    write_scope = "write"

    @extend_schema(
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(KINDS))],
        request=s.BatchRequestSerializer,
        responses={200: s.BatchResultSerializer},
        summary="Send up to 1,000 records of one kind; sending the same records again changes nothing",
        description="Each invalid record is reported with its index, field and reason while the valid ones "
        "land (200). When no record is valid the answer is 400 with the same list in `detail.errors`.",
        tags=["data"],
    )
    def post(self, request: Request, kind: str) -> Response:
        if kind not in KINDS:
            raise NotFound(f"No data kind {kind!r}. Kinds: {', '.join(KINDS)}.")
        serializer = s.BatchRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.records_ingest(kind=kind, records=serializer.validated_data["records"])
        body = s.BatchResultSerializer(asdict(result)).data
        if result.errors and len(result.errors) == result.received:
            raise ValidationFailed(
                f"None of the {result.received} records is valid; the first: record {result.errors[0]['index']}, "
                f"{result.errors[0]['field']}: {result.errors[0]['reason']}",
                detail={"errors": result.errors},
            )
        return Response(body)


RANGE = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (UTC); default: 29 days before end."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included (UTC); default: today."),
]


class KpiView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=RANGE,
        responses=s.KpiReportSerializer,
        summary="KPIs for a date range beside the previous period of the same length, and live visitors",
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        span = range_from(request.query_params)
        report = {**analytics.kpis_compared(span.start, span.end), "live_visitors": analytics.live_visitors()}
        return Response(s.KpiReportSerializer(report).data)


class TopView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=RANGE, responses=s.TopSerializer, summary="Top pages, sources and channels", tags=["analytics"]
    )
    def get(self, request: Request) -> Response:
        span = range_from(request.query_params)
        return Response(s.TopSerializer(analytics.top(span.start, span.end)).data)


class SeriesView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=[
            *RANGE,
            OpenApiParameter("grain", OpenApiTypes.STR, enum=list(analytics.GRAINS), description="Default: day."),
        ],
        responses=s.SeriesPointSerializer(many=True),
        summary="Visitors, orders and revenue per hour, day or week",
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        span = range_from(request.query_params)
        grain = request.query_params.get("grain", "day")
        if grain not in analytics.GRAINS:
            raise ValidationFailed.for_field("grain", f"Choose one of: {', '.join(analytics.GRAINS)}.")
        if grain == "hour" and (span.last - span.first).days > 31:
            raise ValidationFailed.for_field("grain", "Hourly series cover at most 31 days.")
        points = analytics.series(span.start, span.end, grain=grain)
        return Response(s.SeriesPointSerializer(points, many=True).data)
