"""RFM segmentation API: per-segment summary, members (audiences), movement between two snapshot
days, computing a snapshot now, and k-means clusters (docs/intelligence/segments.md)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from intelligence.engines import segments
from intelligence.models import SegmentSnapshot
from intelligence.ranges import day_from
from suresh_ai.api.pagination import CreatedCursorPagination
from suresh_ai.api.views import BaseAPIView, BaseListAPIView, StrictSerializerMixin
from suresh_ai.csvfile import csv_lines, rupees
from suresh_ai.errors import NotFound, ValidationFailed
from tenants.models import Role

SEGMENT_HELP = "One of: " + ", ".join(segments.SEGMENT_KEYS) + "."


_date = day_from


MEMBER_COLUMNS = ["customer_id", "email", "name", "recency_days", "frequency", "monetary_inr", "r", "f", "m"]


def members_csv(segment: str, day: date | None) -> StreamingHttpResponse:
    """The customers of one segment on a snapshot day as CSV, highest spend first (ties by your
    id), streamed in chunks so a segment of 100,000 customers never sits in memory."""
    rows = (
        segments.segment_members(segment=segment, day=day)
        .order_by("-monetary_paise", "customer__external_id")
        .values_list(
            "customer__external_id",
            "customer__email",
            "customer__name",
            "recency_days",
            "frequency",
            "monetary_paise",
            "r_score",
            "f_score",
            "m_score",
        )
        .iterator(chunk_size=2000)
    )
    lines = csv_lines(
        MEMBER_COLUMNS,
        (
            (external_id, email, name, recency, frequency, rupees(monetary), r, f, m)
            for external_id, email, name, recency, frequency, monetary, r, f, m in rows
        ),
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="segment-{segment}-{day or "none"}.csv"'
    return response


# --- Serializers ----------------------------------------------------------------------------------


class SegmentRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text=SEGMENT_HELP)
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    description = serializers.CharField()
    customers = serializers.IntegerField()
    share = serializers.FloatField(help_text="Of all customers in the snapshot, 0 to 1.")
    avg_recency_days = serializers.FloatField(allow_null=True)
    avg_frequency = serializers.FloatField(allow_null=True)
    avg_monetary_paise = serializers.IntegerField(allow_null=True)
    avg_r_score = serializers.FloatField(allow_null=True)
    avg_f_score = serializers.FloatField(allow_null=True)
    avg_m_score = serializers.FloatField(allow_null=True)


class SegmentSummarySerializer(serializers.Serializer[Any]):
    day = serializers.DateField(allow_null=True, help_text="The snapshot's as-of day; null before the first.")
    customers = serializers.IntegerField(help_text="Customers with at least one paid order by that day.")
    segments = SegmentRowSerializer(many=True)


class SegmentMemberSerializer(serializers.ModelSerializer[SegmentSnapshot]):
    customer_id = serializers.CharField(source="customer.external_id", help_text="Your id of the customer.")
    email = serializers.CharField(source="customer.email")
    name = serializers.CharField(source="customer.name")
    segment = serializers.CharField(help_text=SEGMENT_HELP)

    class Meta:
        model = SegmentSnapshot
        fields = (
            "customer_id",
            "email",
            "name",
            "day",
            "segment",
            "recency_days",
            "frequency",
            "monetary_paise",
            "r_score",
            "f_score",
            "m_score",
        )


class MovementCellSerializer(serializers.Serializer[Any]):
    from_segment = serializers.CharField(allow_null=True, help_text="Null: no paid order by the from day.")
    to_segment = serializers.CharField(allow_null=True, help_text="Null: no longer qualifies on the to day.")
    customers = serializers.IntegerField()


class MovementSerializer(serializers.Serializer[Any]):
    from_day = serializers.DateField(allow_null=True)
    to_day = serializers.DateField(allow_null=True)
    stayed = serializers.IntegerField(help_text="Customers in the same segment on both days.")
    moved = serializers.IntegerField(help_text="Customers whose segment changed.")
    entered = serializers.IntegerField(help_text="Customers only in the to day's snapshot.")
    left = serializers.IntegerField(help_text="Customers only in the from day's snapshot.")
    cells = MovementCellSerializer(many=True)


class SnapshotRequestSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    day = serializers.DateField(required=False, help_text="As-of day (UTC); default today. Not in the future.")

    def validate_day(self, value: date) -> date:
        if value > timezone.now().date():
            raise serializers.ValidationError("Today or earlier.")
        return value


class SnapshotResultSerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    customers = serializers.IntegerField(help_text="Customers in the snapshot.")
    written = serializers.IntegerField(help_text="Rows added or changed; 0 when rerun on unchanged data.")


class ClusterSerializer(serializers.Serializer[Any]):
    cluster = serializers.IntegerField(help_text="0 = highest centroid spend.")
    customers = serializers.IntegerField()
    share = serializers.FloatField()
    recency_days = serializers.FloatField(help_text="Centroid, back-transformed to days.")
    frequency = serializers.FloatField(help_text="Centroid, back-transformed to orders.")
    monetary_paise = serializers.IntegerField(help_text="Centroid, back-transformed to paise.")
    top_segment = serializers.CharField(help_text="The RFM segment most of the cluster's customers are in.")


class ClusterResultSerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    k = serializers.IntegerField()
    customers = serializers.IntegerField()
    silhouette = serializers.FloatField(allow_null=True, help_text="-1 to 1; higher = better separated.")
    silhouette_sample = serializers.IntegerField(help_text="Customers the silhouette score was computed on.")
    clusters = ClusterSerializer(many=True)


# --- Views ----------------------------------------------------------------------------------------

DAY = OpenApiParameter("day", OpenApiTypes.DATE, description="A snapshot day; default: the latest.")


class SegmentSummaryView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=[DAY],
        responses=SegmentSummarySerializer,
        summary="Customers, share and average recency, frequency and spend of every RFM segment",
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        summary = segments.segments_summary(day=_date(request.query_params, "day"))
        return Response(SegmentSummarySerializer(asdict(summary)).data)


class MemberPagination(CreatedCursorPagination):
    ordering = ("-monetary_paise", "-id")


class SegmentMembersView(BaseListAPIView):
    read_role = Role.VIEWER
    serializer_class = SegmentMemberSerializer
    pagination_class = MemberPagination

    def get_queryset(self) -> QuerySet[SegmentSnapshot]:
        segment = self.kwargs["segment"]
        if segment not in segments.SEGMENT_BY_KEY:
            raise NotFound(f"No segment {segment!r}. {SEGMENT_HELP}")
        return segments.segment_members(segment=segment, day=_date(self.request.query_params, "day"))

    @extend_schema(
        parameters=[
            OpenApiParameter("segment", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(segments.SEGMENT_KEYS)),
            DAY,
        ],
        summary="Customers of one segment (an audience), highest spend first",
        tags=["analytics"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class SegmentMembersCsvView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=[
            OpenApiParameter("segment", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(segments.SEGMENT_KEYS)),
            DAY,
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="Customers of one segment as CSV (an audience export), highest spend first",
        tags=["analytics"],
    )
    def get(self, request: Request, segment: str) -> StreamingHttpResponse:
        if segment not in segments.SEGMENT_BY_KEY:
            raise NotFound(f"No segment {segment!r}. {SEGMENT_HELP}")
        return members_csv(segment, segments.snapshot_day(_date(request.query_params, "day")))


class SegmentMovementView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="Default: the snapshot day before `to`."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Default: the latest snapshot day."),
        ],
        responses=MovementSerializer,
        summary="Customers moving from each segment to each other between two snapshot days",
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        movement = segments.segments_movement(
            from_day=_date(request.query_params, "from"), to_day=_date(request.query_params, "to")
        )
        return Response(MovementSerializer(asdict(movement)).data)


class SegmentSnapshotView(BaseAPIView):
    write_role = Role.ANALYST
    write_scope = "write"

    @extend_schema(
        request=SnapshotRequestSerializer,
        responses={200: SnapshotResultSerializer},
        summary="Compute and store the RFM snapshot of a day now (default today); rerunning is safe",
        tags=["analytics"],
    )
    def post(self, request: Request) -> Response:
        serializer = SnapshotRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        day = serializer.validated_data.get("day") or timezone.now().date()
        return Response(SnapshotResultSerializer(asdict(segments.segments_snapshot(day=day))).data)


class SegmentClustersView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=[
            OpenApiParameter("k", OpenApiTypes.INT, description="Clusters, 2 to 8; default 4."),
            DAY,
        ],
        responses=ClusterResultSerializer,
        summary="K-means clusters of standardised log-RFM with their silhouette score",
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("k", "4")
        if not raw.isdigit():
            raise ValidationFailed.for_field("k", "A whole number from 2 to 8.")
        result = segments.segments_clusters(k=int(raw), day=_date(request.query_params, "day"))
        return Response(ClusterResultSerializer(asdict(result)).data)
