"""Data ingestion API: batches of customers, products, orders, payments, refunds, events, spend."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from intelligence import analytics, services
from intelligence.api.v1 import serializers as s
from intelligence.ingest.records import KINDS
from intelligence.models import ImportJob
from intelligence.ranges import range_from
from suresh_ai.api.views import BaseAPIView, BaseListAPIView
from suresh_ai.csvfile import csv_response, csv_text
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


class ImportListView(BaseListAPIView):
    serializer_class = s.ImportJobSerializer
    read_role = Role.ANALYST
    write_role = Role.ANALYST
    write_scope = "write"
    parser_classes = (MultiPartParser,)

    def get_queryset(self) -> QuerySet[ImportJob]:
        return ImportJob.objects.defer("data", "errors")

    @extend_schema(summary="CSV imports, newest first, with their progress", tags=["data"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": s.ImportCreateSerializer},
        responses={202: s.ImportJobSerializer},
        summary="Import a CSV of customers, products, orders, events or spend in the background",
        tags=["data"],
    )
    def post(self, request: Request) -> Response:
        serializer = s.ImportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        job = services.import_create(
            kind=serializer.validated_data["kind"],
            filename=upload.name or "upload.csv",
            data=upload.read(),
            user_id=getattr(request.user, "pk", None),
        )
        return Response(s.ImportJobSerializer(job).data, status=202)


def _job(pk: int) -> ImportJob:
    job = ImportJob.objects.defer("data").filter(pk=pk).first()
    if job is None:
        raise NotFound("No such import.")
    return job


class ImportDetailView(BaseAPIView):
    read_role = Role.ANALYST

    @extend_schema(responses=s.ImportJobSerializer, summary="One CSV import and its progress", tags=["data"])
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ImportJobSerializer(_job(pk)).data)


def import_errors_csv(job: ImportJob) -> HttpResponse:
    rows = ((error["row"], error["field"], error["reason"]) for error in job.errors)
    return csv_response(csv_text(["row", "field", "reason"], rows), f"import-{job.pk}-errors.csv")


class ImportErrorsView(BaseAPIView):
    read_role = Role.ANALYST

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="The import's per-row error report as CSV (row = line in the file)",
        tags=["data"],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return import_errors_csv(_job(pk))


def data_settings_data(request: Any) -> dict[str, Any]:
    """The settings as shown to the workspace (the webhook secret only as set or not)."""
    row = services.data_settings_ensure()
    base = request.build_absolute_uri("/").rstrip("/")
    return {
        "tracking_key": row.tracking_key,
        "tracking_origins": row.tracking_origins,
        "snippet": f'<script src="{base}/static/js/track.js" data-key="{row.tracking_key}" defer></script>',
        "razorpay_webhook_url": f"{base}/api/v1/public/razorpay/{row.webhook_token}/",
        "razorpay_webhook_secret_set": bool(row.razorpay_webhook_secret),
    }


class DataSettingsView(BaseAPIView):
    read_role = write_role = Role.ADMIN
    read_scope = write_scope = "admin"

    @extend_schema(
        responses=s.DataSettingsSerializer, summary="The tracking snippet and the Razorpay webhook", tags=["data"]
    )
    def get(self, request: Request) -> Response:
        return Response(s.DataSettingsSerializer(data_settings_data(request)).data)

    @extend_schema(
        request=s.DataSettingsUpdateSerializer,
        responses=s.DataSettingsSerializer,
        summary="Set the snippet's allowed origins and your Razorpay webhook secret",
        tags=["data"],
    )
    def patch(self, request: Request) -> Response:
        serializer = s.DataSettingsUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.data_settings_update(data=dict(serializer.validated_data))
        return Response(s.DataSettingsSerializer(data_settings_data(request)).data)


class PaymentsView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=RANGE,
        responses=OpenApiTypes.OBJECT,
        summary="Payment intelligence: success and failure rates by method, bank, network and failure group; "
        "time to capture; recovery; refund rate; reconciliation; recent failure-spike insights",
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        span = range_from(request.query_params)
        return Response(payments_report(span.start, span.end))


def payments_report(start: Any, end: Any) -> dict[str, Any]:
    from intelligence.engines import payments
    from intelligence.models import Insight

    return {
        "summary": payments.summary(start, end),
        "by_method": payments.rates_by(start, end, "method"),
        "by_bank": payments.rates_by(start, end, "bank"),
        "by_card_network": payments.rates_by(start, end, "card_network"),
        "by_failure_group": payments.rates_by(start, end, "failure_group"),
        "reconciliation": payments.reconciliation(start, end),
        "insights": [
            {"title": i.title, "created_at": i.created_at, "detail": i.detail}
            for i in Insight.objects.filter(kind=Insight.Kind.PAYMENT_FAILURE_SPIKE)[:10]
        ],
    }
