"""Platform API on the platform's own domain, for staff: list and create tenants."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from suresh_ai.api.views import BaseListAPIView
from tenants import services
from tenants.api.v1 import serializers as s
from tenants.models import Tenant
from tenants.permissions import IsPlatformStaff


class PlatformTenantListView(BaseListAPIView):
    serializer_class = s.PlatformTenantSerializer
    permission_classes = (IsPlatformStaff,)

    def get_queryset(self) -> QuerySet[Tenant]:
        return Tenant.objects.exclude(schema_name="public").select_related("partner").prefetch_related("domains")

    @extend_schema(summary="All tenants (platform staff, on the platform domain)", tags=["platform"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=s.PlatformTenantCreateSerializer,
        responses={201: s.PlatformTenantSerializer},
        summary="Create a tenant with its owner (same service as sign-up)",
        tags=["platform"],
    )
    def post(self, request: Request) -> Response:
        body = s.PlatformTenantCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        created = services.tenant_create(
            name=data["name"],
            slug=data["slug"],
            owner_email=data["owner_email"],
            owner_password=data.get("owner_password"),
            owner_full_name=data.get("owner_full_name", ""),
            partner=data.get("partner"),
            custom_domain=data.get("custom_domain"),
        )
        tenant = Tenant.objects.prefetch_related("domains").get(pk=created.tenant.pk)
        return Response(s.PlatformTenantSerializer(tenant).data, status=status.HTTP_201_CREATED)
