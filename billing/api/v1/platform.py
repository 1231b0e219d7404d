"""Platform staff: revenue metrics (JSON and CSV)."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from billing.metrics import MonthMetrics, revenue_metrics, revenue_metrics_csv
from suresh_ai.api.views import BaseAPIView
from suresh_ai.errors import ValidationFailed
from tenants.permissions import IsPlatformStaff

MONTHS = OpenApiParameter("months", int, description="How many calendar months, ending with this one (1-60).")


class MonthMetricsSerializer(serializers.Serializer[MonthMetrics]):
    month = serializers.CharField()
    mrr_paise = serializers.IntegerField()
    arr_paise = serializers.IntegerField()
    customers = serializers.IntegerField()
    new_paise = serializers.IntegerField()
    expansion_paise = serializers.IntegerField()
    contraction_paise = serializers.IntegerField()
    churned_paise = serializers.IntegerField()
    reactivation_paise = serializers.IntegerField()
    churned_customers = serializers.IntegerField()
    customer_churn_percent = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    revenue_churn_percent = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    arpa_paise = serializers.IntegerField(allow_null=True)
    ltv_paise = serializers.IntegerField(allow_null=True)
    trials_started = serializers.IntegerField()
    trials_converted = serializers.IntegerField()
    trial_conversion_percent = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    cash_collected_paise = serializers.IntegerField()
    invoiced_ex_gst_paise = serializers.IntegerField()


def months_param(request: Request) -> int:
    raw = request.query_params.get("months", "12")
    if not re.fullmatch(r"[0-9]{1,2}", raw) or not 1 <= int(raw) <= 60:
        raise ValidationFailed.for_field("months", "A whole number from 1 to 60.")
    return int(raw)


class RevenueMetricsView(BaseAPIView):
    permission_classes = (IsPlatformStaff,)

    @extend_schema(
        parameters=[MONTHS],
        responses=MonthMetricsSerializer(many=True),
        summary="MRR, ARR, the MRR bridge, churn, ARPA, LTV, trial conversion and cash, per month",
        tags=["platform"],
    )
    def get(self, request: Request) -> Response:
        rows = revenue_metrics(months=months_param(request))
        return Response(MonthMetricsSerializer([asdict(r) for r in rows], many=True).data)  # type: ignore[arg-type]


class RevenueMetricsCsvView(BaseAPIView):
    permission_classes = (IsPlatformStaff,)

    @extend_schema(
        parameters=[MONTHS],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="The same metrics as CSV",
        tags=["platform"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        response = HttpResponse(
            revenue_metrics_csv(revenue_metrics(months=months_param(request))), content_type="text/csv"
        )
        response["Content-Disposition"] = 'attachment; filename="revenue-metrics.csv"'
        return response
