"""Billing API (this slice: plans and the tenant's entitlements). Thin views."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from billing.api.v1 import serializers as s
from billing.selectors import entitlements_for_tenant, plans_current
from suresh_ai.api.views import BaseAPIView
from suresh_ai.tenancy import request_tenant
from tenants.selectors import seats_used


class PlanListView(BaseAPIView):
    @extend_schema(responses=s.PlanSerializer(many=True), summary="Plans on offer (prices in paise)", tags=["billing"])
    def get(self, request: Request) -> Response:
        return Response(s.PlanSerializer(plans_current(), many=True).data)


class EntitlementsView(BaseAPIView):
    @extend_schema(responses=s.EntitlementsSerializer, summary="What this workspace may do now", tags=["billing"])
    def get(self, request: Request) -> Response:
        tenant = request_tenant(request)
        entitlements = entitlements_for_tenant(tenant)
        data = {
            **asdict(entitlements),
            "features": sorted(entitlements.features),
            "seats_used": seats_used(tenant=tenant),
        }
        return Response(s.EntitlementsSerializer(data).data)  # type: ignore[arg-type]
