"""Attribution API: conversions and revenue per channel under every model, with spend, ROI and ROAS
(a plan feature: ``attribution``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from billing.selectors import require_feature
from intelligence.engines import attribution
from intelligence.ranges import DateRange, range_from
from suresh_ai.api.views import BaseAPIView
from suresh_ai.csvfile import csv_response
from suresh_ai.tenancy import request_tenant
from tenants.models import Role

FEATURE = "attribution"


class CreditSerializer(serializers.Serializer[Any]):
    conversions = serializers.FloatField(help_text="Conversions credited to the channel (fractional), 4 decimals.")
    revenue_paise = serializers.FloatField(help_text="Revenue credited to the channel, in paise (2 decimals).")
    roi = serializers.FloatField(allow_null=True, help_text="(revenue - spend) / spend; null without spend.")
    roas = serializers.FloatField(allow_null=True, help_text="revenue / spend; null without spend.")


class CreditsSerializer(serializers.Serializer[Any]):
    first_touch = CreditSerializer()
    last_touch = CreditSerializer()
    last_non_direct = CreditSerializer(help_text="The last touch that is not direct; direct only when all are.")
    linear = CreditSerializer()
    time_decay = CreditSerializer(help_text="Weights 2^(-age / half-life), age measured to the payment.")
    position_based = CreditSerializer(help_text="40% first, 40% last, 20% shared by the touches between.")
    markov = CreditSerializer(help_text="Totals shared in proportion to the channels' removal effects.")


class ChannelAttributionSerializer(serializers.Serializer[Any]):
    channel = serializers.CharField()
    spend_paise = serializers.IntegerField(help_text="Marketing spend of the channel on the range's days.")
    removal_effect = serializers.FloatField(
        allow_null=True,
        help_text="Markov: 1 - P(conversion without the channel) / P(conversion); null without conversions.",
    )
    credits = CreditsSerializer(help_text="One entry per model.")


class AttributionReportSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Exclusive.")
    lookback_days = serializers.IntegerField()
    half_life_days = serializers.FloatField()
    conversions = serializers.IntegerField(help_text="Paid orders in the range.")
    revenue_paise = serializers.IntegerField(help_text="Their totals.")
    spend_paise = serializers.IntegerField()
    converting_paths = serializers.IntegerField()
    non_converting_paths = serializers.IntegerField(help_text="Read by the Markov model only.")
    conversion_probability = serializers.FloatField(
        allow_null=True, help_text="Markov: P(start reaches conversion); null without conversions."
    )
    channels = ChannelAttributionSerializer(many=True)


PARAMETERS = [
    OpenApiParameter(
        "start", OpenApiTypes.DATE, description="First day of conversions (UTC); default: 29 days before end."
    ),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included (UTC); default: today."),
    OpenApiParameter(
        "lookback_days",
        OpenApiTypes.INT,
        description=f"Touches up to this many days before a payment count (1-{attribution.MAX_LOOKBACK_DAYS}); "
        f"default {attribution.DEFAULT_LOOKBACK_DAYS}.",
    ),
    OpenApiParameter(
        "half_life_days",
        OpenApiTypes.NUMBER,
        description=f"Time-decay half-life in days (above 0, at most {attribution.MAX_HALF_LIFE_DAYS:g}); "
        f"default {attribution.DEFAULT_HALF_LIFE_DAYS:g}.",
    ),
]


def _report(request: Request) -> tuple[DateRange, attribution.AttributionReport]:
    require_feature(request_tenant(request), FEATURE)
    span = range_from(request.query_params)
    params = attribution.attribution_params(request.query_params)
    return span, attribution.attribution_report(span=span, params=params)


class AttributionView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=PARAMETERS,
        responses=AttributionReportSerializer,
        summary="Conversions and revenue per channel under seven attribution models, with spend, ROI and ROAS",
        description="Models: first touch, last touch, last non-direct, linear, time decay, position-based (40/20/40) "
        "and a first-order Markov chain (removal effect). Definitions in docs/intelligence/attribution.md. "
        "Needs a plan with attribution (403 `feature_not_in_plan` otherwise).",
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        _, report = _report(request)
        return Response(AttributionReportSerializer(asdict(report)).data)


class AttributionCsvView(BaseAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        parameters=PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="The same report as CSV: one row per channel and model, amounts in rupees",
        tags=["analytics"],
    )
    def get(self, request: Request) -> HttpResponse:
        span, report = _report(request)
        return csv_response(attribution.attribution_csv(report), f"attribution-{span.first}-{span.last}.csv")
