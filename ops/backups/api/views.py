"""Platform staff API for backups: list, detail, start a backup, start a verification (202)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ops.backups import services
from ops.backups.api.serializers import BackupFiguresSerializer, BackupSerializer
from ops.backups.models import Backup
from suresh_ai.api.pagination import CreatedCursorPagination
from suresh_ai.api.views import BaseAPIView, BaseListAPIView
from tenants.permissions import IsPlatformStaff


def _choice(request: Request, name: str, choices: list[str]) -> str | None:
    value = request.query_params.get(name)
    if value and value not in choices:
        raise serializers.ValidationError({name: [f"One of: {', '.join(choices)}."]})
    return value or None


class BackupListView(BaseListAPIView):
    serializer_class = BackupSerializer
    permission_classes = (IsPlatformStaff,)
    pagination_class = CreatedCursorPagination

    def get_queryset(self) -> QuerySet[Backup]:
        rows = Backup.objects.all()
        status = _choice(self.request, "status", list(Backup.Status.values))
        verification = _choice(self.request, "verification", list(Backup.Verification.values))
        if status:
            rows = rows.filter(status=status)
        if verification:
            rows = rows.filter(verification_status=verification)
        return rows

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(Backup.Status.values)),
            OpenApiParameter("verification", OpenApiTypes.STR, enum=list(Backup.Verification.values)),
        ],
        summary="Backups, newest first, with their verification (platform staff)",
        tags=["platform"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses={202: BackupSerializer},
        summary="Start a backup now (runs on the ops queue; poll the backup for status and progress)",
        tags=["platform"],
    )
    def post(self, request: Request) -> Response:
        backup = services.backup_request()
        return Response(BackupSerializer(backup).data, status=202)


class BackupDetailView(BaseAPIView):
    permission_classes = (IsPlatformStaff,)

    @extend_schema(
        responses=BackupFiguresSerializer,
        summary="One backup with the per-table figures taken at dump time",
        tags=["platform"],
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(BackupFiguresSerializer(get_object_or_404(Backup, pk=pk)).data)


class BackupVerifyView(BaseAPIView):
    permission_classes = (IsPlatformStaff,)

    @extend_schema(
        request=None,
        responses={202: BackupSerializer},
        summary="Verify a backup now: restore it into the scratch database and compare (ops queue)",
        tags=["platform"],
    )
    def post(self, request: Request, pk: int) -> Response:
        backup = services.verification_request(backup=get_object_or_404(Backup, pk=pk))
        return Response(BackupSerializer(backup).data, status=202)
