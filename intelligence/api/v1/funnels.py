"""Funnel and retention-cohort API: JSON and the same figures as CSV (``.csv`` paths)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from intelligence.api.v1.views import RANGE
from intelligence.engines import funnels, retention
from suresh_ai.api.views import BaseAPIView
from suresh_ai.csvfile import csv_response
from tenants.models import Role

# --- serializers -------------------------------------------------------------------------------


class FunnelStepSerializer(serializers.Serializer[Any]):
    step = serializers.IntegerField(help_text="1-based position.")
    name = serializers.CharField(help_text="Event name.")
    path = serializers.CharField(help_text="Path filter of the step ('' = any; a trailing * = prefix).")
    visitors = serializers.IntegerField(help_text="Visitors who reached this step in order within the window.")
    conversion_from_previous = serializers.FloatField(allow_null=True, help_text="visitors / previous step's (0-1).")
    conversion_from_start = serializers.FloatField(allow_null=True, help_text="visitors / step 1's (0-1).")
    drop_off = serializers.IntegerField(help_text="Visitors of the previous step who did not reach this one.")
    drop_off_rate = serializers.FloatField(allow_null=True, help_text="drop_off / previous step's visitors (0-1).")
    median_seconds_from_previous = serializers.FloatField(allow_null=True)
    median_seconds_from_start = serializers.FloatField(allow_null=True)


class FunnelSegmentSerializer(serializers.Serializer[Any]):
    channel = serializers.CharField(help_text="`all`, or the channel of the visitors' step-1 event.")
    entered = serializers.IntegerField()
    converted = serializers.IntegerField(help_text="Visitors who reached the last step.")
    conversion_rate = serializers.FloatField(allow_null=True, help_text="converted / entered (0-1).")
    median_seconds_to_convert = serializers.FloatField(allow_null=True, help_text="Step 1 to the last step.")
    steps = FunnelStepSerializer(many=True)


class FunnelSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Exclusive; later steps may fall after it, inside the window.")
    window_hours = serializers.IntegerField()
    total = FunnelSegmentSerializer()
    channels = FunnelSegmentSerializer(many=True, help_text="By the channel of the step-1 event, largest first.")


def _nullable_ints(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.IntegerField(allow_null=True), help_text=help_text)


def _nullable_rates(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.FloatField(allow_null=True), help_text=help_text)


class CohortSerializer(serializers.Serializer[Any]):
    start = serializers.DateField(help_text="First day of the cohort's week (Monday) or month.")
    size = serializers.IntegerField()
    customers = _nullable_ints("Per period 0..n: cohort customers with a paid order; null = not started yet.")
    retention_rate = _nullable_rates("customers / size (0-1).")
    revenue_paise = _nullable_ints("Per period: the cohort's paid order totals.")
    revenue_per_customer_paise = _nullable_ints("revenue_paise / size, rounded.")
    revenue_retention_rate = _nullable_rates("revenue_paise / period 0's revenue (null when that is 0).")


class RetentionSerializer(serializers.Serializer[Any]):
    basis = serializers.ChoiceField(choices=retention.BASES)
    period = serializers.ChoiceField(choices=retention.PERIODS)
    start = serializers.DateField(help_text="First day of the first cohort period.")
    end = serializers.DateField(help_text="Last day of the last cohort period (included).")
    periods = serializers.IntegerField(help_text="The highest period index in the matrices.")
    cohorts = CohortSerializer(many=True)
    average_retention_rate = _nullable_rates("Per period: retained / size over the cohorts that reached it.")


# --- views -------------------------------------------------------------------------------------

FUNNEL_PARAMS = [
    *RANGE,
    OpenApiParameter(
        "steps",
        OpenApiTypes.STR,
        description=f"{funnels.MIN_STEPS} to {funnels.MAX_STEPS} event names in order, comma-separated; a step may "
        "name a path after @ (`page_view@/pricing`, or a prefix `page_view@/p/*`). "
        f"Default: {funnels.DEFAULT_STEPS}.",
    ),
    OpenApiParameter(
        "window_hours",
        OpenApiTypes.INT,
        description=f"Conversion window from the step-1 event, 1 to {funnels.MAX_WINDOW_HOURS} hours. Default: 168.",
    ),
]
RETENTION_PARAMS = [
    OpenApiParameter(
        "start",
        OpenApiTypes.DATE,
        description="Cohorts from the period containing this day (UTC); default: `periods` periods before end.",
    ),
    OpenApiParameter(
        "end", OpenApiTypes.DATE, description="Cohorts up to the period containing this day; default: today."
    ),
    OpenApiParameter("basis", OpenApiTypes.STR, enum=list(retention.BASES), description="Default: first_purchase."),
    OpenApiParameter("period", OpenApiTypes.STR, enum=list(retention.PERIODS), description="Default: week."),
    OpenApiParameter(
        "periods", OpenApiTypes.INT, description=f"Periods after period 0, 1 to {retention.MAX_PERIODS}. Default: 12."
    ),
]


class FunnelView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=FUNNEL_PARAMS,
        responses=FunnelSerializer,
        summary="An ordered funnel: visitors per step, conversion, drop-off, median times, by entering channel",
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        return Response(FunnelSerializer(asdict(funnels.funnel_from_query(request.query_params))).data)


class FunnelCsvView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=FUNNEL_PARAMS,
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="The same funnel as CSV: one row per step, for all visitors and then per channel",
        tags=["analytics"],
    )
    def get(self, request: Request) -> HttpResponse:
        result = funnels.funnel_from_query(request.query_params)
        return csv_response(funnels.funnel_csv(result), f"funnel-{result.start:%Y-%m-%d}.csv")


class RetentionView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=RETENTION_PARAMS,
        responses=RetentionSerializer,
        summary="Retention cohorts by first purchase or sign-up week/month: customer and revenue matrices",
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        return Response(RetentionSerializer(asdict(retention.retention_from_query(request.query_params))).data)


class RetentionCsvView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=RETENTION_PARAMS,
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="The same cohorts as CSV: one row per cohort and started period",
        tags=["analytics"],
    )
    def get(self, request: Request) -> HttpResponse:
        result = retention.retention_from_query(request.query_params)
        return csv_response(
            retention.retention_csv(result), f"retention-{result.basis}-{result.period}-{result.start}.csv"
        )
